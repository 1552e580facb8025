/** What a route handler gets for one request, and the date-window rules shared by the APIs. */
import type { SpecName } from '../../spec/validate.js';
import type { CustomerFixture } from './fixture.js';
import { addMonths, localDay, parseYmd } from './documents.js';
import type { LimitClass } from './faults.js';
import { OfbError, type ErrorMetaStyle, type Grant, type MockRequest, type PageRequest, type PageResult } from './http.js';

export interface Ctx {
  req: MockRequest;
  grant: Grant;
  /** Path parameters by the template's names (`accountId`, `creditCardAccountId`, `billId`). */
  params: Record<string, string>;
  /** The instant the data is read at: the request time, or the first page's when paging by key. */
  now: Date;
  /** The customer at `now` (built on first use). */
  fixture(): CustomerFixture;
  /** Query parameters checked against the document (400 otherwise). */
  checkQuery(coerce?: Record<string, (v: string) => unknown>): void;
  page(minPageSize?: number): PageRequest;
  /** Counts one call against the operational limits (429 when exhausted; not counted when paging by key). */
  count(cls: LimitClass, resource?: string): void;
  /** One page with links (pagination-key carried) and meta. */
  paginate<T>(items: T[], page: PageRequest, transactions: boolean): PageResult<T>;
  /** `{ links: { self }, meta }` of a single-object answer. */
  single(totals: boolean): { links: Record<string, string>; meta: Record<string, unknown> };
  limits: { shortWindowMaxSpanDays: number };
}

export interface Route {
  spec: SpecName;
  /** The document's path key. */
  template: string;
  /** The consent permission the document names for the operation. */
  permission: string;
  errorMeta: ErrorMetaStyle;
  handle(ctx: Ctx): unknown;
}

export interface DateWindow {
  from: number;
  to: number;
}

/**
 * `from`/`to` date filters: both or neither (neither = today, as the documents say); `from <= to`;
 * `current` windows may start at D-6 at the earliest ("7 dias inclusive (D-6)"), history windows
 * 12 months back; both may reach 12 months ahead (accounts: "12 meses no futuro"). Missing pair
 * → 400; impossible or out-of-range window → 422.
 */
export function dateWindow(ctx: Ctx, fromName: string, toName: string, current: boolean): DateWindow {
  const q = ctx.req.query;
  const today = localDay(ctx.now);
  const hasFrom = q.has(fromName);
  const hasTo = q.has(toName);
  if (hasFrom !== hasTo) {
    const missing = hasFrom ? toName : fromName;
    throw new OfbError(400, 'PARAMETRO_NAO_INFORMADO', 'Parâmetro não informado', `${missing} deve ser enviado junto com ${hasFrom ? fromName : toName}.`);
  }
  if (!hasFrom) return { from: today, to: today };
  const from = parseYmd(q.get(fromName) ?? '');
  const to = parseYmd(q.get(toName) ?? '');
  if (from === null || to === null) throw new OfbError(400, 'PARAMETRO_INVALIDO', 'Parâmetro inválido', `${fromName}/${toName} devem ser datas AAAA-MM-DD.`);
  if (from > to) throw new OfbError(422, 'PARAMETRO_INVALIDO', 'Período inválido', `${fromName} é posterior a ${toName}.`);
  const earliest = current ? today - 6 : addMonths(today, -12);
  if (from < earliest) {
    const rule = current ? 'no máximo 7 dias no passado (D-6)' : 'no máximo 12 meses no passado';
    throw new OfbError(422, 'PARAMETRO_INVALIDO', 'Período inválido', `${fromName} fora do período permitido: ${rule}.`);
  }
  if (to > addMonths(today, 12)) throw new OfbError(422, 'PARAMETRO_INVALIDO', 'Período inválido', `${toName} fora do período permitido: no máximo 12 meses no futuro.`);
  return { from, to };
}

/** The limit class of a transactions call: short windows (and every `-current` call) are cheap. */
export function transactionsClass(ctx: Ctx, w: DateWindow, current: boolean): LimitClass {
  return current || w.to - w.from <= ctx.limits.shortWindowMaxSpanDays ? 'transactionsShortWindow' : 'transactions';
}

export function notFound(what: string, id: string): OfbError {
  return new OfbError(404, 'RECURSO_NAO_ENCONTRADO', 'Recurso não encontrado', `${what} ${id} não encontrado para este consentimento.`);
}
