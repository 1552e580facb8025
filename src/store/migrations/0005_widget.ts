import { sql, type Kysely } from 'kysely';

/**
 * Connect widget sessions: one row per `POST /api/token/`. The signed tokens carry the row's id;
 * the row holds what a token cannot (it must be revocable and remember what happened):
 * - key_id: the API key the widget acts as (its tenant, its `created_by`); revoking it ends the session.
 * - link_id: update mode — the one link the session may repair.
 * - links: links the session registered (their MFA may still be pending); `read_links` sees only these.
 * - refresh_jti: the one refresh token still valid (each refresh rotates it).
 * - completed_at: the connection succeeded; every token of the session stops working.
 * - busy_until: a connection attempt is running (a second one at the same time is refused).
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('widget_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('link_id', 'uuid', (c) => c.references('links.id').onDelete('cascade'))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull())
    .addColumn('widget', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('link_options', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('links', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('refresh_jti', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    // Held while one of the session's connection attempts runs, so one token connects one link.
    .addColumn('busy_until', 'timestamptz')
    .execute();
  await db.schema.createIndex('widget_sessions_expires').on('widget_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('widget_sessions').execute();
}
