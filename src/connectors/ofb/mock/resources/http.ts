/**
 * Framework-free HTTP pieces of the mock resource servers: request/response types, OFB error
 * bodies, pagination (links, meta, pagination-key) and query-parameter validation against the
 * documents' declared parameters.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { operationParameters, validateParameter, type SpecName } from '../../spec/validate.js';
import { isoSeconds } from './documents.js';

export interface Grant {
  consentId: string;
  cpf: string;
  permissions: string[];
  clientId: string;
}

export interface MockRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Thrown by handlers: becomes an OFB error answer (`errors[]` + `meta`). */
export class OfbError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

/**
 * Error meta per endpoint family: accounts/cards non-transaction endpoints document `ResponseError`
 * whose `Meta` requires totals; transaction endpoints, customers and resources only
 * `requestDateTime`.
 */
export type ErrorMetaStyle = 'totals' | 'single';

export function errorBody(e: OfbError, now: Date, style: ErrorMetaStyle): unknown {
  const meta = style === 'totals' ? { totalRecords: 1, totalPages: 1, requestDateTime: isoSeconds(now) } : { requestDateTime: isoSeconds(now) };
  return { errors: [{ code: e.code, title: e.title, detail: e.detail }], meta };
}

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// ---- query parameters ----------------------------------------------------------------------------

/**
 * Checks every declared query parameter present in the request against its schema (integers
 * coerced from their text); 400 on the first violation, as the documents' 400 ("atributos na URL").
 * Undeclared parameters are ignored, as most servers do.
 */
export function checkQuery(spec: SpecName, template: string, query: URLSearchParams, coerce: Record<string, (v: string) => unknown> = {}): void {
  for (const p of operationParameters(spec, 'get', template)) {
    if (p.in !== 'query' || !query.has(p.name)) continue;
    const raw = query.get(p.name) ?? '';
    const t = p.schema?.type;
    const value = coerce[p.name] ? coerce[p.name](raw) : (t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    const problems = validateParameter(spec, 'get', template, p.name, value);
    if (problems.length) throw new OfbError(400, 'PARAMETRO_INVALIDO', 'Parâmetro inválido', `Parâmetro ${p.name} inválido: ${problems.join('; ')}`);
  }
}

// ---- pagination --------------------------------------------------------------------------------

export interface PageRequest {
  page: number;
  pageSize: number;
}

/** `page` and `page-size` (already schema-checked); resources' page-size floor of 25 applied by the caller. */
export function pageRequest(query: URLSearchParams, minPageSize = 1): PageRequest {
  const page = query.has('page') ? Number(query.get('page')) : 1;
  const size = query.has('page-size') ? Number(query.get('page-size')) : 25;
  return { page, pageSize: Math.max(size, minPageSize) };
}

/**
 * Signs pagination keys: `<frozen now ms>-<mac>`. The key freezes the clock of the first page, so a
 * walk through the pages sees one consistent list even while new transactions arrive, and (as the
 * spec intends) marks follow-up calls that the operational limits must not count.
 */
export class PaginationKeys {
  private readonly secret = randomBytes(16);

  issue(scope: string, frozen: Date): string {
    return `${+frozen}-${this.mac(scope, +frozen)}`;
  }

  /** The frozen instant of a key issued for `scope`, or null. */
  check(scope: string, key: string | null): Date | null {
    const m = key ? /^(\d{1,15})-([0-9a-f]{20})$/.exec(key) : null;
    if (!m || this.mac(scope, Number(m[1])) !== m[2]) return null;
    return new Date(Number(m[1]));
  }

  private mac(scope: string, ms: number): string {
    return createHmac('sha256', this.secret).update(`${scope}\n${ms}`).digest('hex').slice(0, 20);
  }
}

/** The request's filters (everything but paging), in a canonical order: the pagination-key scope. */
export function filterScope(consentId: string, path: string, query: URLSearchParams): string {
  const kept = [...query.entries()].filter(([k]) => !['page', 'page-size', 'pagination-key'].includes(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${consentId}\n${path}\n${new URLSearchParams(kept).toString()}`;
}

export interface PageResult<T> {
  data: T[];
  links: Record<string, string>;
  meta: Record<string, unknown>;
}

/**
 * One page of `items`. `transactions`: TransactionsLinks (no `last`) + MetaOnlyRequestDateTime;
 * otherwise Links + Meta with totals (`withTotals` false for customers/resources' own metas is
 * handled by the caller). A page past the end of a non-empty list is a 422.
 */
export function paginate<T>(
  items: T[],
  req: PageRequest,
  opts: { self: string; link: (page: number) => string; transactions: boolean; now: Date },
): PageResult<T> {
  const totalRecords = items.length;
  const totalPages = Math.ceil(totalRecords / req.pageSize);
  if (req.page > Math.max(1, totalPages)) {
    throw new OfbError(422, 'PAGINA_INVALIDA', 'Página inválida', `A página ${req.page} não existe: a lista tem ${totalPages} página(s) de ${req.pageSize} registro(s).`);
  }
  const data = items.slice((req.page - 1) * req.pageSize, req.page * req.pageSize);
  const links: Record<string, string> = { self: opts.self };
  if (req.page > 1) {
    links.first = opts.link(1);
    links.prev = opts.link(req.page - 1);
  }
  if (req.page < totalPages) {
    links.next = opts.link(req.page + 1);
    if (!opts.transactions) links.last = opts.link(totalPages);
  }
  const requestDateTime = isoSeconds(opts.now);
  const meta = opts.transactions ? { requestDateTime } : { totalRecords, totalPages, requestDateTime };
  return { data, links, meta };
}

/** Links + meta of a single-object answer (`/accounts/{id}`, balances...). */
export function singleLinks(self: string, now: Date, totals: boolean): { links: Record<string, string>; meta: Record<string, unknown> } {
  const requestDateTime = isoSeconds(now);
  return { links: { self }, meta: totals ? { totalRecords: 1, totalPages: 1, requestDateTime } : { requestDateTime } };
}
