import type { Kysely } from 'kysely';
import { Audit, SYSTEM } from '../audit/index.js';
import { VinculoError } from '../errors.js';
import type { Jobs, Queue } from '../jobs/jobs.js';
import {
  claimDueRefreshes,
  deleteAbandonedLinks,
  deleteExpiredMfaSessions,
  deleteStaleData,
  expireCredentials,
  STALE_TABLES,
} from '../store/queries/refresh.js';
import type { Database } from '../store/schema.js';
import { batchBudget, inBatches, type RetentionCounts } from '../retention/service.js';

/** Work whose due times live in the store on each tenant's clock (webhook retries). */
export interface DueWork {
  /** Sends what is due; `now` is real time, to which each tenant's clock offset is added. Returns each one's tenant. */
  sendDue(now: Date): Promise<string[]>;
}

export interface TickResult {
  /** The refresh jobs this pass sent, each with its link's tenant. */
  refreshJobs: { job: string; tenantId: string }[];
  /** The tenant of each webhook retry this pass sent. */
  deliveries: string[];
  /** Links this pass's housekeeping made invalid because their `credentials_storage` ran out. */
  expiredCredentials: number;
  /** Objects of `stale_in` links it deleted (not counting an account's cascaded transactions). */
  staleObjects: number;
  /** Expired MFA sessions it deleted. */
  expiredSessions: number;
  /** Abandoned `unconfirmed` links it deleted. */
  abandonedLinks: number;
  /** What the retention deleted in this pass's housekeeping; null when housekeeping did not run. */
  retention: RetentionCounts | null;
}

export interface SchedulerOptions {
  /** `unconfirmed` links older than this (their tenant's clock) are deleted (VINCULO_UNCONFIRMED_LINK_DAYS). */
  abandonedLinkMs: number;
  /** Deletes what is past its retention (src/retention), in bounded batches, with the housekeeping. */
  retention?: { run(now: Date): Promise<RetentionCounts> };
  /**
   * The housekeeping's own deletes go in the retention's batches: at most `batchesPerPass`
   * (default 10) batches of `batchSize` (default 1,000) rows per kind and pass.
   */
  batchSize?: number;
  batchesPerPass?: number;
  /** Where the housekeeping records the credentials it deletes (default: the audit log of `db`). */
  audit?: Audit;
}

/** How long running what came due may take before the caller gets a 408. */
const RUN_DUE_TIMEOUT_MS = 45_000;
/** A claimed refresh whose job was lost comes due again after this long. */
export const CLAIM_GUARD_MS = 60 * 60_000;
/** Links claimed per transaction. */
export const CLAIM_BATCH = 500;
// Expired MFA sessions hold sealed credentials: they go within a minute of expiry.
const HOUSEKEEPING_MS = 30_000;

/**
 * The scheduler's pass, run every few seconds by each worker process (several may run at once:
 * claims use SKIP LOCKED): refreshes that came due become jobs — sent in the claiming
 * transaction, so a claim is never lost —, `credentials_storage: Nd` and `stale_in` expiries are
 * applied, expired MFA sessions, abandoned unconfirmed links and expired Idempotency-Key records
 * deleted, and due webhook retries sent. Due times are on each tenant's (virtual) clock, which is why this is ours and not
 * pg-boss's `startAfter`: advancing a tenant's sandbox clock makes its work due. One pass serves
 * every tenant: the queries add each tenant's clock offset in SQL.
 */
