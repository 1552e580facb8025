import { sql, type Kysely } from 'kysely';

/**
 * Sandbox state belongs to one tenant (a tenant is a test environment), and nothing sealed
 * outlives its purpose.
 * - tenants.clock_offset_ms: the tenant's virtual clock, ahead of real time (replaces the one
 *   shared `sandbox_clock`; an existing offset is kept by every tenant, so no schedule jumps).
 * - tenant_institution_status: a tenant's own `down`/`healthy` for an institution, over the
 *   catalogue's status (VINCULO_SANDBOX_DOWN).
 * - indexes for the scheduler's per-tenant probes (a tenant whose clock runs ahead) and for the
 *   housekeeping of expired MFA sessions and abandoned unconfirmed links.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('clock_offset_ms', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update tenants set clock_offset_ms = coalesce((select offset_ms from sandbox_clock where id = 1), 0)`.execute(db);
  await db.schema.dropTable('sandbox_clock').execute();
  await db.schema
    .createTable('tenant_institution_status')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('institution', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_institution_status_pk', ['tenant_id', 'institution'])
    .execute();
  await sql`create index links_tenant_next_refresh on links (tenant_id, next_refresh_at) where next_refresh_at is not null`.execute(db);
  await sql`create index links_unconfirmed on links (created_at) where status = 'unconfirmed'`.execute(db);
  await db.schema.createIndex('mfa_sessions_expires').on('mfa_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('mfa_sessions_expires').execute();
  await db.schema.dropIndex('links_unconfirmed').execute();
  await db.schema.dropIndex('links_tenant_next_refresh').execute();
  await db.schema.dropTable('tenant_institution_status').execute();
  await db.schema
    .createTable('sandbox_clock')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('offset_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('tenants').dropColumn('clock_offset_ms').execute();
}
