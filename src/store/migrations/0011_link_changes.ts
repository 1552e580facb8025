import { sql, type Kysely } from 'kysely';

/**
 * Link changes, announced: a change to any column of the Link object the API shows (or a delete)
 * NOTIFYs `vinculo_link_changes` with the link's id, from whatever statement makes it (the API,
 * refreshes, the scheduler, retention, a cascade from its tenant). Each API process keeps the
 * links it answered in memory (src/links/cache.ts) and forgets one when its notification comes;
 * PostgreSQL sends it at commit, to every listening process, and never for a rollback. Every
 * session notifies, ours or not (an operator's psql, a process of an older version).
 * Changes to other columns (session leases, next refresh, refresh bookkeeping) announce nothing.
 * Never edit once shipped: add a new numbered migration instead.
 */
export const LINK_CHANGES_CHANNEL = 'vinculo_link_changes';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function vinculo_link_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('vinculo_link_changes', old.id::text);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger links_changed
    after update of id, tenant_id, institution, access_mode, status, refresh_rate, created_by, external_id,
      institution_user_id, credentials_storage, stale_in, fetch_resources, last_accessed_at, created_at
    or delete on links
    for each row execute function vinculo_link_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists links_changed on links`.execute(db);
  await sql`drop function if exists vinculo_link_changed()`.execute(db);
}
