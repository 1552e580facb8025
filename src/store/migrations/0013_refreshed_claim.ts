import { sql, type Kysely } from 'kysely';

/**
 * `links.refreshed_claim`: the claim (the scheduler's guard value, carried by the slot's job) that
 * the last scheduled refresh served, written in the refresh's own transaction. A job attempt that
 * stored its refresh and died before the queue recorded the job as done is retried; the retry sees
 * its claim here and reports the refresh as done instead of skipping it as overtaken.
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table links add column refreshed_claim timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table links drop column refreshed_claim`.execute(db);
}
