import { sql, type Kysely } from 'kysely';

/**
 * Refresh scheduling and the sandbox's virtual clock.
 * - links.next_refresh_at: when the scheduler runs the link's next refresh (null: none planned —
 *   single links, and links that must be repaired first). Times are on the virtual clock.
 * - links.refresh_day / refresh_attempts: the monthly (30d) rule's sticky day and failed tries.
 * - sandbox_clock: the virtual clock's offset from real time, shared by every process.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('links')
    .addColumn('next_refresh_at', 'timestamptz')
    .addColumn('last_refresh_at', 'timestamptz')
    .addColumn('refresh_day', 'smallint')
    .addColumn('refresh_attempts', 'smallint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index links_next_refresh on links (next_refresh_at) where next_refresh_at is not null`.execute(db);
  // The scheduler's housekeeping looks only at links with a retention setting.
  await sql`create index links_credentials_expire on links (credentials_expire_at) where credentials_expire_at is not null`.execute(db);
  await sql`create index links_stale_in on links (id) where stale_in is not null`.execute(db);
  await db.schema
    .createTable('sandbox_clock')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('offset_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sandbox_clock').execute();
  await db.schema.dropIndex('links_stale_in').execute();
  await db.schema.dropIndex('links_credentials_expire').execute();
  await db.schema.dropIndex('links_next_refresh').execute();
  await db.schema
    .alterTable('links')
    .dropColumn('next_refresh_at')
    .dropColumn('last_refresh_at')
    .dropColumn('refresh_day')
    .dropColumn('refresh_attempts')
    .execute();
}
