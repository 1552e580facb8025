import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiError, ERROR_CATALOGUE, ValidationErrors, VinculoError, fieldError } from '../errors.js';
import { drainRequest } from './input-guard.js';
import { isStoreUnavailable } from '../store/postgres-pool.js';

/**
 * The one place that writes Belvo's error array `[{request_id, code, message, field?}]` for any
 * error, at the status the catalogue (src/errors.ts) gives its code.
 */

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
    const child =
      v.keyword === 'required'
        ? (v.params as { missingProperty: string }).missingProperty
        : v.keyword === 'additionalProperties'
          ? (v.params as { additionalProperty: string }).additionalProperty
          : '';
    const field = [path, child].filter(Boolean).join('.');
    if (out.has(field)) continue;
    if (field === '' && v.keyword === 'type') {
      out.set(field, apiError('parse_error', 'The request body must be a JSON object.'));
      continue;
    }
    const data = (v as { data?: unknown }).data;
    let e: VinculoError;
    if (v.keyword === 'required') e = fieldError.required(field);
    else if (v.keyword === 'additionalProperties') e = fieldError.invalid(field, 'This field is not accepted here.');
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
    } else if (isStoreUnavailable(error)) {
      // The database did not answer in time: the client may retry; the log line says why.
      request.log.warn({ err: error }, 'store unavailable');
      errors = [apiError('service_unavailable', undefined, { retryAfterSeconds: 1 })];
    } else {
      // Never echo internal messages: they may hold anything. The log line has the details.
      request.log.error({ err: error }, 'unhandled error');
      errors = [apiError('unexpected_error')];
    }
  }
  const status = statusOf(errors[0].code);
  if (status >= 500) reply.header('connection', 'close');
  const retryAfter = errors[0].options.retryAfterSeconds;
  if (retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  if (errors[0].code === 'request_too_large') await drainRequest(request);
  return reply.header('x-request-id', request.id).status(status).send(errors.map((e) => item(request, e)));
}
