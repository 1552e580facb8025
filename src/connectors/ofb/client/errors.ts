/**
 * Typed errors of the OFB client. The connector maps each class to a Link/job outcome, so every
 * failure leaving this module is one of these (or a TypeError for a programming mistake).
 *
 * Messages and properties never carry tokens, keys or the customer's documents: bank-provided
 * text is passed through `redact` before it is kept, and raw openid-client errors (whose `cause`
 * may hold ID token claims or token responses) are never attached.
 */

export interface OfbErrorDetails {
  /** HTTP status of the bank's answer, when there was one. */
  status?: number;
  /** `x-fapi-interaction-id` of the exchange, to quote to the bank. */
  interactionId?: string;
  /** `errors[].code` of an OFB error body, or the OAuth `error` value. */
  codes?: string[];
  cause?: unknown;
}

export class OfbError extends Error {
  readonly status?: number;
  readonly interactionId?: string;
  readonly codes: string[];

  constructor(message: string, details: OfbErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.interactionId = details.interactionId;
    this.codes = details.codes ?? [];
  }
}

/**
 * The bank ended the authorization in the callback (`error=access_denied` …) or the callback
 * failed its checks (`code` is then `invalid_callback`: state/nonce/signature/acr mismatch).
 */
export class OfbAuthorizationError extends OfbError {
  readonly code: string;
  readonly description?: string;

  constructor(code: string, description?: string, details: OfbErrorDetails = {}) {
    const safe = description === undefined ? undefined : redact(description);
    super(`OFB authorization failed: ${code}${safe ? ` (${safe})` : ''}`, { ...details, codes: [code] });
    this.code = code;
    this.description = safe;
  }
}

/** 401/403 from the bank, or a grant the AS refuses (invalid_grant …): consent or token is dead. */
export class OfbUnauthorizedError extends OfbError {
  declare readonly status: number;
}

/** 429 / 423 (operational limits, locked resource). */
export class OfbRateLimitedError extends OfbError {
  declare readonly status: number;
  /** Seconds from `Retry-After`, when the bank sent a usable one. */
  readonly retryAfterSeconds?: number;

  constructor(message: string, retryAfterSeconds: number | undefined, details: OfbErrorDetails) {
    super(message, details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 5xx, network failure or timeout: the bank is down or unreachable; retry later. */
export class OfbUnavailableError extends OfbError {}

/**
 * The bank's answer does not conform (OpenAPI document, interaction id echo, pagination, OAuth
 * response shape). Never returned as data.
 */
export class OfbResponseError extends OfbError {
  /** JSON path of the (first) violation: `$.data[0].amount`, `headers.x-fapi-interaction-id`. */
  readonly path: string;
  readonly issues: { path: string; message: string }[];

  constructor(message: string, path: string, details: OfbErrorDetails & { issues?: { path: string; message: string }[] } = {}) {
    super(`${message} at ${path}`, details);
    this.path = path;
    this.issues = details.issues ?? [{ path, message }];
  }
}

/** Any other refusal by the bank (400, 404, 405, 422 …), with the OFB/OAuth error codes. */
export class OfbRequestError extends OfbError {
  declare readonly status: number;
}

const JWT_LIKE = /\beyJ[\w-]{4,}(?:\.[\w-]*){1,4}/g;
// Formatted or bare CPF (11 digits) / CNPJ (14 digits); longer digit runs are left alone.
const DOCUMENT = /(?<!\d)(?:\d{3}\.?\d{3}\.?\d{3}-?\d{2}|\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2})(?!\d)/g;

/** Masks JWTs and CPF/CNPJ-shaped numbers in bank-provided text; caps its length. */
export function redact(text: string): string {
  return text.replace(JWT_LIKE, '[jwt]').replace(DOCUMENT, '[document]').slice(0, 300);
}

/**
 * `Retry-After` as seconds: delta-seconds or an HTTP-date (relative to `now`); undefined when
 * absent or unusable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at) || !/[a-z]/i.test(v)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * The error for a non-2xx HTTP status: 401/403 → unauthorized, 423/429 → rate limited,
 * 5xx → unavailable, other 4xx → request refused, anything else → non-conforming.
 */
export function errorForStatus(
  what: string,
  status: number,
  details: OfbErrorDetails & { retryAfter?: string | null; now: Date },
): OfbError {
  const { retryAfter, now, ...rest } = details;
  const d = { ...rest, status };
  const codes = d.codes?.length ? ` [${d.codes.join(', ')}]` : '';
  if (status === 401 || status === 403) return new OfbUnauthorizedError(`${what}: ${status}${codes}`, d);
  if (status === 429 || status === 423) {
    return new OfbRateLimitedError(`${what}: ${status}${codes}`, parseRetryAfter(retryAfter, now), d);
  }
  if (status >= 500) return new OfbUnavailableError(`${what}: ${status}${codes}`, d);
  if (status >= 400) return new OfbRequestError(`${what}: ${status}${codes}`, d);
  return new OfbResponseError(`${what}: unexpected status ${status}`, '$', d);
}

const NETWORK_CODES = /^(?:E(?:CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN|PIPE|TIMEDOUT)|UND_ERR_\w+)$/;

/** True for fetch/undici failures below HTTP: refused, reset, DNS, TLS, timeout, abort. */
export function isNetworkError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = e as { name?: string; code?: unknown; message?: string };
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (typeof code === 'string' && (NETWORK_CODES.test(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code === 'OAUTH_TIMEOUT')) {
      return true;
    }
    if (name === 'TypeError' && message === 'fetch failed') return true;
  }
  return false;
}

/** A network failure as OfbUnavailableError, keeping only the low-level code (no URL or body). */
export function unavailable(what: string, err: unknown, interactionId?: string): OfbUnavailableError {
  let code: string | undefined;
  for (let e = err, depth = 0; e && depth < 6 && !code; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown; name?: string }).code;
    if (typeof c === 'string' && c !== 'OAUTH_TIMEOUT') code = c;
    else if ((e as { name?: string }).name === 'TimeoutError') code = 'TIMEOUT';
  }
  return new OfbUnavailableError(`${what}: bank unreachable (${code ?? 'network error'})`, { interactionId, codes: code ? [code] : [] });
}
