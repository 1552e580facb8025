import { sql, type SelectQueryBuilder } from 'kysely';

export interface PageWindow {
  limit: number;
  offset: number;
}

/**
 * One page of a filtered query plus the total the list envelope needs. The rows come first; the
 * count is only run when the page cannot tell it (a page that is not full and not empty ends the
 * list, so the total is `offset + rows`) — counting a large tenant dominated list latency.
 *
 * `base` is the filtered query without projection; `rows` adds projection and order to it.
 * `knownCount`: the total as the caller already knows it (a cache that hears every change).
 */
export async function pageOf<Row, QB extends SelectQueryBuilder<any, any, any>>(
  base: QB,
  rows: (qb: QB) => Promise<Row[]>,
  window: PageWindow,
  knownCount?: number,
): Promise<{ count: number; rows: Row[] }> {
  const found = await rows(base.limit(window.limit).offset(window.offset) as QB);
  if (knownCount !== undefined) return { count: knownCount, rows: found };
  if (found.length > 0 && found.length < window.limit) return { count: window.offset + found.length, rows: found };
  if (found.length === 0 && window.offset === 0) return { count: 0, rows: found };
  const { count } = await base.select(sql<number>`count(*)::int`.as('count')).executeTakeFirstOrThrow();
  return { count, rows: found };
}
