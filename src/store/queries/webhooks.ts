import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, Sealed, WebhookEventsTable } from '../schema.js';
import { pageOf, type PageWindow } from './page.js';
import type { FilterNode } from '../../filters/index.js';
import { applyFilters } from './filters.js';
import { tenantNow } from './tenants.js';
import { retryingDeadlocks } from '../deadlock.js';

/**
 * Webhook endpoints, events (the outbox) and deliveries. The delivery hot path: `insertEvent`
 * (the event and its deliveries, one statement), then per attempt `findForDeliveries` and
 * `recordOutcomes`, each shared by the deliveries attempted at the same moment. Deliveries to one
 * endpoint go in order per link (`parkDeliveries`, `startWaiting`; see src/webhooks/order.ts).
 */

type Db = Kysely<Database>;

export interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  has_authorization: boolean;
  created_at: Date;
}

export interface NewEndpoint extends Sealed {
  id: string;
  tenant_id: string;
  url: string;
  has_authorization: boolean;
  created_at: Date;
}

const ENDPOINT_COLUMNS = ['id', 'tenant_id', 'url', 'has_authorization', 'created_at'] as const;

export async function insertEndpoint(db: Db, row: NewEndpoint): Promise<EndpointRow> {
  return db.insertInto('webhook_endpoints').values(row).returning(ENDPOINT_COLUMNS).executeTakeFirstOrThrow();
}

