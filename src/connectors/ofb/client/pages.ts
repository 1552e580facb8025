/**
 * Pagination over the OFB data APIs: follow `links.next` until it is absent. The next link is
 * trusted only for its query: it must name the same endpoint, is called on the configured API
 * base (the bearer token never goes to a host the bank's body chose), must not repeat a page
 * already fetched, and the walk stops with an error past `maxPages`.
 */
import { OfbResponseError } from './errors.js';

export interface OfbDocument<T = unknown> {
  data: T;
  links?: { self?: string; first?: string; prev?: string; next?: string; last?: string };
  meta?: { totalRecords?: number; totalPages?: number; requestDateTime?: string };
}

export type Query = Record<string, string | number | undefined> | URLSearchParams;

export function toSearchParams(query: Query | undefined): URLSearchParams {
  if (!query) return new URLSearchParams();
  if (query instanceof URLSearchParams) return new URLSearchParams(query);
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out.set(k, String(v));
  return out;
}

/** Canonical form of a query (sorted), to recognise a page already visited. */
function pageKey(q: URLSearchParams): string {
  const s = new URLSearchParams(q);
  s.sort();
  return s.toString();
}

/**
 * Yields each page's body, starting at `path` + `query`. `fetchPage` does the (validated) call.
 */
export async function* walkPages<T>(
  path: string,
  query: URLSearchParams,
  maxPages: number,
  fetchPage: (path: string, query: URLSearchParams) => Promise<OfbDocument<T[]>>,
): AsyncGenerator<OfbDocument<T[]>> {
  const seen = new Set<string>();
  let q: URLSearchParams | undefined = query;
  while (q) {
    seen.add(pageKey(q));
    const page = await fetchPage(path, q);
    if (!Array.isArray(page.data)) throw new TypeError(`${path} is not a list endpoint`);
    yield page;
    const next = page.links?.next;
    if (next === undefined || next === null || next === '') return;
    q = nextQuery(path, next);
    if (seen.has(pageKey(q))) {
      throw new OfbResponseError('links.next points to a page already fetched', '$.links.next');
    }
    if (seen.size >= maxPages) throw new OfbResponseError(`more than ${maxPages} pages`, '$.links.next');
  }
}

function nextQuery(path: string, next: string): URLSearchParams {
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    throw new OfbResponseError('links.next is not an absolute URL', '$.links.next');
  }
  const at = url.pathname.indexOf('/open-banking/');
  const nextPath = at < 0 ? '' : url.pathname.slice(at).replace(/\/+$/, '');
  if (nextPath !== path.replace(/\/+$/, '')) {
    throw new OfbResponseError('links.next names another endpoint', '$.links.next');
  }
  return url.searchParams;
}
