import { sql, type Kysely } from 'kysely';
import type { Database, DataTable } from '../schema.js';

type Db = Kysely<Database>;

/**
 * Claims up to `limit` links whose refresh is due, for this process: their next_refresh_at moves
 * to `until` (a guard: if the refresh job is lost, the link comes due again then), and the
 * caller sends their jobs in the same transaction. SKIP LOCKED lets several schedulers run.
 */
export async function claimDueRefreshes(db: Db, now: Date, until: Date, limit: number): Promise<string[]> {
  const rows = await db
    .updateTable('links')
    .set({ next_refresh_at: until })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('links')
        .select('id')
        .where('next_refresh_at', '<=', now)
        .orderBy('next_refresh_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Links whose `credentials_storage: Nd` ran out: credentials deleted, link invalid. Returns them. */
export async function expireCredentials(db: Db, now: Date): Promise<{ id: string; tenant_id: string; external_id: string | null }[]> {
  const expired = await db
    .selectFrom('links')
    .innerJoin('link_credentials', 'link_credentials.link_id', 'links.id')
    .select(['links.id', 'links.tenant_id', 'links.external_id', 'links.credentials_storage'])
    .where('links.credentials_expire_at', '<=', now)
    .execute();
  if (!expired.length) return [];
  await db.deleteFrom('link_credentials').where('link_id', 'in', expired.map((l) => l.id)).execute();
  // A nostore link only kept them for its first load: it stays as it was.
  const invalid = expired.filter((l) => l.credentials_storage !== 'nostore');
  if (invalid.length) {
    await db.updateTable('links').set({ status: 'invalid', next_refresh_at: null }).where('id', 'in', invalid.map((l) => l.id)).execute();
  }
  return invalid;
}

const STALE_TABLES: readonly DataTable[] = [
  'transactions',
  'balances',
  'accounts',
  'owners',
  'invoices',
  'tax_returns',
  'tax_statuses',
  'tax_compliance_statuses',
  'employment_records',
];

/**
 * Deletes the data of links with `stale_in: Nd` that was collected more than N days before `now`.
 * Only links with a `stale_in` are visited (partial index links_stale_in).
 */
export async function deleteStaleData(db: Db, now: Date): Promise<number> {
  let deleted = 0;
  for (const table of STALE_TABLES) {
    const r = await sql`
      delete from ${sql.table(table)} t using links l
      where l.stale_in is not null and l.id = t.link_id
        and t.collected_at < ${now}::timestamptz - make_interval(days => cast(rtrim(l.stale_in, 'd') as int))`.execute(db);
    deleted += Number(r.numAffectedRows ?? 0);
  }
  return deleted;
}

/**
 * Deletes a link's stored objects dated within [from, to] that are not in `keep` (the institution
 * no longer has them). Returns the deleted ids.
 */
export async function deleteMissing(db: Db, table: DataTable, linkId: string, from: string, to: string, keep: readonly string[]): Promise<string[]> {
  const rows = await (db as Kysely<any>)
    .deleteFrom(table)
    .where('link_id', '=', linkId)
    .where('record_date', '>=', from)
    .where('record_date', '<=', to)
    .$if(keep.length > 0, (q) => q.where('id', 'not in', keep))
    .returning('id')
    .execute();
  return rows.map((r: { id: string }) => r.id);
}
