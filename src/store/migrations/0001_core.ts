import { sql, type Kysely } from 'kysely';

// Never edit once shipped: add a new numbered migration instead.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('user_id_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    // The "user" a key acts as: links it creates carry it as `created_by`.
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('institutions')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('website', 'text')
    .addColumn('country_codes', sql`text[]`, (c) => c.notNull())
    .addColumn('primary_color', 'text', (c) => c.notNull())
    .addColumn('logo', 'text')
    .addColumn('icon_logo', 'text')
    .addColumn('text_logo', 'text')
    .addColumn('form_fields', 'jsonb', (c) => c.notNull())
    .addColumn('features', 'jsonb', (c) => c.notNull())
    .addColumn('resources', sql`text[]`, (c) => c.notNull())
    .addColumn('integration_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('healthy'))
    .execute();

  await db.schema
    .createTable('links')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('institution', 'text', (c) => c.notNull())
    .addColumn('access_mode', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('refresh_rate', 'text')
    .addColumn('created_by', 'uuid', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('institution_user_id', 'text', (c) => c.notNull())
    .addColumn('credentials_storage', 'text', (c) => c.notNull())
    .addColumn('stale_in', 'text')
    .addColumn('fetch_resources', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('fetch_historical', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_accessed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('credentials_expire_at', 'timestamptz')
    .addColumn('session_lease_until', 'timestamptz')
    .addColumn('session_lease_token', 'text')
    .execute();
  // Lists are "newest first" per tenant; id breaks ties so pages are stable.
  await db.schema.createIndex('links_tenant_created').on('links').columns(['tenant_id', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('links_tenant_status').on('links').columns(['tenant_id', 'status', 'created_at desc']).execute();
  await db.schema.createIndex('links_tenant_user').on('links').columns(['tenant_id', 'institution_user_id']).execute();
  await db.schema.createIndex('links_tenant_external').on('links').columns(['tenant_id', 'external_id']).execute();

  await db.schema
    .createTable('link_credentials')
    .addColumn('link_id', 'uuid', (c) => c.primaryKey().references('links.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('mfa_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('link_id', 'uuid', (c) => c.notNull().references('links.id').onDelete('cascade'))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('mfa_sessions_link').on('mfa_sessions').column('link_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['mfa_sessions', 'link_credentials', 'links', 'institutions', 'api_keys', 'tenants']) {
    await db.schema.dropTable(t).execute();
  }
}
