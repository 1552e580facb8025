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

/** A query parameter's value (the first, when repeated). */
export const first = (v: unknown): string | undefined => (Array.isArray(v) ? v[0] : v === undefined ? undefined : String(v));

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
