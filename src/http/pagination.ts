import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiError } from '../errors.js';
import { first, type Page, type PageRequest } from '../pagination.js';
import { asksForShape } from './shape.js';

/**
 * The URL the client used to reach us. `request.protocol`/`request.host` honour a reverse proxy's
 * X-Forwarded-Proto/-Host only when the server trusts it (VINCULO_TRUST_PROXY, fastify's
 * `trustProxy`); a value that is not a plain scheme or host falls back to the connection's own.
 */
export function publicUrl(request: FastifyRequest): URL {
  const proto = request.protocol === 'https' || request.protocol === 'http' ? request.protocol : 'http';
  const host = [request.host, first(request.headers.host)].find(isPlainHost) ?? 'localhost';
  return new URL(request.url, `${proto}://${host}`);
}

/** `host` or `host:port` as a URL authority, nothing more (no userinfo, path or spaces). */
function isPlainHost(value: string | undefined): value is string {
  if (!value || !/^[A-Za-z0-9.\-_:[\]]+$/.test(value)) return false;
  try {
    return new URL(`http://${value}/`).host === value.toLowerCase().replace(/:80$/, '');
  } catch {
    return false;
  }
}

/** Belvo's list envelope for one page: `next`/`previous` are absolute URLs to this server. */
export function toPage<T>(request: FastifyRequest, req: PageRequest, count: number, results: T[]): Page<T> {
  if (req.page > 1 && req.offset >= count) throw apiError('not_found', 'Invalid page.');
  const link = (page: number) => {
    const url = publicUrl(request);
    url.searchParams.set('page', String(page));
    return url.toString();
  };
  return {
    count,
    next: req.offset + results.length < count ? link(req.page + 1) : null,
    previous: req.page > 1 ? link(req.page - 1) : null,
    results,
  };
}

/**
 * Answers a page whose results are JSON text already (link data, links: built by the store): the
 * envelope serialised around them. `fields`/`omit` shape objects, so those results are parsed
 * and answered as any page (src/http/shape.ts).
 */
export function sendPageJson(request: FastifyRequest, reply: FastifyReply, req: PageRequest, count: number, results: string[]) {
  if (asksForShape(request)) return toPage(request, req, count, results.map((r) => JSON.parse(r) as unknown));
  const { results: _, ...envelope } = toPage(request, req, count, results);
  return reply.type('application/json; charset=utf-8').send(`${JSON.stringify(envelope).slice(0, -1)},"results":[${results.join(',')}]}`);
}
