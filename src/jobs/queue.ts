import { createRequire } from 'node:module';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import PgBoss from 'pg-boss';
import type { Store } from '../store/db.js';
import { embeddedExecutor, kyselyExecutor, postgresExecutor, type Executor } from './executors.js';
import type { Job, JobHandler, JobInfo, JobMap, JobOptions, QueueOptions, SendOptions, StopOptions } from './types.js';

export type * from './types.js';

/**
 * Durable background jobs: a thin, typed layer over pg-boss (10.4) that runs the same job code
 * on both stores.
 *
 * - PostgreSQL: pg-boss gets its own small pg pool on the store's URL, so polling and job
 *   bookkeeping never queue behind API queries. Several processes may share the database: a
 *   job is fetched with `FOR UPDATE SKIP LOCKED`, so each job runs in exactly one of them.
 * - Embedded (PGlite, one connection): every pg-boss statement takes the store pool's single
 *   turn (`store.db.connection()`, the same FIFO a Kysely transaction holds from BEGIN to
 *   COMMIT), so a poll or a completion never lands inside somebody else's transaction. While it
 *   holds the turn it talks to PGlite directly: `query` for pg-boss's parameterised statements,
 *   `exec` for its parameterless multi-statement scripts (schema install, maintenance), which
 *   `query` refuses.
 * - `send(…, { db: trx })` enqueues inside a Kysely transaction (the outbox: the job exists iff
 *   the change that caused it commits). The statement goes through the transaction's own
 *   connection. On PGlite that is the only way: the transaction holds the single client, so a
 *   plain `send()` awaited inside a transaction would wait for its own transaction to end and
 *   deadlock. Rule: inside a transaction, always pass `{ db: trx }`.
 *
 * Delivery is at least once: a job whose process dies mid-run stays `active` until its
 * `expireInSeconds` passes, then maintenance (every `maintenanceSeconds`, in whichever process
 * gets there first) fails it and it is retried while `retryLimit` allows. Handlers must be
 * idempotent, and a handler that outlives `expireInSeconds` is failed (and retried) while it
 * still runs, so set the expiry above the slowest honest run.
 */

interface Definition {
  name: string;
  handler: JobHandler<any>;
  options: JobOptions;
  workerIds: string[];
  nextWorker: number;
}

type State = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

// Two kinds of pg-boss statement fail silently or fatally, so we recognise them by their text
// (pg-boss has no "exports" map, so its statement builders are reachable; version pinned):
// - completion and failure of a worker's job are fired without being awaited (manager.js `watch`):
//   a database error there is an unhandled rejection that ends the process. We report it and
//   resolve instead: the job stays active, expires and is retried.
// - a worker's fetch swallows every error (it expects only unique violations from singleton
//   queues): we report the others, so a worker cut off from its database is not silent.
// pg-boss reports its other background failures (maintenance, cron) through its 'error' event.
const plans = createRequire(import.meta.url)('pg-boss/src/plans.js') as {
  completeJobs(schema: string): string;
  failJobsById(schema: string): string;
  fetchNextJob(schema: string): (options: { includeMetadata: boolean; priority: boolean }) => string;
};

const UNIQUE_VIOLATION = '23505';

export function createJobQueue<Jobs extends JobMap<Jobs> = Record<string, object>>(
  store: Store,
  options: QueueOptions = {},
): JobQueue<Jobs> {
  return new JobQueue<Jobs>(store, options);
}

export class JobQueue<Jobs extends JobMap<Jobs> = Record<string, object>> {
  private readonly boss: PgBoss;
  /** pg-boss's database schema (its `job` and `archive` tables). */
  readonly schema: string;
  private readonly executor: Executor;
  private readonly definitions = new Map<string, Definition>();
  private readonly handlers = new InFlight();
  private readonly statements = new InFlight();
  private readonly onError: (err: unknown, job?: Job<unknown>) => void;
  private readonly unawaited: Set<string>;
  private readonly fetchSql: string;
  private readonly dueFetchSql: string;
  private state: State = 'new';
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private closed = false;
  private closing?: Promise<void>;

