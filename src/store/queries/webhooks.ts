import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, Sealed, WebhookEventsTable } from '../schema.js';
import { pageOf, type PageWindow } from './page.js';
import type { FilterNode } from '../../filters/index.js';
import { applyFilters } from './filters.js';
import { tenantNow } from './tenants.js';

/**
 * Webhook endpoints, events (the outbox) and deliveries. The delivery hot path: `insertEvent`
 * (the event and its deliveries, one statement), then per attempt `findForDeliveries` and
 * `recordOutcomes`, each shared by the deliveries attempted at the same moment.
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
      returning id, tenant_id, created_at
    )
    insert into webhook_deliveries (id, tenant_id, event_id, endpoint_id, created_at)
    select gen_random_uuid(), ev.tenant_id, ev.id, ep.id, ev.created_at
    from ev join webhook_endpoints ep on ep.tenant_id = ev.tenant_id
    returning id`.execute(db);
  return r.rows.map((x) => x.id);
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

/** What a delivery attempt needs: the delivery's state, the body, the endpoint and its sealed secrets. */
export interface DeliveryTarget extends Sealed {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  first_attempt_at: Date | null;
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
 * processes claim other rows instead of waiting.
 */
export async function claimDue(db: Db, now: Date, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  const r = await sql<{ id: string; tenant_id: string }>`
    with due as (
      select d.id from webhook_deliveries d join tenants t on t.id = d.tenant_id
      where d.next_attempt_at is not null and d.next_attempt_at <= ${tenantNow(now)}
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
 *   job run).
 * The statement commits without waiting for its WAL flush (`synchronous_commit = off`). Safe
 * here: the jobs' completion, a synchronous commit made after it on another connection, flushes
 * the WAL up to and including this update; if a crash loses the update, it also loses the
 * completion, so the job runs again (at least once, same webhook-id). Saves a disk flush per call.
 * Returns the ids it updated.
 */
export async function recordOutcomes(db: Db, outcomes: readonly AttemptOutcome[]): Promise<string[]> {
  if (!outcomes.length) return [];
  const rows = outcomes.map(
    (o) =>
      sql`(${o.id}::uuid, ${o.delivered ? 'delivered' : o.nextAttemptAt ? 'pending' : 'failed'}::text, ${o.statusCode}::int,
        ${o.error}::text, ${o.now}::timestamptz, ${o.nextAttemptAt}::timestamptz)`,
  );
  const r = await sql<{ id: string }>`
    with async_commit as (select set_config('synchronous_commit', 'off', true) as setting),
    v (id, status, status_code, error, at, next_attempt_at) as (values ${sql.join(rows)})
    update webhook_deliveries d set
      status = v.status,
      attempts = d.attempts + 1,
      last_status_code = v.status_code,
      last_error = v.error,
      next_attempt_at = v.next_attempt_at,
      first_attempt_at = coalesce(d.first_attempt_at, v.at),
      delivered_at = case when v.status = 'delivered' then v.at else d.delivered_at end
    from v, async_commit
    where d.id = v.id
      and case when v.status = 'delivered' then d.status <> 'delivered'
               else d.status = 'pending' and d.next_attempt_at is null end
    returning d.id`.execute(db);
  return r.rows.map((x) => x.id);
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
    .set({ status: 'pending', next_attempt_at: null, first_attempt_at: null })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
