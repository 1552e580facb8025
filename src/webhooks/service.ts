import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../clock.js';
import { apiError, fieldError, ValidationErrors, VinculoError } from '../errors.js';
import { parseFilters } from '../filters/index.js';
import type { PageRequest } from '../pagination.js';
import type { Queue } from '../jobs/jobs.js';
import type { Metrics } from '../metrics.js';
import { afterCommit } from '../store/after-commit.js';
import type { Store } from '../store/db.js';
import * as tenants from '../store/queries/tenants.js';
import * as q from '../store/queries/webhooks.js';
import type { Database } from '../store/schema.js';
import type { Vault } from '../vault/index.js';
import { deliveryFilters } from './filters.js';
import { toDeliveryJson, toEndpointJson } from './json.js';
import { retryDelayMs, RETRY } from './retry.js';
import { Coalescer } from './coalesce.js';
import { LinkOrder } from './order.js';
import { Poster, type PostOutcome } from './post.js';
import { RedeliveryLimiter } from './rate-limit.js';
import type { CreatedEndpoint, CreateEndpointBody, Delivery, Endpoint, WebhookEnvelope } from './schema.js';
import { checkUrl, type TargetPolicy } from './target-policy.js';
import { CommitListener } from './wake.js';

/**
 * An event to announce by webhook, written with `Webhooks.emit` inside the transaction of the
 * change it announces. The fields are Belvo's envelope (`webhook_type`, `webhook_code`, …).
 */
export interface WebhookEvent {
  tenantId: string;
  linkId: string | null;
  externalId: string | null;
  /** `ACCOUNTS`, `TRANSACTIONS`, `OWNERS`, …, `LINK`. */
  webhookType: string;
  /** `historical_update`, `new_transactions_available`, `invalid_credentials`, … */
  webhookCode: string;
  /** `historical_update` or `recurrent_update`. */
  processType: string;
  /** The API request that caused it (its X-Request-Id); a new id otherwise. */
  requestId?: string | null;
  data: Record<string, unknown>;
  /** When it happened on the tenant's clock, if the caller has read it already (else emit reads it). */
  at?: Date;
}

