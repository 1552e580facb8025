/**
 * Domain errors. Every failure the system knows about is a VinculoError with a Belvo error `code`;
 * `src/http/errors.ts` is the only place that maps codes to HTTP statuses and bodies. `retryable`
 * tells background jobs whether trying again later can succeed.
 */
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