/** A tenant's endpoints, newest first. */
export function pageEndpoints(db: Db, tenantId: string, page: PageWindow): Promise<{ count: number; rows: EndpointRow[] }> {
  const base = db.selectFrom('webhook_endpoints').where('tenant_id', '=', tenantId);
  return pageOf(base, (qb) => qb.select(ENDPOINT_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').execute(), page);
}

/** Every endpoint with its tenant's name (the CLI), optionally of one tenant. */
export function listEndpointsWithTenant(db: Db, tenantName?: string) {
  let q = db
    .selectFrom('webhook_endpoints as e')
    .innerJoin('tenants as t', 't.id', 'e.tenant_id')
    .select(['e.id', 'e.url', 'e.has_authorization', 'e.created_at', 't.name as tenant']);
  if (tenantName !== undefined) q = q.where('t.name', '=', tenantName);
  return q.orderBy('t.name').orderBy('e.created_at').orderBy('e.id').execute();
}

/** Deletes an endpoint (its deliveries go with it); `tenantId` null: whichever tenant owns it. */
export async function deleteEndpoint(db: Db, tenantId: string | null, id: string): Promise<boolean> {
  let q = db.deleteFrom('webhook_endpoints').where('id', '=', id);
  if (tenantId !== null) q = q.where('tenant_id', '=', tenantId);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export type NewEvent = Insertable<WebhookEventsTable>;

/**
 * Records an event and one pending delivery per endpoint the tenant has now, in one statement;
 * a tenant with no endpoint gets nothing recorded (nobody would ever be sent it). Returns the new
 * deliveries' ids (none when the tenant has no endpoint).
 */
export async function insertEvent(db: Db, event: NewEvent): Promise<string[]> {
  const r = await sql<{ id: string }>`
    with ev as (
      insert into webhook_events (id, tenant_id, link_id, webhook_type, webhook_code, process_type, payload, created_at)
      select ${event.id}::text, ${event.tenant_id}::uuid, ${event.link_id ?? null}::uuid, ${event.webhook_type}::text,
        ${event.webhook_code}::text, ${event.process_type}::text, ${event.payload}::text, ${event.created_at}::timestamptz
      where exists (select 1 from webhook_endpoints where tenant_id = ${event.tenant_id}::uuid)
      returning id, tenant_id, link_id, created_at
    )
    insert into webhook_deliveries (id, tenant_id, event_id, endpoint_id, link_id, created_at)
    select gen_random_uuid(), ev.tenant_id, ev.id, ep.id, ev.link_id, ev.created_at
    from ev join webhook_endpoints ep on ep.tenant_id = ev.tenant_id
    returning id`.execute(db);
  return r.rows.map((x) => x.id);
}

/**
 * Whether the tenant's link already has the `async_request` event of request `requestId` (an async
 * retrieval's job that is run again after its data and webhook were committed).
 */
export async function hasAsyncEvent(db: Db, tenantId: string, linkId: string, requestId: string): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_events')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('link_id', '=', linkId)
    .where('process_type', '=', 'async_request')
    .where(sql<string>`payload::jsonb ->> 'request_id'`, '=', requestId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

// ---- retention (the scheduler's housekeeping): bounded batches, oldest first, per tenant clock ----

/** `days` before each tenant's now (`t`: the tenants row joined in). */
const cutoff = (now: Date, days: number) => sql`${tenantNow(now)} - make_interval(days => ${days})`;

/**
 * Deletes up to `limit` deliveries created more than `days` before their tenant's now, except
 * those still pending (a retry waiting for its time, or a job queued or running: a redelivery of
 * an old delivery, or a first attempt after the clock jumped). Returns how many it deleted.
 */
export async function deleteOldDeliveries(db: Db, now: Date, days: number, limit: number): Promise<number> {
  const r = await sql`
    delete from webhook_deliveries where id in (
      select old.id from tenants t cross join lateral (
        select d.id from webhook_deliveries d
        where d.tenant_id = t.id and d.created_at < ${cutoff(now, days)} and d.status <> 'pending'
        order by d.created_at limit ${limit}
      ) old limit ${limit})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** Deletes up to `limit` events older than `days` on their tenant's clock that have no delivery left. */
export async function deleteOldEvents(db: Db, now: Date, days: number, limit: number): Promise<number> {
  const r = await sql`
    delete from webhook_events where id in (
      select old.id from tenants t cross join lateral (
        select e.id from webhook_events e
        where e.tenant_id = t.id and e.created_at < ${cutoff(now, days)}
          and not exists (select 1 from webhook_deliveries d where d.event_id = e.id)
        order by e.created_at limit ${limit}
      ) old limit ${limit})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Wakes delivery workers in every process sharing the store once the transaction commits
 * (PostgreSQL holds notifications until then and drops them on rollback).
 */
export async function notify(db: Db, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}

/**
 * Whether an earlier delivery of `d`'s endpoint and link is still pending (queued, running,
 * waiting for a retry or waiting itself): then `d` must not be attempted. False without a link.
 * One probe of webhook_deliveries_link_order.
 */
const earlierPending = (d: string) => sql<boolean>`exists (
  select 1 from webhook_deliveries p
  where p.endpoint_id = ${sql.ref(`${d}.endpoint_id`)} and p.link_id = ${sql.ref(`${d}.link_id`)}
    and p.status = 'pending' and p.seq < ${sql.ref(`${d}.seq`)})`;

/** What a delivery attempt needs: the delivery's state, the body, the endpoint and its sealed secrets. */
export interface DeliveryTarget extends Sealed {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  first_attempt_at: Date | null;
  link_id: string | null;
  waiting: boolean;
  /** An earlier delivery of its endpoint and link was pending when this was read. */
  blocked: boolean;
  webhook_id: string;
  payload: string;
  endpoint_id: string;
  url: string;
  /** bigint: the tenant's sandbox clock offset, so the outcome is timed on the tenant's clock. */
  clock_offset_ms: string;
}

/** What attempts at these deliveries need, in one statement (in no particular order). */
export function findForDeliveries(db: Db, ids: readonly string[]): Promise<DeliveryTarget[]> {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .innerJoin('webhook_endpoints as ep', 'ep.id', 'd.endpoint_id')
    .innerJoin('tenants as t', 't.id', 'd.tenant_id')
    .select([
      't.clock_offset_ms',
      'd.id',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.first_attempt_at',
      'd.link_id',
      'd.waiting',
      earlierPending('d').as('blocked'),
      'e.id as webhook_id',
      'e.payload',
      'ep.id as endpoint_id',
      'ep.url',
      'ep.key_id',
      'ep.wrapped_key',
      'ep.ciphertext',
    ])
    .where('d.id', 'in', ids)
    .execute();
}

/**
 * Claims up to `limit` retries due on their tenant's clock (`now` is real time): clears their due time (their job is about to be
 * sent in the same transaction) and returns their ids. SKIP LOCKED: concurrent callers in other
 * processes claim other rows instead of waiting. A retry behind an earlier pending delivery of its
 * endpoint and link is left for later (`startWaiting` does not start it: it stays due here).
 */
export async function claimDue(db: Db, now: Date, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  const r = await sql<{ id: string; tenant_id: string }>`
    with due as (
      select d.id from webhook_deliveries d join tenants t on t.id = d.tenant_id
      where d.next_attempt_at is not null and d.next_attempt_at <= ${tenantNow(now)} and not ${earlierPending('d')}
      order by d.next_attempt_at limit ${limit}
      for update of d skip locked
    )
    update webhook_deliveries set next_attempt_at = null from due
    where webhook_deliveries.id = due.id
    returning webhook_deliveries.id, webhook_deliveries.tenant_id`.execute(db);
  return r.rows;
}

/** The outcome of one attempt: delivered, a retry at `nextAttemptAt`, or failed (neither). */
export interface AttemptOutcome {
  id: string;
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  now: Date;
  nextAttemptAt: Date | null;
}

/**
 * Records attempts' outcomes (each delivery at most once in `outcomes`), in one statement:
 * - delivered: unless already delivered (a late success also overrides an earlier `failed`);
 * - a retry or `failed`: only while no other attempt recorded its outcome meanwhile (a duplicate
 *   job run) and it is not waiting.
 * The statement commits without waiting for its WAL flush (`synchronous_commit = off`). Safe
 * here: the jobs' completion, a synchronous commit made after it on another connection, flushes
 * the WAL up to and including this update; if a crash loses the update, it also loses the
 * completion, so the job runs again (at least once, same webhook-id). Saves a disk flush per call.
 * Returns the rows it updated, with their new status.
 */
export async function recordOutcomes(db: Db, outcomes: readonly AttemptOutcome[]): Promise<RecordedOutcome[]> {
  if (!outcomes.length) return [];
  const rows = outcomes.map(
    (o) =>
      sql`(${o.id}::uuid, ${o.delivered ? 'delivered' : o.nextAttemptAt ? 'pending' : 'failed'}::text, ${o.statusCode}::int,
        ${o.error}::text, ${o.now}::timestamptz, ${o.nextAttemptAt}::timestamptz)`,
  );
  const r = await sql<RecordedOutcome>`
    with async_commit as (select set_config('synchronous_commit', 'off', true) as setting),
    v (id, status, status_code, error, at, next_attempt_at) as (values ${sql.join(rows)})
    update webhook_deliveries d set
      status = v.status,
      attempts = d.attempts + 1,
      last_status_code = v.status_code,
      last_error = v.error,
      next_attempt_at = v.next_attempt_at,
      waiting = false,
      first_attempt_at = coalesce(d.first_attempt_at, v.at),
      delivered_at = case when v.status = 'delivered' then v.at else d.delivered_at end
    from v, async_commit
    where d.id = v.id
      and case when v.status = 'delivered' then d.status <> 'delivered'
               else d.status = 'pending' and d.next_attempt_at is null and not d.waiting end
    returning d.id, d.endpoint_id, d.link_id, d.status`.execute(db);
  return r.rows;
}

export interface RecordedOutcome {
  id: string;
  endpoint_id: string;
  link_id: string | null;
  status: string;
}

/**
 * Marks deliveries `waiting` (no attempt; each at `now`, its tenant's clock, starts its retry
 * window unless one is running) if an earlier delivery of their endpoint and link is still
 * pending, in one statement; returns the ids it marked. The oldest such earlier delivery is
 * locked FOR SHARE: if a concurrent transaction is ending it, this waits for that commit and
 * looks again (so the delivery is sent instead); if not, its end is recorded only after this
 * commits, and the `startWaiting` that follows that end sees this delivery waiting.
 */
export async function parkDeliveries(db: Db, parks: readonly { id: string; now: Date }[]): Promise<string[]> {
  if (!parks.length) return [];
  const rows = parks.map((p) => sql`(${p.id}::uuid, ${p.now}::timestamptz)`);
  // Two workers parking and recording deliveries of the same links lock rows in opposite orders.
  const r = await retryingDeadlocks(db, () => sql<{ id: string }>`
    update webhook_deliveries d set waiting = true, first_attempt_at = coalesce(d.first_attempt_at, v.at)
    from (values ${sql.join(rows)}) v (id, at)
    where d.id = v.id and d.status = 'pending' and d.next_attempt_at is null and not d.waiting
      and exists (
        select 1 from webhook_deliveries p
        where p.endpoint_id = d.endpoint_id and p.link_id = d.link_id and p.status = 'pending' and p.seq < d.seq
        order by p.seq limit 1 for share)
    returning d.id`.execute(db));
  return r.rows.map((x) => x.id);
}

/**
 * For each (endpoint, link) whose oldest pending delivery is waiting: clears its `waiting` (its job
 * is about to be sent in the same transaction) and returns it. Call after the end of a delivery of
 * that endpoint and link has committed.
 */
export async function startWaiting(db: Db, pairs: readonly Pair[]): Promise<{ id: string; tenant_id: string }[]> {
  if (!pairs.length) return [];
  const r = await sql<{ id: string; tenant_id: string }>`
    with heads as (${waitingHeads(pairs)})
    update webhook_deliveries d set waiting = false from heads
    where d.id = heads.id and d.waiting and d.status = 'pending'
    returning d.id, d.tenant_id`.execute(db);
  return r.rows;
}

/** Of these (endpoint, link) pairs, those whose oldest pending delivery is waiting (a read: `startWaiting` only for these). */
export async function pairsWithWaitingHead(db: Db, pairs: readonly Pair[]): Promise<Pair[]> {
  if (!pairs.length) return [];
  return (await sql<Pair>`select endpoint_id, link_id from (${waitingHeads(pairs)}) heads`.execute(db)).rows;
}

interface Pair {
  endpoint_id: string;
  link_id: string;
}

/** The waiting oldest pending delivery of each pair (id, endpoint_id, link_id): one probe of webhook_deliveries_link_order each. */
function waitingHeads(pairs: readonly Pair[]) {
  const rows = pairs.map((p) => sql`(${p.endpoint_id}::uuid, ${p.link_id}::uuid)`);
  return sql`
    select h.id, k.endpoint_id, k.link_id from (values ${sql.join(rows)}) k (endpoint_id, link_id) cross join lateral (
      select d.id, d.waiting from webhook_deliveries d
      where d.endpoint_id = k.endpoint_id and d.link_id = k.link_id and d.status = 'pending'
      order by d.seq limit 1
    ) h
    where h.waiting`;
}

/** A delivery as the API lists it. */
export interface DeliveryRow {
  id: string;
  webhook_id: string;
  endpoint_id: string;
  url: string;
  webhook_type: string;
  webhook_code: string;
  link_id: string | null;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

function deliveries(db: Db, tenantId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
    .innerJoin('webhook_endpoints', 'webhook_endpoints.id', 'webhook_deliveries.endpoint_id')
    .where('webhook_deliveries.tenant_id', '=', tenantId);
}

type DeliveriesQuery = ReturnType<typeof deliveries>;

function selectDelivery(qb: DeliveriesQuery) {
  return qb.select([
    'webhook_deliveries.id',
    'webhook_events.id as webhook_id',
    'webhook_endpoints.id as endpoint_id',
    'webhook_endpoints.url',
    'webhook_events.webhook_type',
    'webhook_events.webhook_code',
    'webhook_events.link_id',
    'webhook_deliveries.status',
    'webhook_deliveries.attempts',
    'webhook_deliveries.last_status_code',
    'webhook_deliveries.last_error',
    'webhook_deliveries.next_attempt_at',
    'webhook_deliveries.delivered_at',
    'webhook_deliveries.created_at',
  ]);
}

/** A tenant's deliveries, filtered by `where` (columns `webhook_deliveries.*`, `webhook_events.*`), newest first. */
export function pageDeliveries(
  db: Db,
  tenantId: string,
  filters: readonly FilterNode[],
  page: PageWindow,
): Promise<{ count: number; rows: DeliveryRow[] }> {
  return pageOf(
    applyFilters(deliveries(db, tenantId), filters),
    (qb) =>
      selectDelivery(qb)
        .orderBy('webhook_deliveries.created_at', 'desc')
        .orderBy('webhook_deliveries.id', 'desc')
        .execute(),
    page,
  );
}

export function findDelivery(db: Db, tenantId: string, id: string): Promise<DeliveryRow | undefined> {
  return selectDelivery(deliveries(db, tenantId).where('webhook_deliveries.id', '=', id)).executeTakeFirst();
}

/**
 * Puts a delivery back to pending for an attempt now (its job is sent in the same transaction):
 * a new 24 h retry window starts with that attempt. Returns whether the tenant has it.
 */
export async function resetForRedelivery(db: Db, tenantId: string, id: string): Promise<boolean> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: null, first_attempt_at: null, waiting: false })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
