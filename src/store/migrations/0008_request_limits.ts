import { sql, type Kysely } from 'kysely';

/**
 * Limits on API requests (issue 11).
 * - idempotency_keys: one row per tenant and `Idempotency-Key` of a POST under /api/. Inserted
 *   `running` before the handler runs — the unique (tenant_id, key) makes the database pick the
 *   one request that runs —, then `completed` with the answer, sealed by the vault (the row's id
 *   is the AAD; `keys rotate-master` re-wraps it like the other sealed tables). `request_hash`
 *   tells a retry from another request under the same key. Deleted by housekeeping once expired.
 * - rate_limit_buckets: one token bucket per secret key, shared by every API process on
 *   PostgreSQL (the embedded store counts in memory). UNLOGGED: a bucket is worth nothing after a
 *   crash (it starts full again) and is not worth WAL on every request; fillfactor 50 leaves room
 *   on each page so the per-request update stays a HOT update.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    // running | completed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('key_id', 'text')
    .addColumn('wrapped_key', 'text')
    .addColumn('ciphertext', 'text')
    // When the row was (last) claimed: a `running` row this old was left by a process that died.
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('idempotency_keys_tenant_key', ['tenant_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();
  await sql`
    create unlogged table rate_limit_buckets (
      key_id text primary key,
      tokens double precision not null,
      updated_at timestamptz not null
    ) with (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_limit_buckets').execute();
  await db.schema.dropTable('idempotency_keys').execute();
}
