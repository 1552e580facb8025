import { sql, type Kysely } from 'kysely';

/**
 * Where the sandbox Open Finance bank of this database runs: one row per sandbox institution
 * (`ofmockbank_br_retail`), written by the process that started the bank (an API process), read
 * by the processes that never start one (`vinculo worker`), so every process of a PostgreSQL
 * deployment reaches the same bank and its tokens.
 * - discovery_url, api_base_url, client_id, redirect_uri: the runtime entry's non-secret settings.
 * - key_id / wrapped_key / ciphertext: its client key material (signing and encryption JWKs,
 *   transport certificate and key, the bank's CA), sealed by the vault and bound to the
 *   institution's name and discovery URL.
 * - owner: the process that runs the bank (what it is, its pid and host); started_at: when.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sandbox_ofb_bank')
    .addColumn('institution', 'text', (c) => c.primaryKey())
    .addColumn('discovery_url', 'text', (c) => c.notNull())
    .addColumn('api_base_url', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sandbox_ofb_bank').execute();
}
