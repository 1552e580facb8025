import type { FastifyRequest } from 'fastify';
import type { Principal, Tenants } from '../tenants/service.js';
import { apiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Reads `Authorization: Basic base64(id:password)`; null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { id: string; password: string } | null {
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { id: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * onRequest hook: every API route needs a valid secret key pair. Failed checks are throttled per
 * client address (`request.ip`, which follows VINCULO_TRUST_PROXY) and per key id: a throttled
 * caller gets 429 too_many_requests with Retry-After (see Tenants.authenticate).
 */
export function basicAuth(tenants: Tenants) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const pair = parseBasicAuth(request.headers.authorization);
    const principal = pair && (await tenants.authenticate(pair.id, pair.password, request.ip));
    if (!principal) throw apiError('authentication_failed');
    // The cached principal is shared by the key's requests: this request's copy carries its id (audit log).
    request.principal = { ...principal, requestId: request.id };
  };
}
