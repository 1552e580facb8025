import { sql, type Kysely } from 'kysely';

/**
 * Retention and the audit log (issue 11).
 * - audit_log: one row per use of credentials or API keys (see src/audit/). Ids, codes and times
 *   only, never a credential or any secret. `actor` is an API key id, `system` (background jobs)
 *   or `cli`; `key_id` is the key a key action created or revoked; `link_id` has no foreign key,
 *   so the record of a link's deletion outlives the link. Deleted with its tenant, or after
 *   VINCULO_AUDIT_RETENTION_DAYS.
 * - indexes for the housekeeping's bounded deletes, per tenant and oldest first: webhook events by
 *   tenant and age (deliveries already have one), deliveries by event (an old event goes once it
 *   has no delivery left).
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('link_id', 'uuid')
    .addColumn('key_id', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .execute();
  // Newest first (the CLI), per tenant (the CLI's --tenant and the retention), per link (--link).
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at desc', 'id desc']).execute();
  await db.schema.createIndex('audit_log_tenant_at').on('audit_log').columns(['tenant_id', 'at']).execute();
  await sql`create index audit_log_link_at on audit_log (link_id, at desc) where link_id is not null`.execute(db);

  await db.schema.createIndex('webhook_events_tenant_created').on('webhook_events').columns(['tenant_id', 'created_at']).execute();
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_event').execute();
  await db.schema.dropIndex('webhook_events_tenant_created').execute();
  await db.schema.dropTable('audit_log').execute();
}
