/**
 * The HTTP side of the OFB client: an undici Agent presenting the transport certificate (mTLS),
 * a fetch with a per-call timeout (also handed to openid-client as `customFetch`), and
 * `callOfbApi`, which every consents/data API call goes through:
 * `x-fapi-interaction-id` (UUID v4) sent and checked when echoed, status → typed error, JSON
 * parse, and validation of 2xx answers (body and declared headers) against the OFB OpenAPI
 * documents via src/connectors/ofb/spec/validate.ts.
 */
import { randomUUID } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { SPECS, templateFor, validateResponse, type SpecName } from '../spec/validate.js';
import { errorForStatus, isNetworkError, OfbResponseError, redact, unavailable } from './errors.js';

type FetchInit = NonNullable<Parameters<typeof undiciFetch>[1]>;
export type TransportFetch = (url: string | URL, init?: FetchInit) => ReturnType<typeof undiciFetch>;

export interface TransportOptions {
  /** Transport (mTLS) certificate and its private key, PEM. */
  certPem: string;
  keyPem: string;
  /** Extra trust anchor(s) (PEM) on top of Node's bundled roots, e.g. a sandbox CA. */
  caPem?: string | string[];
  timeoutMs: number;
  /**
   * Use this dispatcher instead of building one (proxies, shared pools). It must present the
   * client certificate itself; `close()` leaves it open.
   */
  dispatcher?: Dispatcher;
}

export interface Transport {
  fetch: TransportFetch;
  timeoutMs: number;
  close(): Promise<void>;
}

export function createTransport(options: TransportOptions): Transport {
  const extra = options.caPem === undefined ? [] : Array.isArray(options.caPem) ? options.caPem : [options.caPem];
  // `ca` replaces Node's roots, so the bundled ones are added back: the CA is *extra* trust.
  const own = options.dispatcher
    ? undefined
    : new Agent({
        connect: {
          cert: options.certPem,
          key: options.keyPem,
          ...(extra.length ? { ca: [...rootCertificates, ...extra] } : {}),
          minVersion: 'TLSv1.2',
        },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
  const dispatcher = options.dispatcher ?? own!;
  const fetch: TransportFetch = (url, init = {}) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal as AbortSignal, timeout]) : timeout;
    return undiciFetch(url, { ...init, signal, dispatcher });
  };
  return {
    fetch,
    timeoutMs: options.timeoutMs,
    close: async () => {
      await own?.close();
    },
  };
}

/** The OFB document serving an `/open-banking/...` path. */
export function specFor(ofbPath: string): SpecName {
  const path = ofbPath.split('?')[0]!;
  const spec = (Object.keys(SPECS) as SpecName[]).find((n) => path === SPECS[n].basePath || path.startsWith(`${SPECS[n].basePath}/`));
  if (!spec) throw new TypeError(`${path} belongs to no OFB API this client knows`);
  return spec;
}

export interface OfbApiCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Absolute URL called (on the configured API base). */
  url: URL;
  /** The `/open-banking/...` path, to find the document and operation. */
  ofbPath: string;
  accessToken: string;
  body?: unknown;
  /** Extra request headers (the sandbox bank's `x-vinculo-sandbox-now`); they never replace the ones set here. */
  headers?: Readonly<Record<string, string>>;
}

export interface OfbApiAnswer {
  status: number;
  body: unknown;
  interactionId: string;
}

/** What an error message may say about a call: method and document template, never ids or query. */
function describe(call: OfbApiCall, spec: SpecName): string {
  const template = templateFor(spec, call.ofbPath) ?? '?';
  return `${call.method} ${SPECS[spec].basePath}${template}`;
}

function errorCodes(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((e) => (e && typeof (e as { code?: unknown }).code === 'string' ? redact((e as { code: string }).code).slice(0, 60) : ''))
    .filter(Boolean)
    .slice(0, 5);
}

/**
 * One call to an OFB API over mTLS. Returns 2xx answers that conform to the document; throws an
 * OfbError subclass otherwise.
 */
export async function callOfbApi(transport: Transport, call: OfbApiCall, now: () => Date): Promise<OfbApiAnswer> {
  const spec = specFor(call.ofbPath);
  const what = describe(call, spec);
  const interactionId = randomUUID();
  let res: Awaited<ReturnType<TransportFetch>>;
  let text: string;
  try {
    res = await transport.fetch(call.url, {
      method: call.method,
      headers: {
        ...call.headers,
        accept: 'application/json',
        authorization: `Bearer ${call.accessToken}`,
        'x-fapi-interaction-id': interactionId,
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      // A redirect would carry the bearer elsewhere; a 3xx is reported as unexpected instead.
      redirect: 'manual',
    });
    text = await res.text();
  } catch (err) {
    if (isNetworkError(err)) throw unavailable(what, err, interactionId);
    throw err;
  }

  // FAPI: the server echoes our id; another one means the answer is not for this request.
  const echoed = res.headers.get('x-fapi-interaction-id');
  if (echoed !== null && echoed !== interactionId) {
    throw new OfbResponseError(`${what}: x-fapi-interaction-id does not match the one sent`, 'headers.x-fapi-interaction-id', {
      status: res.status,
      interactionId,
    });
  }

  let body: unknown;
  let parsed = true;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      parsed = false;
    }
  }

  if (res.status < 200 || res.status >= 300) {
    throw errorForStatus(what, res.status, {
      interactionId,
      codes: parsed ? errorCodes(body) : [],
      retryAfter: res.headers.get('retry-after'),
      now: now(),
    });
  }
  if (!parsed) throw new OfbResponseError(`${what}: answer is not JSON`, '$', { status: res.status, interactionId });

  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const issues = validateResponse(spec, call.method, call.ofbPath.split('?')[0]!, res.status, body, headers);
  if (issues.length) {
    const first = issues[0]!;
    // Ajv messages name the rule (pattern, enum, type), never the offending value.
    throw new OfbResponseError(`${what}: answer does not conform to ${SPECS[spec].file} (${first.message})`, first.path, {
      status: res.status,
      interactionId,
      issues: issues.slice(0, 20).map(({ path, message }) => ({ path, message })),
    });
  }
  return { status: res.status, body, interactionId };
}
