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

/** Links whose `credentials_storage: Nd` ran out: credentials deleted, link invalid. Returns them. */
export async function expireCredentials(db: Db, now: Date): Promise<{ id: string; tenant_id: string; external_id: string | null }[]> {
  const expired = await db
    .selectFrom('links')
    .innerJoin('link_credentials', 'link_credentials.link_id', 'links.id')
    .innerJoin('tenants as t', 't.id', 'links.tenant_id')
    .select(['links.id', 'links.tenant_id', 'links.external_id', 'links.credentials_storage'])
    .where(sql<boolean>`links.credentials_expire_at <= ${tenantNow(now)}`)
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

/** Deletes MFA sessions (sealed credentials awaiting a token) that expired on their tenant's clock. */
export async function deleteExpiredMfaSessions(db: Db, now: Date): Promise<number> {
  const r = await sql`delete from mfa_sessions s using tenants t where t.id = s.tenant_id and s.expires_at <= ${tenantNow(now)}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Deletes links left `unconfirmed` (an MFA never answered) for longer than `maxAgeMs` on their
 * tenant's clock, with everything they hold (credentials, sessions and data cascade).
 */
export async function deleteAbandonedLinks(db: Db, now: Date, maxAgeMs: number): Promise<number> {
  const r = await sql`
    delete from links l using tenants t
    where t.id = l.tenant_id and l.status = 'unconfirmed'
      and l.created_at <= ${tenantNow(now)} - ${maxAgeMs}::double precision * interval '1 millisecond'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
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
 * Deletes the data of links with `stale_in: Nd` that was collected more than N days before their
 * tenant's now.
 * Only links with a `stale_in` are visited (partial index links_stale_in).
 */
export async function deleteStaleData(db: Db, now: Date): Promise<number> {
  let deleted = 0;
  for (const table of STALE_TABLES) {
    const r = await sql`
      delete from ${sql.table(table)} d using links l, tenants t
      where l.stale_in is not null and l.id = d.link_id and t.id = l.tenant_id
        and d.collected_at < ${tenantNow(now)} - make_interval(days => cast(rtrim(l.stale_in, 'd') as int))`.execute(db);
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
