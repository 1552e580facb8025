import type { FastifyRequest } from 'fastify';
import { apiError } from './errors.js';

/**
 * Belvo's page-number pagination: `page` (1-based) and `page_size` (default 100, clamped to
 * 1..1000), answered as `{count, next, previous, results}` where next/previous are absolute URLs
 * to this server that keep every other query parameter (the SDK follows `next` verbatim).
 */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

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
  const rawPage = first(query.page);
  const page = rawPage === undefined || rawPage === '' ? 1 : Number(rawPage);
  if (!Number.isInteger(page) || page < 1) throw apiError('not_found', 'Invalid page.');
  const rawSize = first(query.page_size);
  const size = rawSize === undefined || rawSize === '' || !/^-?\d+$/.test(rawSize) ? DEFAULT_PAGE_SIZE : Number(rawSize);
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, size));
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/** The URL the client used to reach us, honouring a reverse proxy's X-Forwarded-* headers. */
export function publicUrl(request: FastifyRequest): URL {
  const header = (name: string) => first(request.headers[name])?.split(',')[0].trim();
  const proto = header('x-forwarded-proto') || request.protocol;
  const host = header('x-forwarded-host') || request.headers.host || 'localhost';
  return new URL(request.url, `${proto}://${host}`);
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
