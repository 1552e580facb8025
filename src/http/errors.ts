import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationErrors, VinculoError, fieldError } from '../errors.js';
import { drainRequest } from './input-guard.js';

/**
 * The error catalogue: every code the API can answer with, its HTTP status and its default
 * message, in one place. Handlers and services throw VinculoError; `registerErrorHandling` is the
 * only code that writes Belvo's error array `[{request_id, code, message, field?}]`.
 * docs/errors.md documents each code; a test keeps the two in step.
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
  unconfirmed_link: { status: 400, message: 'The link creation has not been completed yet' },
  invalid_access_mode_switch: {
    status: 400,
    message: "This link doesn't have stored credentials hence it can't be switched to recurrent mode",
  },
  login_error: { status: 400, message: 'Invalid credentials provided to login to the institution' },
  authentication_failed: { status: 401, message: 'Invalid Secret Keys' },
  permission_denied: { status: 403, message: 'You do not have permission to perform this action.' },
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  request_timeout: {
    status: 408,
    message: 'The request timed out, you can retry asking for less data by changing your query parameters',
  },
  token_required: { status: 428, message: 'A MFA token is required by the institution to login' },
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

interface ErrorItem {
  request_id: string;
  code: string;
  message: string;
  field?: string | null;
  [extra: string]: unknown;
}

function item(request: FastifyRequest, e: VinculoError): ErrorItem {
  const out: ErrorItem = { request_id: request.id, code: e.code, message: e.message };
  if (e.options.field !== undefined) out.field = e.options.field;
  return Object.assign(out, e.options.extra);
}

function statusOf(code: string): number {
  return (ERROR_CATALOGUE as Record<string, { status: number }>)[code]?.status ?? 500;
}

/** Turns Ajv's errors (fastify schema validation) into Belvo field errors. */
function fromValidation(error: FastifyError): VinculoError[] {
  const out = new Map<string, VinculoError>();
  for (const v of error.validation ?? []) {
    const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field =
      v.keyword === 'required' ? [path, (v.params as { missingProperty: string }).missingProperty].filter(Boolean).join('.') : path;
    if (out.has(field)) continue;
    if (field === '' && v.keyword === 'type') {
      out.set(field, apiError('parse_error', 'The request body must be a JSON object.'));
      continue;
    }
    const data = (v as { data?: unknown }).data;
    let e: VinculoError;
    if (v.keyword === 'required') e = fieldError.required(field);
    else if (data === null) e = fieldError.null(field);
    else if (v.keyword === 'minLength' && data === '') e = fieldError.blank(field);
    else if (v.keyword === 'minLength') e = fieldError.minLength(field, (v.params as { limit: number }).limit);
    else if (v.keyword === 'maxLength')
      e = new VinculoError('max_length', `Ensure this field has no more than ${(v.params as { limit: number }).limit} characters.`, { field });
    else if (v.keyword === 'enum')
      e = fieldError.invalid(field, `"${String(data)}" is not a valid choice.`);
    else if (v.keyword === 'format' && (v.params as { format: string }).format === 'uuid')
      e = fieldError.invalid(field, 'Must be a valid UUID.');
    else if (v.keyword === 'type') e = fieldError.invalid(field, `Must be of type ${(v.params as { type: string }).type}.`);
    else e = fieldError.invalid(field, 'Invalid value.');
    out.set(field, e);
  }
  return [...out.values()];
}

/** Maps fastify's own errors (body parsing, size) to catalogue codes. */
function fromFastify(error: FastifyError): VinculoError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      // Fixed text: JSON.parse messages can quote the body, which may hold credentials.
      return apiError('parse_error');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiError('request_too_large');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // A path that cannot be decoded, or an id longer than any id: nothing lives there.
      return apiError('not_found');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return apiError('unsupported_media_type');
    default:
      return null;
  }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
}

/**
 * Answers any error in Belvo's format. Also fastify's `frameworkErrors` (router errors raised
 * before any route or hook runs), so `x-request-id` is set here too.
 */
export async function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let errors: VinculoError[];
  if (error instanceof ValidationErrors) errors = error.errors;
  else if (error instanceof VinculoError) errors = [error];
  else if (error.validation) errors = fromValidation(error);
  else {
    const mapped = fromFastify(error);
    if (mapped) errors = [mapped];
    else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      errors = [apiError('invalid', error.message)];
    } else {
      // Never echo internal messages: they may hold anything. The log line has the details.
      request.log.error({ err: error }, 'unhandled error');
      errors = [apiError('unexpected_error')];
    }
  }
  const status = statusOf(errors[0].code);
  if (status >= 500) reply.header('connection', 'close');
  if (errors[0].code === 'request_too_large') await drainRequest(request);
  return reply.header('x-request-id', request.id).status(status).send(errors.map((e) => item(request, e)));
}
