import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { freshStore, STORES } from '../../test/helpers/stores.js';
import { openStore, type Store } from '../store/db.js';
import { createJobQueue, type Job, type JobQueue } from './queue.js';

/**
 * The job queue on both stores (pg-boss; on PGlite through the store's single serialised
 * connection), and on PostgreSQL several worker processes sharing one database and a worker
 * killed mid-job.
 */

type Jobs = {
  echo: { n: number };
  flaky: { key: string };
  later: { key: string };
  unique: { key: string };
  plain: { key: string };
  outbox: { key: string };
};

const FAST = { pollSeconds: 0.5, cron: false } as const;
const SUITE = { timeout: 60_000 };

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<Truthy<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function jobState(store: Store, id: string): Promise<string | undefined> {
  const r = await sql<{ state: string }>`select state::text from pgboss.job where id = ${id}`.execute(store.db);
  return r.rows[0]?.state;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

for (const kind of STORES) {
  describe(`job queue [${kind}]`, SUITE, () => {
    let store: Store;
    let queue: JobQueue<Jobs>;
    const calls: { name: string; key: string; at: number; retryCount: number }[] = [];
    const errors: { message: string; job?: Job<unknown> }[] = [];
    const record = (job: Job<{ key: string }>) => calls.push({ name: job.name, key: job.data.key, at: Date.now(), retryCount: job.retryCount });
    const callsFor = (key: string) => calls.filter((c) => c.key === key);

    before(async () => {
      store = await openStore(await freshStore(kind));
      await sql`create table queue_test_change (key text primary key)`.execute(store.db);
      queue = createJobQueue<Jobs>(store, {
        ...FAST,
        onError: (err, job) => errors.push({ message: (err as Error).message, job }),
      });
      queue
        .defineJob('echo', async (job) => ({ doubled: job.data.n * 2, retryCount: job.retryCount }))
        .defineJob(
          'flaky',
          async (job) => {
            record(job);
            throw new Error(`attempt ${job.retryCount} failed`);
          },
          { retryLimit: 2, retryDelay: 1, retryBackoff: true },
        )
        .defineJob('later', async (job) => void record(job))
        .defineJob('unique', async (job) => void record(job), { policy: 'short' })
        .defineJob('plain', async (job) => void record(job))
        .defineJob('outbox', async (job) => void record(job), { concurrency: 2 });
      await queue.start();
    });

    after(async () => {
      await queue?.stop();
      await store?.close();
    });

    it('runs a job and stores its output', async () => {
      const id = await queue.send('echo', { n: 21 });
      assert.ok(id);
      const job = await waitFor('echo completed', async () => {
        const j = await queue.getJob('echo', id);
        return j?.state === 'completed' && j;
      });
      assert.deepEqual(job.output, { doubled: 42, retryCount: 0 });
      assert.deepEqual(job.data, { n: 21 });
      await assert.rejects(queue.send('nope' as 'echo', { n: 1 }), /unknown job "nope"/);
    });

    it('a send wakes a local worker, and a worker that found a job looks again at once', async () => {
      // Polling every 30 s: only the wake-ups can make these run within the test.
      const ran: number[] = [];
      const other = createJobQueue<{ wake: { n: number } }>(store, { ...FAST, pollSeconds: 30 });
      other.defineJob('wake', async (job) => void ran.push(job.data.n));
      await other.start();
      try {
        await other.send('wake', { n: 0 });
        await waitFor('the woken worker to run it', () => ran.length === 1, 5_000);
        // A backlog enqueued without a wake-up (as a transaction's sends are), then one wake-up.
        for (let n = 1; n <= 5; n++) await other.send('wake', { n }, { db: store.db });
        other.wake('wake');
        await waitFor('the backlog to drain', () => ran.length === 6, 5_000);
        // pg-boss orders by creation time, which several sends can share: compare as a set.
        assert.deepEqual([...ran].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
      } finally {
        await other.stop();
      }
    });

    it('runQueued (no workers) runs a job that became due just before it, also within the same millisecond', async () => {
      // pg-boss fetches `start_after < now()` and PGlite's now() has millisecond resolution.
      const ran: number[] = [];
      const manual = createJobQueue<{ manual: { n: number } }>(store, { ...FAST, workers: false });
      manual.defineJob('manual', async (job) => void ran.push(job.data.n));
      await manual.start();
      try {
        for (let n = 0; n < 300; n++) {
          const id = await manual.send('manual', { n }, { startAfter: 3600 });
          assert.equal(await manual.runQueued('manual'), 0, 'not due yet');
          await sql`update pgboss.job set start_after = now() where id = ${id}`.execute(store.db);
          assert.equal(await manual.runQueued('manual'), 1, `job ${n} ran`);
        }
        assert.deepEqual(ran, [...Array(300).keys()]);
      } finally {
        await manual.stop();
      }
    });

    it('retries a throwing job with exponential backoff, then fails it after retryLimit', async () => {
      const id = (await queue.send('flaky', { key: 'flaky-1' }))!;
      const job = await waitFor('flaky failed', async () => {
        const j = await queue.getJob('flaky', id);
        return j?.state === 'failed' && j;
      }, 15_000);
      const attempts = callsFor('flaky-1');
      assert.deepEqual(attempts.map((a) => a.retryCount), [0, 1, 2]); // 1 + retryLimit attempts
      assert.equal(job.retryCount, 2);
      // retryDelay 1 s with backoff: the 1st retry waits [1, 2) s, the 2nd [2, 4) s.
      const gap1 = attempts[1].at - attempts[0].at;
      const gap2 = attempts[2].at - attempts[1].at;
      assert.ok(gap1 >= 950, `first retry after ${gap1} ms`);
      assert.ok(gap2 >= 1950, `second retry after ${gap2} ms`);
      assert.match(JSON.stringify(job.output), /attempt 2 failed/);
      assert.deepEqual(
        errors.filter((e) => e.job?.id === id).map((e) => e.message),
        ['attempt 0 failed', 'attempt 1 failed', 'attempt 2 failed'],
      );
    });

    it('startAfter delays a job (seconds from now, or a Date)', async () => {
      const sent = Date.now();
      const inSeconds = (await queue.send('later', { key: 'later-seconds' }, { startAfter: 1 }))!;
      const atDate = (await queue.send('later', { key: 'later-date' }, { startAfter: new Date(sent + 1500) }))!;
      queue.wake('later');
      await sleep(600);
      assert.equal(calls.filter((c) => c.name === 'later').length, 0);
      assert.equal((await queue.getJob('later', inSeconds))?.state, 'created');
      await waitFor('both delayed jobs ran', () => callsFor('later-seconds').length + callsFor('later-date').length === 2, 5_000);
      assert.ok(callsFor('later-seconds')[0].at - sent >= 1000);
      assert.ok(callsFor('later-date')[0].at - sent >= 1500);
      assert.equal((await queue.getJob('later', atDate))?.data.key, 'later-date');
    });

    it('singletonKey de-duplicates queued jobs on a short-policy job', async () => {
      const first = await queue.send('unique', { key: 'u1' }, { singletonKey: 'link-1', startAfter: 60 });
      assert.ok(first);
      assert.equal(await queue.send('unique', { key: 'u2' }, { singletonKey: 'link-1', startAfter: 60 }), null);
      assert.ok(await queue.send('unique', { key: 'u3' }, { singletonKey: 'link-2', startAfter: 60 }));
      // On a standard job a bare singletonKey would silently de-duplicate nothing: refused.
      await assert.rejects(queue.send('plain', { key: 'p1' }, { singletonKey: 'k' }), /singletonKey needs/);
      // …but throttling by time slot works there.
      const slot = { singletonKey: 'k', singletonSeconds: 60, startAfter: 60 };
      assert.ok(await queue.send('plain', { key: 'p2' }, slot));
      assert.equal(await queue.send('plain', { key: 'p3' }, slot), null);
    });

    it('a send inside a transaction is delivered only if the transaction commits', async () => {
      let rolledBackId: string | null = null;
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('queue_test_change' as any).values({ key: 'rolled-back' }).execute();
          rolledBackId = await queue.send('outbox', { key: 'rolled-back' }, { db: trx });
          assert.ok(rolledBackId);
          // Workers poll meanwhile (woken, and past a poll interval): on PGlite they must wait for
          // the transaction's turn rather than run inside it and see the uncommitted job.
          queue.wake('outbox');
          await sleep(700);
          throw new Error('abort the change');
        }),
        /abort the change/,
      );
      const committedId = await store.db.transaction().execute(async (trx) => {
        await trx.insertInto('queue_test_change' as any).values({ key: 'committed' }).execute();
        return queue.send('outbox', { key: 'committed' }, { db: trx });
      });
      queue.wake('outbox');
      await waitFor('committed job ran', () => callsFor('committed').length === 1, 5_000);
      await sleep(600); // a poll interval more: the rolled-back one still never shows up
      assert.equal(callsFor('rolled-back').length, 0);
      assert.equal(await queue.getJob('outbox', rolledBackId!), null);
      assert.equal((await queue.getJob('outbox', committedId!))?.state, 'completed');
      const changes = await sql<{ key: string }>`select key from queue_test_change order by key`.execute(store.db);
      assert.deepEqual(changes.rows.map((r) => r.key), ['committed']);
    });

    it('sendMany: one statement for many jobs, inside a transaction (none on rollback), each run once with its payload', async () => {
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          const ids = await queue.sendMany('outbox', [{ key: 'many-rb-1' }, { key: 'many-rb-2' }], { db: trx });
          assert.equal(ids.length, 2);
          throw new Error('abort');
        }),
        /abort/,
      );
      const keys = ['many-1', 'many-2', 'many-3'];
      const ids = await store.db.transaction().execute((trx) => queue.sendMany('outbox', keys.map((key) => ({ key })), { db: trx }));
      assert.equal(new Set(ids).size, 3);
      queue.wake('outbox');
      await waitFor('the three ran', () => keys.every((k) => callsFor(k).length === 1), 5_000);
      for (const id of ids) assert.equal((await queue.getJob('outbox', id))?.state, 'completed');
      assert.deepEqual((await Promise.all(ids.map((id) => queue.getJob('outbox', id)))).map((j) => (j?.data as { key: string }).key), keys);
      await sleep(600);
      assert.equal(callsFor('many-rb-1').length + callsFor('many-rb-2').length, 0);
      assert.deepEqual(await queue.sendMany('outbox', []), []);
    });

    it('stop() waits for a running handler to finish, then the job is completed', async () => {
      const started = deferred();
      const release = deferred();
      const other = createJobQueue<{ slow: { key: string } }>(store, FAST);
      other.defineJob('slow', async () => {
        started.resolve();
        await release.promise;
        return { finished: true };
      });
      await other.start();
      const id = (await other.send('slow', { key: 's' }))!;
      await started.promise;
      let stopped = false;
      const stopping = other.stop().then(() => (stopped = true));
      await sleep(300);
      assert.equal(stopped, false, 'stop() returned while the handler was running');
      assert.equal(await jobState(store, id), 'active');
      // A finishing handler may still enqueue follow-up work while the queue stops.
      assert.ok(await other.send('slow', { key: 'follow-up' }));
      release.resolve();
      await stopping;
      assert.equal(await jobState(store, id), 'completed');
      await assert.rejects(other.send('slow', { key: 'too late' }), /stopped/);
    });

    it('stop() past its timeout fails the job still running, to be retried later', async () => {
      const started = deferred();
      const release = deferred();
      const other = createJobQueue<{ stuck: { key: string } }>(store, { ...FAST, onError: () => {} });
      other.defineJob('stuck', async () => {
        started.resolve();
        await release.promise;
      });
      await other.start();
      const id = (await other.send('stuck', { key: 's' }))!;
      await started.promise;
      const t0 = Date.now();
      await other.stop({ timeoutMs: 300 });
      assert.ok(Date.now() - t0 < 2_000);
      assert.equal(await jobState(store, id), 'retry');
      // The abandoned handler ending later must not touch the closed queue (nor crash the process).
      release.resolve();
      await sleep(50);
      assert.equal(await jobState(store, id), 'retry');
    });
  });
}

