import type {
  FastifyInstance,
  FastifyRequest,
  onErrorAsyncHookHandler,
  onResponseAsyncHookHandler,
  onSendAsyncHookHandler,
  preValidationAsyncHookHandler,
} from 'fastify';
import { VinculoError } from '../errors.js';
import { parseIdempotencyKey, requestHash, type Idempotency } from '../idempotency/service.js';

/**
 * `Idempotency-Key` on POSTs under /api/ (see src/idempotency/service.ts). Hooks of the secret-key
 * routes that take POST, so the tenant is known (added to each such route as it is declared: the
 * GETs, PATCHes… run none of them):
 * - preValidation (the body is parsed, not yet validated, so a validation 400 is an answer like
 *   any other): claim the key, or replay its answer with `Idempotent-Replayed: true`;
 * - onSend: record the answer, or release the key when a retry should run again — a 5xx, a 429
 *   or 408, and the errors that say "try again" (too_many_sessions, institution_down).
 */

interface Claim {
  id: string;
  /** The answer is an error that asks to be retried. */
  retry: boolean;
  settled: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim?: Claim;
  }
}

/** Answers a retry must not get again: the request did not take effect and may succeed later. */
const RETRY_CODES = new Set(['too_many_sessions', 'institution_down', 'request_timeout', 'too_many_requests']);
const RETRY_STATUSES = new Set([408, 429]);
/** Headers of the first answer that a replay repeats (besides its status and body). */
const KEPT_HEADERS = ['content-type', 'location'] as const;
const REQUEST_MODE = 'x-belvo-request-mode';

type Hooks = {
  preValidation: preValidationAsyncHookHandler;
  onError: onErrorAsyncHookHandler;
  onSend: onSendAsyncHookHandler;
  onResponse: onResponseAsyncHookHandler;
};

/** Call before the routes are declared, in their scope. */
export function registerIdempotency(app: FastifyInstance, idempotency: Idempotency): void {
  const hooks = idempotencyHooks(idempotency);
  app.addHook('onRoute', (route) => {
    if (![route.method].flat().includes('POST')) return;
    for (const name of ['preValidation', 'onError', 'onSend', 'onResponse'] as const) {
      const own = route[name];
      (route as unknown as Record<string, unknown>)[name] = [...(own === undefined ? [] : [own].flat()), hooks[name]];
    }
  });
}

function idempotencyHooks(idempotency: Idempotency): Hooks {
  const preValidation: preValidationAsyncHookHandler = async (request, reply) => {
    if (request.method !== 'POST' || !request.url.startsWith('/api/')) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = parseIdempotencyKey(header);
    const mode = request.headers[REQUEST_MODE];
    const hash = requestHash({ method: request.method, url: request.url, body: request.body, mode: typeof mode === 'string' ? mode : undefined });
    const claimed = await idempotency.begin(request.principal.tenantId, key, hash);
    if (claimed.kind === 'claimed') {
      request.idempotencyClaim = { id: claimed.claim, retry: false, settled: false };
      request.principal.idempotent = { claim: claimed.claim, effect: claimed.effect };
      return;
    }
    const { status, headers, body } = claimed.answer;
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    reply.header('idempotent-replayed', 'true').status(status);
    return reply.send(body);
  };

  const onError: onErrorAsyncHookHandler = async (request, _reply, error) => {
    const claim = request.idempotencyClaim;
    if (claim && error instanceof VinculoError && (error.retryable || RETRY_CODES.has(error.code))) claim.retry = true;
  };

  const onSend: onSendAsyncHookHandler = async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim || claim.settled) return payload;
    claim.settled = true;
    const status = reply.statusCode;
    const body = payload === null || payload === undefined ? '' : typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    try {
      if (status >= 500 || RETRY_STATUSES.has(status) || claim.retry || body === null) await idempotency.release(claim.id);
      else await idempotency.complete(claim.id, { status, headers: keptHeaders(reply.getHeaders()), body });
    } catch (err) {
      // The answer still goes out; the key must not stay `running` (every retry would be a 409).
      request.log.error({ err }, 'could not record the answer of an idempotent request');
      await release(request, idempotency);
    }
    return payload;
  };

  // An answer that never reached onSend (the connection died first) must not hold the key.
  const onResponse: onResponseAsyncHookHandler = async (request) => {
    if (request.idempotencyClaim && !request.idempotencyClaim.settled) await release(request, idempotency);
  };
  return { preValidation, onError, onSend, onResponse };
}

function keptHeaders(all: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) if (all[name] !== undefined) out[name] = String(all[name]);
  return out;
}

async function release(request: FastifyRequest, idempotency: Idempotency): Promise<void> {
  const claim = request.idempotencyClaim!;
  claim.settled = true;
  await idempotency.release(claim.id).catch((err) => request.log.error({ err }, 'could not release an idempotency key'));
}
