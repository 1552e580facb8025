import { sql, type Kysely } from 'kysely';

/**
 * What can change a GET /api/links/ count, announced: a link inserted or deleted, or a column that
 * a links filter names (src/links/filters.ts) changed value. Each statement NOTIFYs
 * `vinculo_link_changes` (migration 0011's channel) once per tenant it touched, with the payload
 * `tenant:<tenant id>`; each API process keeps the counts it answered per tenant and filters
 * (src/links/cache.ts) and forgets a tenant's when this comes. Refreshes, leases and scheduling
 * touch none of these columns' values and announce nothing here. Inserts and deletes: statement-level
 * triggers with transition tables, so a bulk insert or delete notifies once per tenant, not per row.
 * Never edit once shipped: add a new numbered migration instead.
 */
export const FILTERED_LINK_COLUMNS = ['id', 'tenant_id', 'institution', 'institution_user_id', 'external_id', 'access_mode', 'refresh_rate', 'status', 'created_by', 'created_at'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function vinculo_link_counts_rows() returns trigger language plpgsql as $$
    begin
      perform pg_notify('vinculo_link_changes', 'tenant:' || t.tenant_id::text) from (select distinct tenant_id from rows) t;
      return null;
    end $$`.execute(db);
  await sql`
    create function vinculo_link_counts_updated() returns trigger language plpgsql as $$
    begin
      perform pg_notify('vinculo_link_changes', 'tenant:' || old.tenant_id::text);
      if new.tenant_id <> old.tenant_id then perform pg_notify('vinculo_link_changes', 'tenant:' || new.tenant_id::text); end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger links_counted_insert after insert on links referencing new table as rows for each statement execute function vinculo_link_counts_rows()`.execute(db);
  await sql`create trigger links_counted_delete after delete on links referencing old table as rows for each statement execute function vinculo_link_counts_rows()`.execute(db);
  // Row-level (PostgreSQL allows no transition tables beside a column list); a transaction's
  // identical notifications are delivered once.
  await sql`
    create trigger links_counted_update after update of ${sql.raw(FILTERED_LINK_COLUMNS.join(', '))} on links
    for each row when ((${sql.raw(FILTERED_LINK_COLUMNS.map((c) => `old.${c}`).join(', '))}) is distinct from (${sql.raw(FILTERED_LINK_COLUMNS.map((c) => `new.${c}`).join(', '))}))
    execute function vinculo_link_counts_updated()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['links_counted_insert', 'links_counted_delete', 'links_counted_update']) await sql`drop trigger if exists ${sql.raw(t)} on links`.execute(db);
  await sql`drop function if exists vinculo_link_counts_rows()`.execute(db);
  await sql`drop function if exists vinculo_link_counts_updated()`.execute(db);
}
