import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

export function findTenantByName(db: Db, name: string) {
  return db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
}

export function findTenantById(db: Db, id: string) {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertTenant(db: Db, row: { id: string; name: string; user_id_key: string }) {
  return db.insertInto('tenants').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function insertApiKey(
  db: Db,
  row: { id: string; tenant_id: string; password_hash: string; user_id: string },
) {
  await db.insertInto('api_keys').values(row).execute();
}

/** The key with its tenant, for authentication. Revoked keys are returned too (caller checks). */
export function findApiKey(db: Db, id: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select([
      'api_keys.id',
      'api_keys.password_hash',
      'api_keys.user_id',
      'api_keys.revoked_at',
      'api_keys.created_at',
      'tenants.id as tenant_id',
      'tenants.name as tenant_name',
      'tenants.user_id_key',
    ])
    .where('api_keys.id', '=', id)
    .executeTakeFirst();
}

export function listApiKeys(db: Db) {
  return db
    .selectFrom('api_keys')
    .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['api_keys.id', 'api_keys.created_at', 'api_keys.revoked_at', 'tenants.name as tenant'])
    .orderBy('tenants.name')
    .orderBy('api_keys.created_at')
    .execute();
}

export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** How far (ms) the tenant's sandbox clock runs ahead of real time; 0 for an unknown tenant. */
export async function tenantClockOffset(db: Db, tenantId: string): Promise<number> {
  const row = await db.selectFrom('tenants').select('clock_offset_ms').where('id', '=', tenantId).executeTakeFirst();
  return row ? Number(row.clock_offset_ms) : 0;
}

/** Puts every tenant's clock back on real time (the sandbox is off); returns how many moved. */
export async function resetTenantClocks(db: Db): Promise<number> {
  const r = await db.updateTable('tenants').set({ clock_offset_ms: '0' }).where('clock_offset_ms', '<>', '0').executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Moves the tenant's sandbox clock forward by `ms`; returns the new offset. */
export async function advanceTenantClock(db: Db, tenantId: string, ms: number): Promise<number> {
  const row = await db
    .updateTable('tenants')
    .set({ clock_offset_ms: sql`clock_offset_ms + ${ms}` })
    .where('id', '=', tenantId)
    .returning('clock_offset_ms')
    .executeTakeFirstOrThrow();
  return Number(row.clock_offset_ms);
}

/**
 * Each tenant's "now" in SQL: `now` (real time) plus the tenant's sandbox clock offset. The
 * scheduler's queries use it so that one pass serves every tenant on its own clock.
 */
export const tenantNow = (now: Date, tenant = 't') =>
  sql`(${now}::timestamptz + ${sql.ref(`${tenant}.clock_offset_ms`)} * interval '1 millisecond')`;
/** The channel a key's revocation is announced on (payload: the key id), to every process. */
export const KEY_REVOCATIONS_CHANNEL = 'vinculo_keys';

/**
 * Announces a revocation; inside the revoking transaction, so it is delivered (to every process
 * listening on the store, this one included) only once the revocation has committed.
 */
export async function notifyKeyRevoked(db: Db, id: string): Promise<void> {
  await sql`select pg_notify(${KEY_REVOCATIONS_CHANNEL}, ${id})`.execute(db);
}