if (STORES.includes('postgres')) {
  describe('job queue: several worker processes on one PostgreSQL', SUITE, () => {
    let store: Store;
    let url: string;
    const queues: JobQueue<any>[] = [];
    const open = <J extends Record<string, object>>(options: Parameters<typeof createJobQueue>[1]) => {
      const q = createJobQueue<J>(store, { ...FAST, ...options });
      queues.push(q);
      return q;
    };

    before(async () => {
      const options = await freshStore('postgres');
      url = (options as { url: string }).url;
      store = await openStore(options);
    });

    after(async () => {
      for (const q of queues) await q.stop({ graceful: false });
      await store?.close();
    });

    it('two workers share the jobs and run each exactly once', async () => {
      type Share = { share: { n: number } };
      const handled: { n: number; by: string }[] = [];
      const api = open<Share>({ workers: false });
      api.defineJob('share', async () => {});
      await api.start();
      const ids = [];
      for (let n = 0; n < 60; n++) ids.push(await api.send('share', { n }));
      assert.equal(new Set(ids).size, 60);

      const workers = ['A', 'B'].map((by) => {
        const q = open<Share>({});
        q.defineJob(
          'share',
          async (job) => {
            handled.push({ n: job.data.n, by });
            await sleep(20);
          },
          { concurrency: 2 },
        );
        return q;
      });
      await Promise.all(workers.map((q) => q.start()));
      await waitFor('60 jobs handled', () => handled.length >= 60, 15_000);
      await sleep(700); // more than a poll interval: any double run would show up
      assert.equal(handled.length, 60);
      assert.deepEqual([...new Set(handled.map((h) => h.n))].sort((a, b) => a - b), [...Array(60).keys()]);
      const ranBy = (by: string) => handled.filter((h) => h.by === by).length;
      assert.ok(ranBy('A') > 0 && ranBy('B') > 0, `A ran ${ranBy('A')}, B ${ranBy('B')}`);
      await Promise.all(workers.map((q) => q.stop()));
      const r = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'share' and state = 'completed'`.execute(store.db);
      assert.equal(r.rows[0].n, 60);
    });

    it('a job whose worker is killed (SIGKILL) mid-run is run again after it expires', async () => {
      type Crash = { crash: { n: number } };
      const options = { expireInSeconds: 2, retryLimit: 1 }; // as in test/fixtures/queue-worker.ts
      const api = open<Crash>({ workers: false });
      api.defineJob('crash', async () => {}, options);
      await api.start();
      const id = (await api.send('crash', { n: 1 }))!;

      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/queue-worker.ts', url], {
        cwd: new URL('../..', import.meta.url).pathname,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      try {
        await waitFor('the worker process to start the job', () => out.includes(`started ${id}`), 20_000);
      } finally {
        child.kill('SIGKILL');
      }
      await exited;
      assert.equal(await jobState(store, id), 'active');

      // "Restart": a new worker; maintenance finds the job expired and it is retried here.
      const reruns: Job<{ n: number }>[] = [];
      const restarted = open<Crash>({ maintenanceSeconds: 1 });
      restarted.defineJob('crash', async (job) => void reruns.push(job), options);
      await restarted.start();
      await waitFor('the job to run again', () => reruns.length > 0, 10_000);
      await sleep(600);
      assert.equal(reruns.length, 1);
      assert.equal(reruns[0].id, id);
      assert.equal(reruns[0].retryCount, 1);
      await waitFor('completed', async () => (await jobState(store, id)) === 'completed', 2_000);
    });
  });
}
