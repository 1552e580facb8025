import { sql, type Kysely } from 'kysely';

/**
 * Open Finance consent sessions: one row per consent the Connect widget started at a bank, kept
 * while the user is on the bank's pages (about 10 minutes).
 * - state_hash: SHA-256 (hex) of the OAuth `state` the bank sends back; the state itself is a
 *   bearer secret of the redirect and is never stored.
 * - key_id / wrapped_key / ciphertext: the connector's `pending` state, sealed by the vault and
 *   bound to the row's id.
 * - options: non-secret link options chosen in the widget (access_mode, external_id...).
 * A callback deletes its row (one-time use); a widget session's rows go with it.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('consent_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('widget_session_id', 'uuid', (c) => c.notNull().references('widget_sessions.id').onDelete('cascade'))
    .addColumn('institution', 'text', (c) => c.notNull())
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('options', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_sessions_widget_session').on('consent_sessions').column('widget_session_id').execute();
  await db.schema.createIndex('consent_sessions_expires').on('consent_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('consent_sessions').execute();
}