export class Scheduler {
  private timer?: NodeJS.Timeout;
  private lastHousekeeping = 0;
  /** The timer's pass in progress; resolves with what it did (undefined when it failed). */
  private pass?: Promise<TickResult | undefined>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly queue: Queue,
    private readonly dueWork: DueWork[] = [],
    private readonly options: SchedulerOptions = { abandonedLinkMs: 7 * 86_400_000 },
  ) {}

  async tick(housekeeping = false): Promise<TickResult> {
    const now = new Date();
    const refreshJobs: TickResult['refreshJobs'] = [];
    for (;;) {
      const sent = await this.db.transaction().execute(async (tx) => {
        const claimed = await claimDueRefreshes(tx, now, CLAIM_GUARD_MS, CLAIM_BATCH);
        const payloads = claimed.map((link) => ({ linkId: link.id, reason: 'scheduled' as const, claim: link.claim.toISOString() }));
        const ids = await this.queue.sendMany('link-refresh', payloads, { db: tx });
        return { claimed: claimed.length, jobs: ids.map((job, i) => ({ job, tenantId: claimed[i].tenant_id })) };
      });
      refreshJobs.push(...sent.jobs);
      if (sent.claimed < CLAIM_BATCH) break;
    }
    if (refreshJobs.length) this.queue.wake('link-refresh');
    const kept = { expiredCredentials: 0, staleObjects: 0, expiredSessions: 0, abandonedLinks: 0, retention: null as RetentionCounts | null };
    // Retention is measured in minutes and days: twice a minute is plenty (and always when asked to run everything due).
    if (housekeeping || Date.now() - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = Date.now();
      Object.assign(kept, await this.housekeeping(now));
      if (this.options.retention) kept.retention = await this.options.retention.run(now);
    }
    const deliveries: string[] = [];
    for (const work of this.dueWork) deliveries.push(...(await work.sendDue(now)));
    return { refreshJobs, deliveries, ...kept };
  }

  /**
   * Expiries on each tenant's clock: `credentials_storage`, `stale_in`, MFA sessions, abandoned
   * unconfirmed links. Each kind goes in the retention's bounded batches, each batch one short
   * statement or transaction, so a backlog (downtime, a lowered setting) never becomes one long
   * lock-holding transaction: what a pass's budget leaves goes at the next passes. A deletion of
   * credentials is audited (actor `system`) in the transaction that makes it.
   */
  private async housekeeping(now: Date) {
    const budget = batchBudget(this.options);
    const audit = this.options.audit ?? new Audit(this.db);
    let expiredCredentials = 0;
    await inBatches(
      [
        (limit) =>
          this.db.transaction().execute(async (tx) => {
            const expired = await expireCredentials(tx, now, limit);
            expiredCredentials += expired.filter((l) => l.invalid).length;
            await audit.writeMany(
              tx,
              expired.map((l) => ({ tenantId: l.tenant_id, actor: SYSTEM, action: 'credentials_expire' as const, linkId: l.id, outcome: 'success' })),
            );
            return expired.length;
          }),
      ],
      budget,
    );
    const staleObjects = await inBatches(
      STALE_TABLES.map((table) => (limit: number) => deleteStaleData(this.db, now, table, limit)),
      budget,
    );
    const expiredSessions = await inBatches([(limit) => deleteExpiredMfaSessions(this.db, now, limit)], budget);
    const abandonedLinks = await inBatches(
      [
        (limit) =>
          this.db.transaction().execute(async (tx) => {
            const gone = await deleteAbandonedLinks(tx, now, this.options.abandonedLinkMs, limit);
            await audit.writeMany(
              tx,
              gone.map((l) => ({ tenantId: l.tenant_id, actor: SYSTEM, action: 'delete' as const, linkId: l.id, outcome: 'success' })),
            );
            return gone.length;
          }),
      ],
      budget,
    );
    return { expiredCredentials, staleObjects, expiredSessions, abandonedLinks };
  }

  /** Runs `tick` every `intervalMs` in this process (a pass never overlaps the previous one). */
  start(intervalMs: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => {
      if (this.pass) return;
      this.pass = this.tick()
        .catch((err) => void onError(err))
        .finally(() => (this.pass = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  /**
   * Runs everything due now and waits for it: ticks, waits for the refresh jobs each tick sent,
   * and ticks again until nothing more is due (a refresh reschedules its link in the future, so
   * this ends). For the sandbox clock and tests. Given `tenantId`, the passes still serve every
   * tenant (what is due is due) but only that tenant's work is waited for and returned: one
   * tenant's advance neither waits on nor learns about another's refreshes.
   */
  async runDue(tenantId?: string, maxPasses = 50): Promise<TickResult[]> {
    const passes: TickResult[] = [];
    // Answered before a connection's default 60 s silence limit cuts the caller off.
    const deadline = Date.now() + RUN_DUE_TIMEOUT_MS;
    const mine = <T>(items: T[], tenantOf: (item: T) => string) => (tenantId ? items.filter((i) => tenantOf(i) === tenantId) : items);
    /** Keeps a pass's own work and waits for its refreshes; false once it found nothing to do. */
    const take = async (r: TickResult): Promise<boolean> => {
      const own = { ...r, refreshJobs: mine(r.refreshJobs, (j) => j.tenantId), deliveries: mine(r.deliveries, (t) => t) };
      passes.push(own);
      if (!own.refreshJobs.length && !own.deliveries.length) return false;
      await waitForJobs(this.queue, 'link-refresh', own.refreshJobs.map((j) => j.job), Math.max(1, deadline - Date.now()));
      return true;
    };
    // The timer's pass in progress may already have claimed what just came due (a moved clock):
    // its work is part of the answer, and is waited for like the rest.
    for (let running = this.pass; running; running = this.pass) {
      const r = await running;
      if (r && (r.refreshJobs.length || r.deliveries.length)) await take(r);
    }
    for (let i = 0; i < maxPasses; i++) {
      if (!(await take(await this.tick(i === 0)))) break;
    }
    return passes;
  }
}

/**
 * Resolves when every job's attempt has ended: completed, failed, cancelled, or waiting for its
 * retry (which runs on the queue's own schedule, in real time, and must not hold up the caller).
 * Nobody running the jobs (no worker process) is a timeout, not a hang.
 */
export async function waitForJobs(queue: Queue, name: keyof Jobs & string, ids: readonly string[], timeoutMs = RUN_DUE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size) {
    for (const id of [...pending]) {
      const job = await queue.getJob(name, id);
      if (!job || ENDED.has(job.state)) pending.delete(id);
    }
    if (!pending.size) return;
    if (Date.now() > deadline) {
      throw new VinculoError('request_timeout', `${pending.size} ${name} job(s) did not finish within ${Math.ceil(timeoutMs / 1000)} s: is a worker process running?`);
    }
    queue.wake(name);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ENDED = new Set(['completed', 'failed', 'cancelled', 'retry']);