export interface WebhooksOptions {
  store: Store;
  vault: Vault;
  /** Due times (retries, `created_at`, `delivered_at`) are on this clock; signatures use real time. */
  clock: Clock;
  /** A delivery that has not answered 2xx within this many ms failed (default 5,000). */
  timeoutMs?: number;
  /**
   * Delivery workers in this process (default 8), each fetching up to `batchSize` jobs at once
   * (default 8) and delivering them concurrently: up to 64 deliveries in flight. A batch shares
   * its job-queue statements and, through the coalescing below, its reads and outcome writes;
   * measured on the 2-core dev box: ~600 deliveries/s for 32 workers of one job, 1,300–1,900 for
   * 8 × 8. The price: a receiver that never answers holds its batch's worker until the timeout.
   */
  concurrency?: number;
  batchSize?: number;
  /** Where endpoints may point (required: no silent default for a security rule). */
  targetPolicy: TargetPolicy;
  logger?: { debug(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Where delivery outcomes and POST durations are counted. */
  metrics?: Metrics;
  /** Wake-up NOTIFYs inside emitting transactions are this far apart at least (default 25 ms; see `sendJobs`). */
  wakeDebounceMs?: number;
}

const CHANNEL = 'vinculo_webhooks';
const CLAIM_BATCH = 500;
const WAKE_DEBOUNCE_MS = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A header value Node will send: no control characters except tab (so no header injection).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]+$/;

interface Signer {
  url: URL;
  webhook: Webhook;
  authorization: string | null;
}

interface EndpointSecrets {
  secret: string;
  authorization?: string;
}

/** `waiting`: not attempted, an earlier delivery of its endpoint and link is pending. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped' | 'waiting';

/** The target's tenant's clock, read with the target. */
const tenantNow = (t: q.DeliveryTarget) => new Date(Date.now() + Number(t.clock_offset_ms));

/**
 * Webhooks: per-tenant endpoints, the outbox of events and their delivery.
 *
 * - `emit(tx, event)` runs inside the transaction of the change it announces: it writes the
 *   event, one delivery per endpoint of the tenant, and one `webhook-deliver` job per delivery,
 *   all in that transaction (nothing lost between commit and send, nothing sent on rollback).
 * - The `webhook-deliver` job (`registerJobs`) POSTs Belvo's envelope, signed per Standard
 *   Webhooks, and records the outcome. A failure schedules a retry in the deliveries table on the
 *   tenant's clock (30 s doubling, capped at 6 h, for 24 h; then `failed`); `sendDue(now)` — the
 *   scheduler's tick — turns due retries into jobs again.
 * - In order per (endpoint, link): a delivery waits while an earlier one of its link is pending
 *   and starts when that one ends (src/webhooks/order.ts).
 * - At least once: a job re-run after a crash finds its delivery already recorded and does
 *   nothing, or sends it again with the same `webhook-id` for the receiver to de-duplicate.
 */
export class Webhooks {
  private readonly db: Kysely<Database>;
  private readonly poster: Poster;
  /** Where deliveries may go; its `resolve` is replaceable for tests. */
  readonly policy: TargetPolicy;
  private readonly redeliveries = new RedeliveryLimiter();
  private readonly signers = new Map<string, Signer>();
  /** Attempts' reads and outcome writes, shared between deliveries running at the same moment. */
  private readonly targets = new Coalescer<string, q.DeliveryTarget | undefined>(async (ids) => {
    const rows = new Map((await q.findForDeliveries(this.db, [...new Set(ids)])).map((r) => [r.id, r]));
    return ids.map((id) => rows.get(id));
  });
  private readonly outcomes = new Coalescer<q.AttemptOutcome, boolean>(async (list) => {
    // A delivery appears once per statement: a duplicate job's outcome goes in a second one.
    const seen = new Set<string>();
    const firsts = list.filter((o) => !seen.has(o.id) && seen.add(o.id));
    const rest = list.filter((o) => !firsts.includes(o));
    const recorded = await q.recordOutcomes(this.db, firsts);
    const recordedAgain = rest.length ? await q.recordOutcomes(this.db, rest) : [];
    // Committed: what waited behind the deliveries that ended starts now.
    await this.order.afterEnd([...recorded, ...recordedAgain].filter((r) => r.status !== 'pending'));
    const [updated, again] = [recorded, recordedAgain].map((rows) => new Set(rows.map((r) => r.id)));
    return list.map((o) => (firsts.includes(o) ? updated : again).has(o.id));
  });
  /** In order per (endpoint, link). */
  private readonly order: LinkOrder;
  private queue?: Queue;
  private listener?: CommitListener;
  private lastNotify = -Infinity;
  private unannounced = 0;
  private trailingWake?: NodeJS.Timeout;

  constructor(private readonly options: WebhooksOptions) {
    this.db = options.store.db;
    this.policy = options.targetPolicy;
    this.poster = new Poster(options.timeoutMs ?? 5000, this.policy);
    this.order = new LinkOrder(this.db, (tx, ids) => this.sendJobs(tx, this.requireQueue(), ids, 'local'), (n) => this.wakeWorkers(n));
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 8;
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 8;
  }

  /** How long a receiver has to answer 2xx (ms). Settable for tests. */
  get timeoutMs(): number {
    return this.poster.timeoutMs;
  }
  set timeoutMs(ms: number) {
    this.poster.timeoutMs = ms;
  }

  // ---- endpoints -----------------------------------------------------------------------------------

  async createEndpoint(tenantId: string, body: CreateEndpointBody): Promise<CreatedEndpoint> {
    const url = (await this.checkTarget(checkUrl(body.url))).toString();
    if (body.authorization !== undefined && !HEADER_VALUE.test(body.authorization)) {
      throw new ValidationErrors([fieldError.invalid('authorization', 'Must be a valid HTTP header value (no line breaks or control characters).')]);
    }
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const secrets: EndpointSecrets = { secret, ...(body.authorization !== undefined && { authorization: body.authorization }) };
    const row = await q.insertEndpoint(this.db, {
      id,
      tenant_id: tenantId,
      url,
      has_authorization: body.authorization !== undefined,
      ...this.options.vault.sealJson(secrets, id),
      created_at: new Date(),
    });
    return { id: row.id, url: row.url, secret, created_at: row.created_at.toISOString(), has_authorization: row.has_authorization };
  }

  /**
   * Refuses a URL the target policy refuses now. A name that does not resolve yet is accepted:
   * every delivery decides again before connecting.
   */
  private async checkTarget(url: URL): Promise<URL> {
    const d = await this.policy.decide(url);
    if (!d.allowed && d.reason !== 'dns') throw new ValidationErrors([fieldError.invalid('url', d.message)]);
    return url;
  }

