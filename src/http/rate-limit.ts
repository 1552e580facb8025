import type { FastifyInstance } from 'fastify';
import type { RateLimiter } from '../rate-limit/buckets.js';
import { throttledError } from '../tenants/throttle.js';

/**
 * VINCULO_RATE_LIMIT: an onRequest hook of the secret-key routes, after authentication (the
 * bucket is the key's). Every answer to an authenticated /api/ request carries RateLimit-Limit,
 * -Remaining and -Reset; over the limit the request is answered 429 too_many_requests with
 * Retry-After before anything else runs.
 */
export function registerRateLimit(app: FastifyInstance, limiter: RateLimiter): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const take = await limiter.take(request.principal.keyId);
    reply.header('ratelimit-limit', String(take.limit));
    reply.header('ratelimit-remaining', String(take.remaining));
    reply.header('ratelimit-reset', String(take.resetSeconds));
    if (!take.allowed) throw throttledError(take.retryAfterMs);
  });
}
