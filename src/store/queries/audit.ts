import { sql, type Insertable, type Kysely } from 'kysely';
import type { AuditLogTable, Database } from '../schema.js';
import { tenantNow } from './tenants.js';

type Db = Kysely<Database>;

export type NewAuditRecord = Insertable<AuditLogTable>;

/**
 * Records one audit entry, timed on its tenant's clock (real time unless a sandbox moved it), as
 * every other time of the tenant's: its retention is measured on that clock too.
 */
export async function insertAuditRecord(db: Db, row: NewAuditRecord): Promise<void> {
  await sql`
    insert into audit_log (at, tenant_id, actor, action, link_id, key_id, outcome, request_id)
    select now() + t.clock_offset_ms * interval '1 millisecond', t.id, ${row.actor}::text, ${row.action}::text, ${row.link_id ?? null}::uuid,
      ${row.key_id ?? null}::text, ${row.outcome}::text, ${row.request_id ?? null}::text
    from tenants t where t.id = ${row.tenant_id}::uuid`.execute(db);
}

/** Records several entries in one statement (the housekeeping's batches), each timed on its tenant's clock. */
export async function insertAuditRecords(db: Db, rows: readonly NewAuditRecord[]): Promise<void> {
  if (!rows.length) return;
  const values = rows.map(
    (row, i) => sql`(${i}::int, ${row.tenant_id}::uuid, ${row.actor}::text, ${row.action}::text, ${row.link_id ?? null}::uuid,
      ${row.key_id ?? null}::text, ${row.outcome}::text, ${row.request_id ?? null}::text)`,
  );
  await sql`
    insert into audit_log (at, tenant_id, actor, action, link_id, key_id, outcome, request_id)
    select now() + t.clock_offset_ms * interval '1 millisecond', t.id, r.actor, r.action, r.link_id, r.key_id, r.outcome, r.request_id
    from (values ${sql.join(values)}) as r (n, tenant_id, actor, action, link_id, key_id, outcome, request_id)
    join tenants t on t.id = r.tenant_id
    order by r.n`.execute(db);
}

export interface AuditFilters {
  tenantName?: string;
  linkId?: string;
  since?: Date;
  limit: number;
}

/** Audit records with their tenant's name, newest first (the CLI). */
export function listAuditRecords(db: Db, f: AuditFilters) {
  let q = db
    .selectFrom('audit_log as a')
    .innerJoin('tenants as t', 't.id', 'a.tenant_id')
    .select(['a.at', 't.name as tenant', 'a.actor', 'a.action', 'a.link_id', 'a.key_id', 'a.outcome', 'a.request_id']);
  if (f.tenantName !== undefined) q = q.where('t.name', '=', f.tenantName);
  if (f.linkId !== undefined) q = q.where('a.link_id', '=', f.linkId);
  if (f.since !== undefined) q = q.where('a.at', '>=', f.since);
  return q.orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(f.limit).execute();
}

/** Deletes up to `limit` records older than `days` on their tenant's clock, oldest first. */
export async function deleteOldAuditRecords(db: Db, now: Date, days: number, limit: number): Promise<number> {
  const r = await sql`
    delete from audit_log where id in (
      select old.id from tenants t cross join lateral (
        select a.id from audit_log a
        where a.tenant_id = t.id and a.at < ${tenantNow(now)} - make_interval(days => ${days})
        order by a.at limit ${limit}
      ) old limit ${limit})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
