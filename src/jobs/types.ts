import type { Kysely } from 'kysely';

/** The job queue's public vocabulary (what callers of src/jobs/queue.ts name), apart from its machinery. */

export type JobPolicy = 'standard' | 'short' | 'singleton' | 'stately';
export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/** Job name → payload type, e.g. `{ 'link-refresh': { linkId: string } }`. Payloads are JSON objects. */
export type JobMap<T> = { [K in keyof T]: object };

export interface Job<T> {
  id: string;
  name: string;
  data: T;
  /** 0 on the first attempt. */
  retryCount: number;
  retryLimit: number;
  singletonKey: string | null;
  createdOn: Date;
  startedOn: Date;
}

/** Its resolved value is stored as the job's output; a throw fails the attempt (retried per the job's retry options). */
export type JobHandler<T> = (job: Job<T>) => Promise<unknown>;

export interface RetryOptions {
  /** Retries after the first attempt (pg-boss default 2). */
  retryLimit?: number;
  /** Seconds before a retry (default 0). With `retryBackoff`, the base of an exponential delay with jitter: attempt n waits [d·2ⁿ⁻¹, d·2ⁿ). */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** How long one attempt may stay active before it is failed (default 15 min, below 24 h). */
  expireInSeconds?: number;
}

export interface JobOptions extends RetryOptions {
  /**
   * pg-boss queue policy. `short`: at most one *queued* job per singletonKey (later sends return
   * null until it starts). `singleton`: at most one *active* job per key. `stately`: at most one
   * per key in each of queued, retry and active. `standard` (default): no per-key limit.
   */
  policy?: JobPolicy;
  /** Jobs of this name run at most this many at a time in this process (default 1). */
  concurrency?: number;
  /**
   * Jobs one worker fetches at once (default 1): fewer statements per job for a busy queue of
   * short jobs. Their handlers run concurrently (so up to `concurrency` × `batchSize` at a time);
   * pg-boss completes them together once all succeeded, and if one throws it fails the whole
   * batch, so the others run again: only for idempotent handlers.
   */
  batchSize?: number;
  /** Minutes a job is kept before it is archived unstarted (pg-boss default 14 days). */
  retentionMinutes?: number;
  /** A defined job name that receives the payload of a job that failed for good. */
  deadLetter?: string;
}

export interface SendOptions extends RetryOptions {
  /** Not before this time; a number is seconds from now. */
  startAfter?: Date | number;
  /** See `JobOptions.policy`; on a `standard` job it needs `singletonSeconds` (throttle by time slot). */
  singletonKey?: string;
  singletonSeconds?: number;
  priority?: number;
  /** The job's id (a uuid), when the caller needs it before the send (e.g. to name what the job will hold). */
  id?: string;
  /** Enqueue as part of this Kysely transaction (or on this connection): committed with it, or never. */
  db?: Kysely<any>;
}

export interface JobInfo<T = unknown> {
  id: string;
  name: string;
  state: JobState;
  data: T;
  retryCount: number;
  retryLimit: number;
  startAfter: Date;
  startedOn: Date | null;
  completedOn: Date | null;
  output: unknown;
}

export interface QueueOptions {
  /** Seconds between polls of an idle job type (pg-boss minimum 0.5; default 2). A worker that just ran a job polls again at once. */
  pollSeconds?: number;
  /** Seconds between maintenance runs: expiring stuck active jobs, archiving (pg-boss minimum 1; default 60). */
  maintenanceSeconds?: number;
  /** Run this process's workers (false: an API-only process that only sends). Default true. */
  workers?: boolean;
  /** Fire `schedule()`d cron jobs from this process (pg-boss's timekeeper). Default: as `workers`. */
  cron?: boolean;
  /** PostgreSQL connections for the queue itself (default 4). */
  poolSize?: number;
  /** Database schema of pg-boss's tables (default `pgboss`). */
  schema?: string;
  /**
   * Days pg-boss keeps archived jobs (its `deleteAfterDays`, default 7). Its maintenance deletes
   * them in one statement per run; the retention's bounded deletes (src/retention) run a day
   * earlier, so this is only the backstop of a process where nobody runs the housekeeping.
   */
  archiveDays?: number;
  /** Failed attempts (with their job) and queue/database errors. */
  onError?: (err: unknown, job?: Job<unknown>) => void;
}

export interface StopOptions {
  /** Wait for running handlers to finish (default true). Otherwise, or past `timeoutMs`, they are failed and retried later. */
  graceful?: boolean;
  timeoutMs?: number;
}
