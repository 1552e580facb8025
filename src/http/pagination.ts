import type { FastifyRequest } from 'fastify';
import { apiError } from './errors.js';

/**
 * Belvo's page-number pagination: `page` (1-based) and `page_size` (default 100, clamped to
 * 1..1000), answered as `{count, next, previous, results}` where next/previous are absolute URLs
 * to this server that keep every other query parameter (the SDK follows `next` verbatim).
 */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Past this many rows no list can reach (and a bigint OFFSET would overflow well after). */
const MAX_OFFSET = 2 ** 48;

export interface PageRequest {
  page: number;
  pageSize: number;
  limit: number;
  offset: number;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

const first = (v: unknown): string | undefined => (Array.isArray(v) ? v[0] : v === undefined ? undefined : String(v));

export function pageRequest(query: Record<string, unknown>): PageRequest {
  const rawSize = first(query.page_size);
  // django's paginator: a malformed page_size falls back to the default, an out-of-range one is clamped.
  const size = rawSize === undefined || !/^[+-]?\d+$/.test(rawSize) ? DEFAULT_PAGE_SIZE : Number(rawSize);
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, size));
  const rawPage = first(query.page);
  const page = rawPage === undefined || rawPage === '' ? 1 : /^\d+$/.test(rawPage) ? Number(rawPage) : NaN;
  const offset = (page - 1) * pageSize;
  // Any page that is not a whole number ≥ 1, or lies past every possible row (an offset the
  // database could not take), is DRF's 404 "Invalid page." — never a database error.
  if (!(page >= 1) || !Number.isSafeInteger(offset) || offset > MAX_OFFSET) throw apiError('not_found', 'Invalid page.');
  return { page, pageSize, limit: pageSize, offset };
}

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
