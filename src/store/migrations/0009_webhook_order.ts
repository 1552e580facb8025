import { sql, type Kysely } from 'kysely';

/**
 * Webhook deliveries in order per (endpoint, link) (see src/webhooks/order.ts).
 * - seq: creation order (an identity; existing rows numbered by `created_at`). The events of one
 *   transaction, and its deliveries to one endpoint, get increasing values.
 * - link_id: the event's link, copied so the order checks read one table and one index.
 * - waiting: a pending delivery that had no job run because an earlier delivery of its endpoint
 *   and link was still pending; the end of that earlier one gives it a job.
 * - first_attempt_at is now the start of the 24 h retry window: the first attempt, or when the
 *   delivery began waiting.
 * - index: the pending deliveries of each (endpoint, link), oldest first (the only rows the order
 *   checks look at; a delivered or failed one leaves it).
 * Never edit once shipped: add a new numbered migration instead.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table webhook_deliveries add column link_id uuid, add column waiting boolean not null default false, add column seq bigint`.execute(db);
  await sql`update webhook_deliveries d set link_id = e.link_id from webhook_events e where e.id = d.event_id and e.link_id is not null`.execute(db);
  await sql`
    update webhook_deliveries d set seq = o.n
    from (select id, row_number() over (order by created_at, id) as n from webhook_deliveries) o
    where o.id = d.id`.execute(db);
  await sql`update webhook_deliveries set seq = 0 where seq is null`.execute(db);
  await sql`alter table webhook_deliveries alter column seq set not null`.execute(db);
  await sql`alter table webhook_deliveries alter column seq add generated always as identity`.execute(db);
  await sql`select setval(pg_get_serial_sequence('webhook_deliveries', 'seq'), coalesce(max(seq), 0) + 1, false) from webhook_deliveries`.execute(db);
  await sql`
    create index webhook_deliveries_link_order on webhook_deliveries (endpoint_id, link_id, seq)
    where status = 'pending' and link_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_link_order').execute();
  await sql`alter table webhook_deliveries drop column seq, drop column waiting, drop column link_id`.execute(db);
}
