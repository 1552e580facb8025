import type { Kysely } from 'kysely';
import { deleteOldAuditRecords } from '../store/queries/audit.js';
import { deleteExpiredIdempotencyKeys } from '../store/queries/idempotency.js';
import { deleteOldArchivedJobs } from '../store/queries/jobs.js';
import { deleteOldDeliveries, deleteOldEvents } from '../store/queries/webhooks.js';
import { deleteExpiredWidgetSessions } from '../store/queries/widget-sessions.js';
import type { Database } from '../store/schema.js';

/**
 * Retention: what nothing else deletes is deleted once it is old enough, by the scheduler's
 * housekeeping pass (every 30 s, src/refresh/scheduler.ts). Each step deletes in batches of
 * `batchSize` rows, one short statement each (no long locks), at most `batchesPerPass` batches per
 * pass: a backlog (a lowered setting, a first run on an old store) drains over several passes
 * instead of one long one.
 *
 * Ages are on each tenant's clock, as for the rest of the housekeeping (MFA sessions, abandoned
 * links, `stale_in`): advancing a sandbox tenant's clock makes its old rows go; with the sandbox
 * off every tenant is on real time. The job queue is nobody's tenant: its archive ages in real time.
 */
export interface RetentionSettings {
  /** Webhook events and their deliveries (VINCULO_WEBHOOK_RETENTION_DAYS). Pending deliveries stay. */
  webhookDays: number;
  /** pg-boss's archived jobs (VINCULO_JOB_RETENTION_DAYS). */
  jobDays: number;
  /** Audit records (VINCULO_AUDIT_RETENTION_DAYS). */
  auditDays: number;
  /** pg-boss's schema (its archive table). */
  jobSchema: string;
  batchSize?: number;
  batchesPerPass?: number;
  /** A step that failed; the other steps still run. */
  onError?: (err: unknown, step: RetentionStep) => void;
}

/** Rows each step deleted in one pass. */
export interface RetentionCounts {
  webhookDeliveries: number;
  webhookEvents: number;
  archivedJobs: number;
  widgetSessions: number;
  auditRecords: number;
  /** Answers kept for `Idempotency-Key` replays, past their 24 h (real time). */
  idempotencyKeys: number;
}

export type RetentionStep = keyof RetentionCounts;

/** Expired widget sessions are kept this long (on the tenant's clock) before they go. */
export const WIDGET_SESSION_GRACE_MS = 86_400_000;
export const RETENTION_BATCH = 1000;
export const RETENTION_BATCHES_PER_PASS = 10;

/**
 * How much one step may delete in one pass: `batchesPerPass` batches of at most `batchSize` rows.
 * The retention's steps and the scheduler's other housekeeping (expired credentials, `stale_in`
 * data, MFA sessions, abandoned links) share it.
 */
export interface BatchBudget {
  batchSize: number;
  batchesPerPass: number;
}

/** The budget `settings` ask for, the defaults (1,000 rows, 10 batches) where they say nothing. */
export function batchBudget(settings: { batchSize?: number; batchesPerPass?: number } = {}): BatchBudget {
  return { batchSize: settings.batchSize ?? RETENTION_BATCH, batchesPerPass: settings.batchesPerPass ?? RETENTION_BATCHES_PER_PASS };
}

/**
 * One step's pass: runs its batches — each deletes up to `limit` rows in one short statement or
 * transaction and says how many — in order, each until it comes back short (nothing left of that
 * kind), and stops once the step has run `batchesPerPass` full batches: what is left goes at the
 * next pass. Several batches (one per table) share the step's budget, so a pass deletes at most
 * `batchSize × batchesPerPass` rows per step, in at most `batchesPerPass` statements plus one
 * per table. Returns the rows deleted.
 */
export async function inBatches(batches: readonly ((limit: number) => Promise<number>)[], budget: BatchBudget): Promise<number> {
  let deleted = 0;
  let full = 0;
  for (const batch of batches) {
    for (;;) {
      if (full >= budget.batchesPerPass) return deleted;
      const n = await batch(budget.batchSize);
      deleted += n;
      if (n < budget.batchSize) break;
      full++;
    }
  }
  return deleted;
}

/** One batch of a step: deletes up to `limit` rows due at `now`, returns how many. */
type Batch = (db: Kysely<Database>, now: Date, limit: number) => Promise<number>;

export class Retention {
  private readonly steps: readonly [RetentionStep, Batch][];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: RetentionSettings,
  ) {
    const s = settings;
    // In order: deliveries before their events (an event goes once it has no delivery left).
    this.steps = [
      ['webhookDeliveries', (db, now, limit) => deleteOldDeliveries(db, now, s.webhookDays, limit)],
      ['webhookEvents', (db, now, limit) => deleteOldEvents(db, now, s.webhookDays, limit)],
      ['archivedJobs', (db, _now, limit) => deleteOldArchivedJobs(db, s.jobSchema, s.jobDays, limit)],
      ['widgetSessions', (db, now, limit) => deleteExpiredWidgetSessions(db, now, WIDGET_SESSION_GRACE_MS, limit)],
      ['auditRecords', (db, now, limit) => deleteOldAuditRecords(db, now, s.auditDays, limit)],
      ['idempotencyKeys', (db, now, limit) => deleteExpiredIdempotencyKeys(db, now, limit)],
    ];
  }

  /** One pass: every step, each up to its budget. `now` is real time (each tenant's offset is added in SQL). */
  async run(now: Date): Promise<RetentionCounts> {
    const counts: RetentionCounts = { webhookDeliveries: 0, webhookEvents: 0, archivedJobs: 0, widgetSessions: 0, auditRecords: 0, idempotencyKeys: 0 };
    const budget = batchBudget(this.settings);
    for (const [step, batch] of this.steps) {
      try {
        // Counted batch by batch: what a step deleted before it failed is still reported.
        const counted = async (limit: number) => {
          const n = await batch(this.db, now, limit);
          counts[step] += n;
          return n;
        };
        await inBatches([counted], budget);
      } catch (err) {
        if (!this.settings.onError) throw err;
        this.settings.onError(err, step);
      }
    }
    return counts;
  }
}
