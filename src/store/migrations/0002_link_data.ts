import { sql, type Kysely } from 'kysely';

/**
 * Link data: one table per resource, all of the same make. The Belvo object is kept whole in
 * `data` (jsonb, without the server-owned fields); the columns beside it are what the store needs
 * to scope, upsert, order and index. `internal_identification` is the institution's own id:
 * re-extracting an object updates its row and keeps its `id`.
 * Never edit once shipped: add a new numbered migration instead.
 */
const TABLES = [
  'accounts',
  'transactions',
  'owners',
  'balances',
  'invoices',
  'tax_returns',
  'tax_statuses',
  'tax_compliance_statuses',
  'employment_records',
] as const;
const ACCOUNT_SCOPED = new Set(['transactions', 'balances']);

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    let t = db.schema
      .createTable(table)
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('tenant_id', 'uuid', (c) => c.notNull())
      .addColumn('link_id', 'uuid', (c) => c.notNull().references('links.id').onDelete('cascade'))
      .addColumn('internal_identification', 'text', (c) => c.notNull())
      .addColumn('collected_at', 'timestamptz', (c) => c.notNull())
      // When `data` last changed (set by the upsert only when it differs): refreshes report updates.
      .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      // The day the object is about (transaction value date, balance date, invoice date...),
      // for newest-first order and date windows; null where a resource has none.
      .addColumn('record_date', 'date')
      .addColumn('data', 'jsonb', (c) => c.notNull());
    if (ACCOUNT_SCOPED.has(table)) {
      t = t.addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'));
    }
    await t.addUniqueConstraint(`${table}_link_identification`, ['link_id', 'internal_identification']).execute();
    await db.schema
      .createIndex(`${table}_tenant_link_date`)
      .on(table)
      .columns(['tenant_id', 'link_id', 'record_date desc', 'id desc'])
      .execute();
    // Lists are newest first (record_date, then id: ids are time-ordered uuid v7).
    await db.schema.createIndex(`${table}_tenant_date`).on(table).columns(['tenant_id', 'record_date desc', 'id desc']).execute();
    if (ACCOUNT_SCOPED.has(table)) {
      await db.schema.createIndex(`${table}_account`).on(table).column('account_id').execute();
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [...TABLES].reverse()) await db.schema.dropTable(table).execute();
}