  async listEndpoints(tenantId: string, page: PageRequest): Promise<{ count: number; results: Endpoint[] }> {
    const { count, rows } = await q.pageEndpoints(this.db, tenantId, page);
    return { count, results: rows.map(toEndpointJson) };
  }

  /** Deletes an endpoint and its deliveries (pending ones are not sent). */
  async deleteEndpoint(tenantId: string, id: string): Promise<void> {
    if (!UUID.test(id) || !(await q.deleteEndpoint(this.db, tenantId, id))) throw apiError('not_found');
    this.signers.delete(id);
  }

  // ---- the CLI's view: tenants by name ---------------------------------------------------------------

  async tenantId(name: string): Promise<string | null> {
    return (await tenants.findTenantByName(this.db, name))?.id ?? null;
  }

  listAllEndpoints(tenantName?: string) {
    return q.listEndpointsWithTenant(this.db, tenantName);
  }

  /** Deletes an endpoint of any tenant; false when there is none with that id. */
  async deleteAnyEndpoint(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    this.signers.delete(id);
    return q.deleteEndpoint(this.db, null, id);
  }

  // ---- the outbox ----------------------------------------------------------------------------------

  /**
   * Records `event` for delivery to every endpoint the tenant has now; returns its `webhook_id`.
   * Call it with the transaction that makes the change (given a plain Kysely instance it opens
   * its own). A tenant with no endpoint gets nothing recorded (the id is returned all the same).
   */
  async emit(db: Kysely<Database>, event: WebhookEvent): Promise<string> {
    const queue = this.requireQueue();
    const now = event.at ?? (await this.options.clock.now(event.tenantId, db));
    const envelope: WebhookEnvelope = {
      webhook_id: randomBytes(16).toString('hex'),
      webhook_type: event.webhookType,
      process_type: event.processType,
      webhook_code: event.webhookCode,
      link_id: event.linkId,
      request_id: event.requestId ?? randomBytes(16).toString('hex'),
      external_id: event.externalId,
      data: event.data,
    };
    const write = async (tx: Kysely<Database>) => {
      const ids = await q.insertEvent(tx, {
        id: envelope.webhook_id,
        tenant_id: event.tenantId,
        link_id: event.linkId,
        webhook_type: event.webhookType,
        webhook_code: event.webhookCode,
        process_type: event.processType,
        payload: JSON.stringify(envelope),
        created_at: now,
      });
      await this.sendJobs(tx, queue, ids);
      return envelope.webhook_id;
    };
    return db.isTransaction ? write(db) : db.transaction().execute(write);
  }

  /**
   * One delivery job per id, in `tx`, and a wake-up for the workers, which must come after the
   * commit that makes the jobs visible (a worker woken earlier finds nothing and sleeps until its
   * next poll). The wake-up is a NOTIFY in the same transaction (delivered at its commit), except
   * within the debounce window (WAKE_DEBOUNCE_MS) of the last one: PostgreSQL serialises the
   * commits of every notifying transaction in the cluster (it holds a global lock through the
   * commit's WAL flush), which capped emits at a few hundred per second. Deliveries written
   * meanwhile are counted once their transaction has committed (`afterCommit`; never if it rolls
   * back) and announced by one NOTIFY outside any transaction at the end of the window, or at
   * once if that has passed. `local`: no NOTIFY; the caller wakes this process's workers after
   * its commit.
   */
  private async sendJobs(tx: Kysely<Database>, queue: Queue, ids: readonly string[], debounce: boolean | 'local' = true): Promise<void> {
    if (!ids.length) return;
    await queue.sendMany('webhook-deliver', ids.map((deliveryId) => ({ deliveryId })), { db: tx });
    if (debounce === 'local') return;
    const now = performance.now();
    const inWindow = debounce && now - this.lastNotify < this.wakeDebounceMs;
    // A transaction the store cannot report the commit of (none: `emit` opens one) notifies itself.
    if (inWindow && (await afterCommit(tx, () => this.announceLater(ids.length)))) return;
    this.lastNotify = now;
    await q.notify(tx, CHANNEL, String(ids.length));
  }

  private get wakeDebounceMs(): number {
    return this.options.wakeDebounceMs ?? WAKE_DEBOUNCE_MS;
  }

