import { sql, type Kysely } from 'kysely';

/**
 * Webhooks: endpoints per tenant, the outbox of events, and one delivery per (event, endpoint).
 * - webhook_endpoints: the signing secret and the optional Authorization value are sealed together
 *   (vault envelope columns, AAD = the endpoint id), so master-key rotation treats the table like
 *   mfa_sessions.
 * - webhook_events: written in the transaction of the change that caused it; `id` is Belvo's
 *   `webhook_id` (32 hex) and `payload` the exact JSON body every delivery of it sends (the
 *   signature covers those bytes, so retries and redeliveries send the same ones).
 * - webhook_deliveries: `next_attempt_at` (virtual clock) is set while a retry waits for its due
 *   time and null while a delivery job is queued or running, or once the delivery is final.
 *   No foreign key to webhook_events (saves a check per insert; events are only ever deleted with
 *   their tenant, which cascades here too).
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('has_authorization', 'boolean', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('webhook_endpoints_tenant_created')
    .on('webhook_endpoints')
    .columns(['tenant_id', 'created_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('link_id', 'uuid')
    .addColumn('webhook_type', 'text', (c) => c.notNull())
    .addColumn('webhook_code', 'text', (c) => c.notNull())
    .addColumn('process_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'uuid', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('first_attempt_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // The deliveries list: newest first per tenant (id breaks ties so pages are stable).
  await db.schema
    .createIndex('webhook_deliveries_tenant_created')
    .on('webhook_deliveries')
    .columns(['tenant_id', 'created_at desc', 'id desc'])
    .execute();
  // Deleting an endpoint cascades to its deliveries.
  await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').column('endpoint_id').execute();
  // Due retries (sendDue): only rows waiting for one are in the index.
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where next_attempt_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['webhook_deliveries', 'webhook_events', 'webhook_endpoints']) await db.schema.dropTable(t).execute();
}
