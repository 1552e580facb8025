import { sql, type Kysely } from 'kysely';
import type { Database, DataTable } from '../schema.js';
import { tenantNow } from './tenants.js';

type Db = Kysely<Database>;

/**
 * Claims up to `limit` links whose refresh is due on their tenant's clock, for this process:
 * their next_refresh_at moves `guardMs` past that now (if the refresh job is lost, the link comes
 * due again then), and the caller sends their jobs in the same transaction. SKIP LOCKED lets
 * several schedulers run. Offsets only move forward, so everything due in real time is due for
 * every tenant (one index range); tenants whose clock runs ahead are probed one by one.
 */
export async function claimDueRefreshes(db: Db, now: Date, guardMs: number, limit: number): Promise<{ id: string; tenant_id: string; claim: Date }[]> {
  const r = await sql<{ id: string; tenant_id: string; claim: Date }>`
    with candidates as (
      (select id from links where next_refresh_at <= ${now}::timestamptz order by next_refresh_at limit ${limit})
      union
      (select ahead.id from tenants t cross join lateral (
         select id from links
         where tenant_id = t.id and next_refresh_at > ${now}::timestamptz and next_refresh_at <= ${tenantNow(now)}
         order by next_refresh_at limit ${limit}) ahead
       where t.clock_offset_ms > 0)
    ), due as (
      select l.id, ${tenantNow(now)} as tenant_now from links l join tenants t on t.id = l.tenant_id
      where l.id in (select id from candidates) and l.next_refresh_at <= ${tenantNow(now)}
      order by l.next_refresh_at limit ${limit}
      for update of l skip locked
    )
    update links set next_refresh_at = due.tenant_now + ${guardMs}::double precision * interval '1 millisecond'
    from due where links.id = due.id
    returning links.id, links.tenant_id, links.next_refresh_at as claim`.execute(db);
  return r.rows;
}

/**
 * Up to `limit` links whose `credentials_storage: Nd` ran out on their tenant's clock, soonest
 * expired first: their credentials are deleted and, unless `nostore` (which only kept them for its
 * first load and stays as it was), they become invalid. Returns every link whose credentials went.
 * Call it inside a transaction: the links stay locked (SKIP LOCKED, so several schedulers may run)
 * until it commits.
 */
export async function expireCredentials(db: Db, now: Date, limit: number): Promise<{ id: string; tenant_id: string; invalid: boolean }[]> {
  const { rows: expired } = await sql<{ id: string; tenant_id: string; credentials_storage: string }>`
    select l.id, l.tenant_id, l.credentials_storage
    from links l join link_credentials c on c.link_id = l.id join tenants t on t.id = l.tenant_id
    where l.credentials_expire_at <= ${tenantNow(now)}
    order by l.credentials_expire_at limit ${limit}
    for update of l skip locked`.execute(db);
  if (!expired.length) return [];
  await db.deleteFrom('link_credentials').where('link_id', 'in', expired.map((l) => l.id)).execute();
  const invalid = expired.filter((l) => l.credentials_storage !== 'nostore');
  if (invalid.length) {
    await db.updateTable('links').set({ status: 'invalid', next_refresh_at: null }).where('id', 'in', invalid.map((l) => l.id)).execute();
  }
  return expired.map((l) => ({ id: l.id, tenant_id: l.tenant_id, invalid: l.credentials_storage !== 'nostore' }));
}

/**
 * Deletes up to `limit` MFA sessions (sealed credentials awaiting a token) that expired on their
 * tenant's clock, soonest expired first. Returns how many it deleted.
 */
export async function deleteExpiredMfaSessions(db: Db, now: Date, limit: number): Promise<number> {
  const r = await sql`
    delete from mfa_sessions where id in (
      select s.id from mfa_sessions s join tenants t on t.id = s.tenant_id
      where s.expires_at <= ${tenantNow(now)}
      order by s.expires_at limit ${limit}
      for update of s skip locked)`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Deletes up to `limit` links left `unconfirmed` (an MFA never answered) for longer than `maxAgeMs`
 * on their tenant's clock, oldest first, with everything they hold (credentials, sessions and data
 * cascade). Returns the links deleted.
 */
export async function deleteAbandonedLinks(db: Db, now: Date, maxAgeMs: number, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  const r = await sql<{ id: string; tenant_id: string }>`
    delete from links where id in (
      select l.id from links l join tenants t on t.id = l.tenant_id
      where l.status = 'unconfirmed'
        and l.created_at <= ${tenantNow(now)} - ${maxAgeMs}::double precision * interval '1 millisecond'
      order by l.created_at limit ${limit}
      for update of l skip locked)
    returning id, tenant_id`.execute(db);
  return r.rows;
}

/**
 * The tables `stale_in` empties, in this order: transactions and balances before the accounts
 * they belong to (deleting an account takes its transactions and balances with it, uncounted and
 * unbounded, so a stale account goes once they have).
 */
export const STALE_TABLES: readonly DataTable[] = [
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
 * Deletes up to `limit` objects of `table` belonging to links with `stale_in: Nd` that were
 * collected more than N days before their tenant's now. Returns how many it deleted.
 * Only links with a `stale_in` are visited (partial index links_stale_in).
 */
export async function deleteStaleData(db: Db, now: Date, table: DataTable, limit: number): Promise<number> {
  const r = await sql`
    delete from ${sql.table(table)} where id in (
      select d.id from ${sql.table(table)} d join links l on l.id = d.link_id join tenants t on t.id = l.tenant_id
      where l.stale_in is not null
        and d.collected_at < ${tenantNow(now)} - make_interval(days => cast(rtrim(l.stale_in, 'd') as int))
      limit ${limit}
      for update of d skip locked)`.execute(db);
  return Number(r.numAffectedRows ?? 0);
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