  /** Deliveries committed within the debounce window: one NOTIFY for them all at its end. */
  private announceLater(deliveries: number): void {
    this.unannounced += deliveries;
    this.trailingWake ??= setTimeout(() => {
      this.trailingWake = undefined;
      const n = this.unannounced;
      this.unannounced = 0;
      this.lastNotify = performance.now();
      q.notify(this.db, CHANNEL, String(n)).catch((err) => this.options.logger?.error({ err }, 'webhook wake-up failed'));
    }, Math.max(1, this.lastNotify + this.wakeDebounceMs - performance.now()));
    this.trailingWake.unref();
  }

  /**
   * Sends the jobs of every retry due on its tenant's clock (`now`: real time); returns each one's tenant. Safe to call
   * from several processes at once (claims skip rows another caller holds).
   */
  async sendDue(now: Date): Promise<string[]> {
    const queue = this.requireQueue();
    const tenants: string[] = [];
    for (;;) {
      const claimed = await this.db.transaction().execute(async (tx) => {
        const due = await q.claimDue(tx, now, CLAIM_BATCH);
        await this.sendJobs(tx, queue, due.map((d) => d.id), false);
        return due;
      });
      tenants.push(...claimed.map((d) => d.tenant_id));
      if (claimed.length < CLAIM_BATCH) return tenants;
    }
  }

  // ---- delivery ------------------------------------------------------------------------------------

  /**
   * Declares the `webhook-deliver` job on `queue`. Call it before `queue.start()` in every process
   * that emits, sends due retries or delivers (a job must be declared to be sent).
   */
  registerJobs(queue: Queue): void {
    this.queue = queue;
    queue.defineJob('webhook-deliver', (job) => this.counted(job.data.deliveryId), {
      concurrency: this.concurrency,
      batchSize: this.batchSize,
      // Only store trouble makes a delivery job throw (a receiver's failure is recorded and
      // retried on the virtual clock): retry the job itself for a couple of hours.
      retryLimit: 10,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: Math.max(60, Math.ceil((this.timeoutMs * 3) / 1000) + 30),
      retentionMinutes: 60 * 24 * 7,
    });
  }

  /**
   * In a process that runs delivery workers (after `queue.start()`): listens for commits that
   * wrote deliveries, here or in any process sharing the store, and wakes the workers at once
   * instead of at their next poll.
   */
  async start(): Promise<void> {
    this.requireQueue();
    if (this.listener) return;
    this.listener = new CommitListener(
      this.options.store,
      CHANNEL,
      (payload) => this.wakeWorkers(Number(payload) || 1),
      (err) => this.options.logger?.error({ err }, 'webhook wake-up listener failed'),
    );
    await this.listener.start();
  }

  /** Wakes enough of this process's workers for `deliveries` new jobs (each takes a batch), at most all of them. */
  private wakeWorkers(deliveries: number): void {
    const n = Math.min(this.concurrency, Math.max(1, Math.ceil(deliveries / this.batchSize)));
    for (let i = 0; i < n; i++) this.queue?.wake('webhook-deliver');
  }

  /** Stops listening and closes idle connections to receivers. Call after the queue stopped. */
  async stop(): Promise<void> {
    clearTimeout(this.trailingWake);
    await this.listener?.stop();
    this.poster.close();
  }

  /** `deliver`, its outcome counted (`error`: the store failed and the job will be retried). */
  private async counted(deliveryId: string): Promise<DeliveryOutcome> {
    try {
      const outcome = await this.deliver(deliveryId);
      this.options.metrics?.webhookDeliveries.inc({ outcome });
      return outcome;
    } catch (err) {
      this.options.metrics?.webhookDeliveries.inc({ outcome: 'error' });
      throw err;
    }
  }

