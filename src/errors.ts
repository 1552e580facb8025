/**
 * Domain errors. Every failure the system knows about is a VinculoError with a Belvo error `code`;
 * `src/http/errors.ts` is the only place that maps codes to HTTP statuses and bodies. `retryable`
 * tells background jobs whether trying again later can succeed.
 */
import type { ConnectorNotice } from './connectors/connector.js';

export class VinculoError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: {
      retryable?: boolean;
      /** The request field the error is about (validation errors). */
      field?: string;
      /** Extra members of the error object (e.g. the 428 session). Never credentials. */
      extra?: Record<string, unknown>;
      /** Seconds after which trying again can succeed (the HTTP `Retry-After` header). */
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** Several field errors at once (one item each in Belvo's error array). */
export class ValidationErrors extends Error {
  constructor(readonly errors: VinculoError[]) {
    super(errors.map((e) => `${e.options.field ?? ''}: ${e.message}`).join('; '));
    this.name = 'ValidationErrors';
  }
}

export const fieldError = {
  required: (field: string) => new VinculoError('required', 'This field is required.', { field }),
  blank: (field: string) => new VinculoError('blank', 'This field may not be blank.', { field }),
  null: (field: string) => new VinculoError('null', 'This field may not be null.', { field }),
  invalid: (field: string, message: string) => new VinculoError('invalid', message, { field }),
  minLength: (field: string, n: number) =>
    new VinculoError('min_length', `Ensure this field has at least ${n} characters.`, { field }),
  doesNotExist: (field: string, key: string, value: string) =>
    new VinculoError('does_not_exist', `Object with ${key}=${value} does not exist.`, { field }),
};

export class InvalidCredentialsError extends VinculoError {
  constructor() {
    super('login_error', 'Invalid credentials provided to login to the institution');
  }
}
/**
 * The institution refused an MFA token (wrong or expired). Same answer as a bad password for the
 * client, but the stored credentials are fine, so the link's status does not change.
 */
export class InvalidTokenError extends InvalidCredentialsError {}

/** The stored credentials themselves were refused (not merely a token). */
export const isCredentialsRejected = (err: unknown): boolean =>
  err instanceof VinculoError && err.code === 'login_error' && !(err instanceof InvalidTokenError);

/**
 * The user's consent at the institution ended (revoked at the bank, expired, rejected): as a
 * rejected password, the link turns invalid; `notices` are the webhooks that say why (Belvo's
 * `CONSENT` `openfinance_consent_expired`).
 */
export class ConsentEndedError extends InvalidCredentialsError {
  constructor(readonly notices: ConnectorNotice[]) {
    super();
  }
}

/** The institution asks us to slow down (HTTP 429/423): try again later; nothing is wrong with the link. */
export class InstitutionRateLimitedError extends VinculoError {
  constructor(retryAfterSeconds?: number) {
    super('institution_unavailable', 'The financial institution is unavailable', { retryable: true, retryAfterSeconds });
  }
}

export class InstitutionDownError extends VinculoError {
  constructor() {
    super('institution_down', 'The financial institution is down, try again later', { retryable: true });
  }
}
export class InstitutionTimeoutError extends VinculoError {
  constructor() {
    super(
      'request_timeout',
      'The request timed out, you can retry asking for less data by changing your query parameters',
      { retryable: true },
    );
  }
}
export class TooManySessionsError extends VinculoError {
  constructor() {
    super(
      'too_many_sessions',
      'Impossible to login, a session is already opened with the institution for these credentials',
      { retryable: true },
    );
  }
}
export class NotFoundError extends VinculoError {
  constructor() {
    super('not_found', 'Not found');
  }
}

/**
 * The error catalogue: every code the API can answer with, its status and its default message, in
 * one place. The status belongs to the code in Belvo's contract (LINK webhooks carry it too);
 * src/http/errors.ts is the only code that writes it into a response. docs/errors.md documents
 * each code; a test keeps the two in step.
 */
export const ERROR_CATALOGUE = {
  required: { status: 400, message: 'This field is required.' },
  null: { status: 400, message: 'This field may not be null.' },
  blank: { status: 400, message: 'This field may not be blank.' },
  invalid: { status: 400, message: 'Invalid value.' },
  min_length: { status: 400, message: 'Ensure this field has at least 3 characters.' },
  max_length: { status: 400, message: 'Ensure this field has no more than 255 characters.' },
  does_not_exist: { status: 400, message: 'Object does not exist.' },
  parse_error: { status: 400, message: 'The request body is not valid JSON.' },
  request_too_large: { status: 400, message: 'The request body is larger than 1 MB.' },
  unsupported_media_type: { status: 400, message: 'The request body must be JSON (Content-Type: application/json).' },
  too_many_sessions: {
    status: 400,
    message: 'Impossible to login, a session is already opened with the institution for these credentials',
  },
  session_expired: {
    status: 400,
    message: 'The session you are trying to resume has expired, please start again from register/retrieve endpoint',
  },
  institution_down: { status: 400, message: 'The financial institution is down, try again later' },
  institution_unavailable: { status: 400, message: 'The financial institution is unavailable' },
  institution_inactive: { status: 400, message: 'The institution has been temporarily deactivated' },
  unsupported_operation: {
    status: 400,
    message: 'The resource you are trying to access is not supported by this institution',
  },
  invalid_link: { status: 400, message: 'The link has been invalidated. You may need to update link credentials' },
  // Open Finance consents (the Connect widget's exit callback carries them as last_encountered_error).
  consent_rejected: { status: 400, message: 'The user did not authorise the consent at the institution' },
  consent_failed: { status: 400, message: 'The consent could not be completed with the institution' },
  unconfirmed_link: { status: 400, message: 'The link creation has not been completed yet' },
  invalid_access_mode_switch: {
    status: 400,
    message: "This link doesn't have stored credentials hence it can't be switched to recurrent mode",
  },
  login_error: { status: 400, message: 'Invalid credentials provided to login to the institution' },
  idempotency_key_reused: {
    status: 400,
    message: 'This Idempotency-Key was already used with another request (method, path, query or body); use a new key for a new request.',
  },
  authentication_failed: { status: 401, message: 'Invalid Secret Keys' },
  permission_denied: { status: 403, message: 'You do not have permission to perform this action.' },
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  request_timeout: {
    status: 408,
    message: 'The request timed out, you can retry asking for less data by changing your query parameters',
  },
  idempotency_key_in_use: {
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed; retry once it has finished.',
  },
  token_required: { status: 428, message: 'A MFA token is required by the institution to login' },
  too_many_requests: { status: 429, message: 'Request was throttled.' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable, try again later.' },
  unexpected_error: {
    status: 500,
    message:
      'Belvo is unable to process the request due to an internal system issue or to an unsupported response from an institution',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Throw from a handler/service: `throw apiError('not_found')`. */
export function apiError(code: ErrorCode, message?: string, options: VinculoError['options'] = {}): VinculoError {
  return new VinculoError(code, message ?? ERROR_CATALOGUE[code].message, options);
}