  constructor(
    store: Store,
    private readonly options: QueueOptions = {},
  ) {
    this.onError = options.onError ?? ((err) => console.error('job queue:', err));
    const schema = (this.schema = options.schema ?? 'pgboss');
    this.unawaited = new Set([plans.completeJobs(schema), plans.failJobsById(schema)]);
    this.fetchSql = plans.fetchNextJob(schema)({ includeMetadata: true, priority: true }); // as our workers fetch
    // pg-boss fetches `start_after < now()`, strictly, and PGlite's now() has millisecond
    // resolution: a job sent (or made due) in the millisecond of the fetch was skipped, and a
    // woken worker then slept a whole poll. Due means start_after <= now(), on both stores.
    this.dueFetchSql = this.fetchSql.replace('AND start_after < now()', 'AND start_after <= now()');
    if (this.dueFetchSql === this.fetchSql) throw new Error("pg-boss's fetch statement changed: review JobQueue.dueFetchSql");
    this.executor =
      store.kind === 'embedded'
        ? embeddedExecutor(store)
        : postgresExecutor(store.url, options.poolSize ?? 4, (err) => this.onError(err));
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => this.executeSql(text, values) } as PgBoss.Db,
      schema,
      migrate: true,
      supervise: true,
      // Cron fires from whichever process gets there first each minute; keep it off API-only ones.
      schedule: options.cron ?? options.workers !== false,
      pollingIntervalSeconds: options.pollSeconds ?? 2,
      maintenanceIntervalSeconds: options.maintenanceSeconds ?? 60,
      ...(options.archiveDays !== undefined && { deleteAfterDays: options.archiveDays }),
    });
    this.boss.on('error', (err) => this.onError(err));
  }

  /** Declares a job type: its handler and queue options. Call before `start()`. */
  defineJob<K extends keyof Jobs & string>(name: K, handler: JobHandler<Jobs[K]>, options: JobOptions = {}): this {
    if (this.state !== 'new') throw new Error(`job "${name}" defined after the queue started`);
    if (this.definitions.has(name)) throw new Error(`job "${name}" is already defined`);
    if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
      throw new Error('concurrency must be an integer ≥ 1');
    }
    if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
      throw new Error('batchSize must be an integer ≥ 1');
    }
    this.definitions.set(name, { name, handler, options, workerIds: [], nextWorker: 0 });
    return this;
  }

  /** Installs or migrates pg-boss's schema, creates/updates the defined queues and starts the workers. */
  start(): Promise<void> {
    if (this.state === 'starting' || this.state === 'started') return this.starting!;
    if (this.state !== 'new') return Promise.reject(new Error('job queue was stopped'));
    this.state = 'starting';
    this.starting = (async () => {
      await this.boss.start();
      const definitions = [...this.definitions.values()];
      // Create every queue before any points at another as its dead-letter queue (a foreign key),
      // then bring existing queues' options in line with the code (createQueue keeps old ones).
      for (const d of definitions) await this.boss.createQueue(d.name, queueOptions(d, false));
      for (const d of definitions) await this.boss.updateQueue(d.name, queueOptions(d, true));
      if (this.options.workers !== false) {
        for (const d of definitions) {
          for (let i = 0; i < (d.options.concurrency ?? 1); i++) d.workerIds.push(await this.work(d));
        }
      }
      this.state = 'started';
    })().catch(async (err) => {
      this.state = 'stopped';
      await this.boss.stop({ graceful: false, close: false }).catch(() => {});
      await this.close().catch(() => {});
      throw err;
    });
    return this.starting;
  }

  /**
   * Enqueues a job; resolves to its id, or null when a singleton rule dropped it. With `db` the
   * insert is part of that transaction. Allowed while stopping (a finishing handler may enqueue).
   */
  async send<K extends keyof Jobs & string>(name: K, data: Jobs[K], options: SendOptions = {}): Promise<string | null> {
    const definition = this.definitions.get(name);
    if (!definition) throw new Error(`unknown job "${name}"`);
    await this.ready();
    const { db, startAfter, ...rest } = options;
    if (rest.singletonKey !== undefined && (definition.options.policy ?? 'standard') === 'standard' && !rest.singletonSeconds) {
      // pg-boss would accept it and silently not de-duplicate anything.
      throw new Error(`job "${name}": singletonKey needs a short/singleton/stately policy or singletonSeconds`);
    }
    const id = await this.boss.send(
      name,
      data,
      defined({
        ...rest,
        startAfter: typeof startAfter === 'number' ? Math.max(0, startAfter) : startAfter,
        db: db ? kyselyExecutor(db) : undefined,
      }),
    );
    // Outside a transaction the job is visible now: wake a local worker instead of waiting for its poll.
    if (id && !db && !startAfter) this.wake(name);
    return id;
  }

  /**
   * Enqueues one `name` job per payload in one statement (pg-boss `insert`, with the queue's
   * options), inside `db` if given — the scheduler's claims send hundreds at once. Their ids, in order.
   */
  async sendMany<K extends keyof Jobs & string>(name: K, payloads: readonly Jobs[K][], options: { db?: Kysely<any> } = {}): Promise<string[]> {
    if (!this.definitions.has(name)) throw new Error(`unknown job "${name}"`);
    if (!payloads.length) return [];
    await this.ready();
    const jobs = payloads.map((data) => ({ id: randomUUID(), name, data }));
    await this.boss.insert(jobs, defined({ db: options.db ? kyselyExecutor(options.db) : undefined }));
    if (!options.db) this.wake(name);
    return jobs.map((j) => j.id);
  }

  /** Wakes one of this process's workers for `name` (e.g. after committing a transaction that sent one). */
  wake(name: keyof Jobs & string): void {
    const d = this.definitions.get(name);
    if (!d?.workerIds.length || this.state !== 'started') return;
    this.boss.notifyWorker(d.workerIds[d.nextWorker++ % d.workerIds.length]);
  }

  /**
   * Runs the due jobs of `name` here and now, one by one, also in a process without workers (tests,
   * an API-only instance): each ends as a worker's would, completed or failed (and retried per its
   * options). Resolves how many ran.
   */
  async runQueued(name: keyof Jobs & string): Promise<number> {
    const d = this.definitions.get(name);
    if (!d) throw new Error(`unknown job "${name}"`);
    await this.ready();
    let ran = 0;
    for (;;) {
      const [fetched] = await this.boss.fetch<object>(name, { includeMetadata: true });
      if (!fetched) return ran;
      const job = toJob(fetched);
      ran++;
      try {
        await this.boss.complete(name, job.id, (await this.handlers.track(d.handler(job))) as object);
      } catch (err) {
        this.onError(err, job);
        await this.boss.fail(name, job.id, { message: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** A job's current state (also once archived), or null. */
  async getJob<K extends keyof Jobs & string>(name: K, id: string): Promise<JobInfo<Jobs[K]> | null> {
    await this.ready();
    const j = await this.boss.getJobById<Jobs[K]>(name, id, { includeArchive: true });
    if (!j) return null;
    return {
      id: j.id,
      name: j.name,
      state: j.state,
      data: j.data,
      retryCount: j.retryCount,
      retryLimit: j.retryLimit,
      startAfter: j.startAfter,
      startedOn: j.startedOn ?? null,
      completedOn: j.completedOn ?? null,
      output: j.output ?? null,
    };
  }

  /** Sends `name` on a cron schedule (minute resolution, one send per minute across all processes). */
  async schedule<K extends keyof Jobs & string>(name: K, cron: string, data: Jobs[K], options: { tz?: string } = {}): Promise<void> {
    if (!this.definitions.has(name)) throw new Error(`unknown job "${name}"`);
    await this.ready();
    await this.boss.schedule(name, cron, data, defined(options));
  }

  async unschedule(name: keyof Jobs & string): Promise<void> {
    await this.ready();
    await this.boss.unschedule(name);
  }

  /**
   * Readiness: resolves when the queue is started (not stopping) and its own connection answers
   * one of pg-boss's reads; throws otherwise.
   */
  async ping(): Promise<void> {
    if (this.state !== 'started') throw new Error(`job queue is ${this.state}`);
    await this.boss.getQueues();
  }

  /**
   * Stops fetching, lets running handlers finish (graceful, up to `timeoutMs`), fails whatever is
   * still running (it is retried later, here or elsewhere), then closes the queue's connections.
   * Idempotent. Call before closing the store.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutdown(options);
    return this.stopping;
  }

  private async shutdown({ graceful = true, timeoutMs = 30_000 }: StopOptions): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.state === 'starting') await this.starting!.catch(() => {});
    if (this.state === 'started') {
      this.state = 'stopping';
      // Stop polling first (this also cuts a worker's poll sleep short).
      for (const d of this.definitions.values()) if (d.workerIds.length) await this.boss.offWork(d.name);
      if (graceful) await idle([this.handlers, this.statements], deadline);
      // pg-boss's own stop (timers, cron) without its 500 ms wait loop: by now nothing should be
      // running; anything that still is (non-graceful, or past the deadline) is failed here.
      await this.boss.stop({ graceful: false, close: false });
      await idle([this.statements], Math.max(deadline, Date.now() + 5_000));
    }
    this.state = 'stopped';
    await this.close();
  }

  private close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.executor.close();
    return this.closing;
  }

  private async ready(): Promise<void> {
    if (this.state === 'starting') await this.starting;
    if (this.state !== 'started' && this.state !== 'stopping') {
      throw new Error(`job queue is ${this.state === 'new' ? 'not started' : 'stopped'}`);
    }
  }

  private async work(d: Definition): Promise<string> {
    let workerId: string | undefined;
    const run = (jobs: PgBoss.JobWithMetadata<object>[]) => {
      // pg-boss completes or fails the fetched jobs together by the outcome (one job unless batchSize).
      const batch = jobs.map(toJob);
      // Tracked synchronously, so stop() cannot miss a job fetched just as it began.
      const running = this.handlers.track(
        (async () => {
          if (batch.length === 1) {
            try {
              return await d.handler(batch[0]);
            } catch (err) {
              this.onError(err, batch[0]);
              throw err;
            }
          }
          const results = await Promise.allSettled(batch.map((job) => (async () => d.handler(job))()));
          let first: unknown = null;
          results.forEach((r, i) => {
            if (r.status === 'fulfilled') return;
            this.onError(r.reason, batch[i]);
            first ??= r.reason;
          });
          if (first !== null) throw first;
          return undefined;
        })(),
      );
      return running
        .finally(() => {
          // pg-boss sleeps a full poll interval after every fetch; a worker that found work
          // looks again at once instead, so a backlog drains at handler speed.
          if (workerId) this.boss.notifyWorker(workerId);
        });
    };
    workerId = await this.boss.work<object>(
      d.name,
      { batchSize: d.options.batchSize ?? 1, includeMetadata: true, pollingIntervalSeconds: this.options.pollSeconds ?? 2 },
      run,
    );
    return workerId;
  }

  private executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }> {
    // Closed: answer as pg-boss's own closed Db does (undefined), which its callers tolerate.
    if (this.closed) return Promise.resolve(undefined as never);
    const result = this.statements.track(this.executor.executeSql(text === this.fetchSql ? this.dueFetchSql : text, values));
    return result.catch((err) => {
      if (this.unawaited.has(text)) {
        this.onError(err);
        return undefined as never;
      }
      if (text === this.fetchSql && (err as { code?: string }).code !== UNIQUE_VIOLATION) this.onError(err);
      throw err;
    });
  }
}

/** pg-boss validates options with `'key' in options`, so an explicit undefined is an error there. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function queueOptions(d: Definition, withDeadLetter: boolean): PgBoss.Queue {
  const { policy, retryLimit, retryDelay, retryBackoff, expireInSeconds, retentionMinutes, deadLetter } = d.options;
  return defined({
    name: d.name,
    policy: policy ?? 'standard',
    retryLimit,
    retryDelay,
    retryBackoff,
    expireInSeconds,
    retentionMinutes,
    deadLetter: withDeadLetter ? deadLetter : undefined,
  });
}

function toJob(j: PgBoss.JobWithMetadata<object>): Job<any> {
  return {
    id: j.id,
    name: j.name,
    data: j.data,
    retryCount: j.retryCount,
    retryLimit: j.retryLimit,
    singletonKey: j.singletonKey,
    createdOn: j.createdOn,
    startedOn: j.startedOn,
  };
}

class InFlight {
  readonly running = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    const done = () => this.running.delete(p);
    p.then(done, done);
    return p;
  }
}

/** Resolves true once nothing is in flight (stable across a macrotask turn), false at the deadline. */
async function idle(sets: InFlight[], deadline: number): Promise<boolean> {
  for (;;) {
    const pending = sets.flatMap((s) => [...s.running]);
    if (!pending.length) {
      // Settling one promise can start the next (a fetch → its handler → its completion) within
      // microtasks; look again after they have all run.
      await nextTurn();
      if (sets.every((s) => s.running.size === 0)) return true;
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(pending),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, 2 ** 31 - 1)))),
    ]);
    clearTimeout(timer);
  }
}