  /**
   * One delivery attempt (the job's body). Does nothing when the delivery is gone (its endpoint
   * was deleted), already final, or waiting for a retry or for an earlier delivery (a duplicate
   * run). Parks it, unattempted, while an earlier delivery of its endpoint and link is pending.
   */
  async deliver(deliveryId: string): Promise<DeliveryOutcome> {
    const t = await this.targets.submit(deliveryId);
    if (!t) return 'skipped';
    if (t.status !== 'pending') {
      // Ended. A run again after a crash: start what waits behind it, if that did not happen.
      await this.order.afterEnd([t]);
      return 'skipped';
    }
    if (t.next_attempt_at !== null || t.waiting) return 'skipped';
    if (t.blocked && (await this.order.park(t.id, tenantNow(t)))) return 'waiting';
    let signer: Signer;
    try {
      signer = this.signer(t);
    } catch (err) {
      // The master key that sealed it is not configured here: an operator's fix; retry on schedule.
      if (!(err instanceof VinculoError && err.code === 'vault_error')) throw err;
      return this.recordOutcome(t, { ok: false, statusCode: null, error: 'secret_unavailable' });
    }
    const sentAt = new Date(); // real time: receivers check the timestamp against their own clock
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Vinculo-Webhooks/1',
      'webhook-id': t.webhook_id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signer.webhook.sign(t.webhook_id, sentAt, t.payload),
    };
    if (signer.authorization !== null) headers.authorization = signer.authorization;
    const started = performance.now();
    const result = await this.poster.post(signer.url, headers, t.payload);
    const seconds = (performance.now() - started) / 1000;
    const outcome = await this.recordOutcome(t, result);
    this.options.metrics?.webhookDuration.observe({ outcome }, seconds);
    return outcome;
  }

  private async recordOutcome(t: q.DeliveryTarget, result: PostOutcome): Promise<DeliveryOutcome> {
    // The tenant's clock, read with the target (retries are due on it).
    const now = tenantNow(t);
    if (result.ok) {
      await this.outcomes.submit({ id: t.id, delivered: true, statusCode: result.statusCode, error: null, now, nextAttemptAt: null });
      return 'delivered';
    }
    const first = t.first_attempt_at ?? now;
    const deadline = first.getTime() + RETRY.windowMs;
    const nextAttemptAt =
      now.getTime() >= deadline ? null : new Date(Math.min(now.getTime() + retryDelayMs(t.attempts + 1), deadline));
    await this.outcomes.submit({ id: t.id, delivered: false, statusCode: result.statusCode, error: result.error, now, nextAttemptAt });
    this.options.logger?.debug(
      { delivery_id: t.id, webhook_id: t.webhook_id, attempt: t.attempts + 1, status_code: result.statusCode, error: result.error },
      nextAttemptAt ? 'webhook delivery failed, retry scheduled' : 'webhook delivery failed for good',
    );
    return nextAttemptAt ? 'retry' : 'failed';
  }

  /** The endpoint's URL and opened secrets; endpoints never change, so they are kept in memory. */
  private signer(t: q.DeliveryTarget): Signer {
    let s = this.signers.get(t.endpoint_id);
    if (!s) {
      const secrets = this.options.vault.openJson<EndpointSecrets>(t, t.endpoint_id);
      s = { url: new URL(t.url), webhook: new Webhook(secrets.secret), authorization: secrets.authorization ?? null };
      if (this.signers.size >= 10_000) this.signers.clear();
      this.signers.set(t.endpoint_id, s);
    }
    return s;
  }

  // ---- deliveries API -------------------------------------------------------------------------------

  async listDeliveries(tenantId: string, query: Record<string, unknown>, page: PageRequest) {
    const filters = parseFilters(deliveryFilters, query);
    const { count, rows } = await q.pageDeliveries(this.db, tenantId, filters, page);
    return { count, results: rows.map(toDeliveryJson) };
  }

  /**
   * Sends a delivery again now, with the same `webhook_id`; a new 24 h retry window starts. At
   * most REDELIVERY_LIMIT per endpoint per minute (429 `too_many_requests` past it).
   */
  async redeliver(tenantId: string, id: string): Promise<Delivery> {
    const queue = this.requireQueue();
    if (!UUID.test(id)) throw apiError('not_found');
    const existing = await q.findDelivery(this.db, tenantId, id);
    if (!existing) throw apiError('not_found');
    const wait = this.redeliveries.take(existing.endpoint_id);
    if (wait > 0) {
      throw apiError('too_many_requests', 'Too many redeliveries for this webhook endpoint; try again later.', { retryAfterSeconds: wait });
    }
    const row = await this.db.transaction().execute(async (tx) => {
      if (!(await q.resetForRedelivery(tx, tenantId, id))) return undefined;
      await this.sendJobs(tx, queue, [id], false);
      return q.findDelivery(tx, tenantId, id);
    });
    if (!row) throw apiError('not_found');
    return toDeliveryJson(row);
  }

  private requireQueue(): Queue {
    if (!this.queue) throw new Error('webhooks: registerJobs(queue) was not called');
    return this.queue;
  }
}
