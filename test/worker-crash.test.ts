import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { type Client, type Harness, startWorkerHarness, TEST_MASTER_KEY } from './helpers/harness.js';
import { waitFor, type Receiver } from './helpers/receiver.js';
import { describePostgres } from './helpers/stores.js';

/**
 * Crash safety with real processes, on PostgreSQL (the embedded store is single-process):
 * the API runs in this process with its workers off (`createVinculo({ workers: false })`), and
 * background jobs run in `vinculo worker` children (bin/vinculo.js worker) on the same database.
 *
 *  (a) a worker is killed -9 in the middle of a link's first load (historical-load job, holding
 *      the link's institution session); a new worker finishes it: the data is complete, nothing is
 *      duplicated, and every resource's historical_update webhook arrives (after the deliveries the
 *      dead worker had fetched come back: a link's events go in order).
 *  (b) a worker is killed -9 while a webhook POST is in flight; a new worker delivers it again,
 *      same webhook_id, and the delivery ends `delivered`.
 *  (c) two workers at once share the due refreshes as the virtual clock moves: every link is
 *      refreshed exactly once, on the synced clock.
 *
 * Time: a dead worker's job is failed by pg-boss's maintenance once it has been `active` longer
 * than its expiry, then retried after the job's backoff. The refresh jobs' expiry is
 * VINCULO_JOB_TIMEOUT_SECONDS (3 s here); a webhook delivery's is 60 s; the backoffs are 30–60 s
 * (refresh jobs) and 5–10 s (deliveries). To keep this file well under a minute the test stands
 * in for those waits only — it back-dates a dead delivery job's start past its expiry, and brings
 * a job already moved to `retry` forward to now — everything else (the expiry found by
 * maintenance in a live process, the retry fetched by the new worker, the job's own recovery)
 * runs for real. WORKER_CRASH_REAL_TIME=1 waits the real durations instead (~3 minutes).
 */

const ROOT = new URL('..', import.meta.url).pathname;
const REAL_TIME = process.env.WORKER_CRASH_REAL_TIME === '1';
const JOB_TIMEOUT_SECONDS = 3;
const DAY = 86_400;

/** The test process's environment without anything that would choose the store or the keys. */
const BASE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|VINCULO_.*|NODE_ENV|PORT|HOST|LOG_LEVEL|NODE_TEST_CONTEXT)$/.test(k)),
);

type Envelope = { webhook_id: string; webhook_type: string; webhook_code: string; link_id: string; data: Record<string, any> };

interface Worker {
  child: ChildProcess;
  lines: string[];
  exited: Promise<unknown>;
  kill(): Promise<void>;
}

/** Worker processes alive now. */
const workers = new Set<Worker>();

/** `node bin/vinculo.js worker` on `url`; resolves on its "vinculo worker is ready" log line. */
async function startWorker(url: string): Promise<Worker> {
  const child = spawn(process.execPath, ['bin/vinculo.js', 'worker'], {
    cwd: ROOT,
    env: {
      ...BASE_ENV,
      DATABASE_URL: url,
      VINCULO_MASTER_KEY: TEST_MASTER_KEY,
      VINCULO_JOB_POLL_SECONDS: '0.5',
      VINCULO_JOB_TIMEOUT_SECONDS: String(JOB_TIMEOUT_SECONDS),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      workers.delete(worker);
      resolve({ code, signal });
    }),
  );
  const worker: Worker = {
    child,
    lines,
    exited,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  workers.add(worker);
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
  const ready = waitFor('the worker to be ready', () => lines.some((l) => l.includes('vinculo worker is ready')), 60_000);
  const died = exited.then((how) => {
    throw new Error(`the worker exited before it was ready: ${JSON.stringify(how)}\n${lines.join('\n')}`);
  });
  died.catch(() => {});
  await Promise.race([ready, died]);
  return worker;
}

describePostgres('worker crash (real processes) [postgres]', () => {
  let h: Harness;
  let url: string;
  let receiver: Receiver;
  let c: Client;
  /** The worker left running by the previous test (the tests build on each other, in order). */
  let running: Worker | undefined;

  const db = () => h.vinculo.store.db;
  const events = (link: string): Envelope[] =>
    receiver.received.map((r) => JSON.parse(r.body) as Envelope).filter((e) => e.link_id === link);
  const link = async (body: Record<string, unknown>) => {
    const res = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', password: 'secret-pass', ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string };
  };
  const tenantOf = async (client: Client) =>
    (await db().selectFrom('tenants').select('id').where('name', '=', client.tenant).executeTakeFirstOrThrow()).id;
  const linkRow = (id: string) => db().selectFrom('links').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const jobsOf = async (name: string, key: string, value: string) =>
    (
      await sql<{ id: string; state: string; retry_count: number; output: any; data: any }>`
        select id, state, retry_count, output, data from pgboss.job
        where name = ${name} and data ->> ${key} = ${value} order by created_on`.execute(db())
    ).rows;
  const jobState = async (id: string) =>
    (await sql<{ state: string }>`select state from pgboss.job where id = ${id}::uuid`.execute(db())).rows[0]?.state;
  /** Rows of the link in `table`, and how many distinct internal_identification among them. */
  const counts = async (table: string, linkId: string) =>
    (
      await sql<{ n: number; distinct: number }>`
        select count(*)::int as n, count(distinct internal_identification)::int as distinct
        from ${sql.table(table)} where link_id = ${linkId}::uuid`.execute(db())
    ).rows[0];

  /**
   * A dead worker's job comes back: pg-boss's maintenance (in a live process) fails it once it
   * is past its expiry and moves it to `retry`; the new worker then runs it. Unless REAL_TIME,
   * the expiry (`expireFirst`) and the retry's backoff are not waited for (see the top comment).
   */
  const comeBack = async (jobId: string, { expireFirst }: { expireFirst: boolean }) => {
    if (!REAL_TIME && expireFirst) {
      await sql`update pgboss.job set started_on = now() - expire_in - interval '1 second'
                where id = ${jobId}::uuid and state = 'active'`.execute(db());
    }
    await waitFor('maintenance to fail the dead job and schedule its retry', async () => (await jobState(jobId)) !== 'active', REAL_TIME ? 120_000 : 15_000);
    if (!REAL_TIME) await sql`update pgboss.job set start_after = now() where id = ${jobId}::uuid and state = 'retry'`.execute(db());
    await waitFor('the retried job to complete', async () => (await jobState(jobId)) === 'completed', REAL_TIME ? 120_000 : 30_000).catch(async (err) => {
      const row = (await sql`select state, retry_count, started_on, start_after, output from pgboss.job where id = ${jobId}::uuid`.execute(db())).rows[0];
      throw new Error(`${(err as Error).message}; the job: ${JSON.stringify(row)}`);
    });
  };

  before(async () => {
    ({ h, url, receiver, c } = await startWorkerHarness({ VINCULO_JOB_TIMEOUT_SECONDS: String(JOB_TIMEOUT_SECONDS) }));
  });

  after(async () => {
    await Promise.all([...workers].map((w) => w.kill()));
    await h?.close();
    await receiver?.close();
  });

  it('(a) kill -9 in the middle of a first load: a new worker completes it, data complete and not duplicated, every historical_update delivered', async () => {
    const first = await startWorker(url);
    const l = await link({ username: 'bnk100', refresh_rate: '24h' });
    // Running, holding the link's session, and part-way through writing its data.
    const job = await waitFor(
      'the first load to be running and writing',
      async () => {
        const [j] = await jobsOf('historical-load', 'linkId', l.id);
        return j?.state === 'active' && (await counts('accounts', l.id)).n > 0 && j;
      },
      30_000,
    );
    await first.kill();
    // Deliveries the dead worker had fetched (their jobs stay active until they expire). A link's
    // events go in order, so the link's later events wait for these to come back.
    const deadDeliveries = (await sql<{ id: string }>`select id from pgboss.job where name = 'webhook-deliver' and state = 'active'`.execute(db())).rows;
    assert.equal(await jobState(job.id), 'active', 'killed mid-job: nobody completed it');
    assert.match((await linkRow(l.id)).session_lease_token ?? '', /^job:/, 'the dead worker still holds the session lease');
    assert.equal((await linkRow(l.id)).last_refresh_at, null, 'killed before the load finished');

    const second = await startWorker(url);
    await comeBack(job.id, { expireFirst: false });
    for (const d of deadDeliveries) await comeBack(d.id, { expireFirst: true });
    const [done] = await jobsOf('historical-load', 'linkId', l.id);
    assert.equal(done.retry_count, 1);
    assert.deepEqual(done.output, { value: 'loaded' }, 'the retry loaded the link (it did not give up on the dead session)');

    const row = await linkRow(l.id);
    assert.ok(row.last_refresh_at, 'first load recorded');
    assert.ok(row.next_refresh_at && row.next_refresh_at > (await h.vinculo.services.clock!.now(await tenantOf(c))), 'scheduled');
    assert.equal(row.session_lease_token, null, 'the session is released');

    // Not duplicated (also guaranteed by the (link_id, internal_identification) key), and complete:
    // the same as a link of the same user loaded without a crash.
    const control = await link({ username: 'bnk100', refresh_rate: '24h' });
    await waitFor('the control link to load', async () => (await linkRow(control.id)).last_refresh_at, 30_000);
    for (const table of ['accounts', 'owners', 'transactions', 'balances']) {
      const got = await counts(table, l.id);
      assert.ok(got.n > 0, `${table}: some rows`);
      assert.equal(got.n, got.distinct, `${table}: no duplicates`);
      assert.equal(got.n, (await counts(table, control.id)).n, `${table}: as many as a load without a crash`);
    }

    // Every resource's historical_update arrived (at least once: the killed attempt may have sent some).
    for (const type of ['ACCOUNTS', 'OWNERS', 'TRANSACTIONS', 'BALANCES']) {
      await waitFor(`${type} historical_update`, () => events(l.id).some((e) => e.webhook_type === type && e.webhook_code === 'historical_update'), 20_000);
    }
    const tx = events(l.id).filter((e) => e.webhook_type === 'TRANSACTIONS' && e.webhook_code === 'historical_update');
    assert.equal(tx.at(-1)!.data.total_transactions, (await counts('transactions', l.id)).n);
    running = second;
  });

  it('(b) kill -9 while a webhook is in flight: a new worker delivers it, same webhook_id, and it ends delivered', async () => {
    const worker = running ?? (await startWorker(url));
    const l = await link({ username: 'hook_user', access_mode: 'single' });
    let calls = 0;
    receiver.answer = (r) => (JSON.parse(r.body).link_id === l.id && ++calls === 1 ? 'hang' : 200);
    try {
      const fired = await c.request('POST', `/sandbox/links/${l.id}/fire_webhook/`, { webhook_type: 'ACCOUNTS', webhook_code: 'new_accounts_available' });
      assert.equal(fired.status, 201, JSON.stringify(fired.body));
      const [inFlight] = await waitFor('the request to reach the receiver', () => events(l.id).length === 1 && events(l.id));
      const webhookId = inFlight.webhook_id;
      const deliveries = async () => (await c.request('GET', `/api/webhooks/deliveries/?webhook_id=${webhookId}`)).body.results;
      const [pending] = await deliveries();
      assert.equal(pending.status, 'pending');
      assert.equal(pending.attempts, 0, 'the attempt is still in flight');
      const [job] = await jobsOf('webhook-deliver', 'deliveryId', pending.id);
      assert.equal(job.state, 'active');

      await worker.kill();
      assert.equal(await jobState(job.id), 'active');
      assert.equal((await deliveries())[0].attempts, 0, 'the killed attempt recorded nothing');

      running = await startWorker(url);
      await comeBack(job.id, { expireFirst: true });
      const got = receiver.byWebhookId(webhookId);
      assert.equal(got.length, 2, 'sent again after the crash');
      assert.equal(got[1].body, got[0].body, 'the same event, same webhook_id');
      const [delivered] = await deliveries();
      assert.equal(delivered.status, 'delivered');
      assert.equal(delivered.last_status_code, 200);
      assert.equal(delivered.attempts, 1);
      assert.equal(delivered.id, pending.id);
    } finally {
      receiver.answer = () => 200;
    }
  });

  it('(c) two workers share the due refreshes as the clock moves: every due refresh runs once, on the synced clock', async () => {
    running ??= await startWorker(url);
    await startWorker(url);
    assert.equal(workers.size, 2, 'two worker processes');
    const N = 20;
    const PERIOD = 7 * DAY * 1000;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      ids.push((await link({ username: `share_user_${i}`, refresh_rate: '7d', fetch_resources: ['ACCOUNTS', 'TRANSACTIONS'] })).id);
    }
    await waitFor(
      'every first load',
      async () => (await db().selectFrom('links').select('id').where('id', 'in', ids).where('last_refresh_at', 'is not', null).execute()).length === N,
      60_000,
    );
    const slots = new Map<string, number>();
    for (const id of ids) slots.set(id, (await linkRow(id)).next_refresh_at!.getTime());
    const clock = h.vinculo.services.clock!;
    const tenantId = await tenantOf(c);
    const start = await clock.now(tenantId);

    // A week, a day at a time, moved from this (API-only) process. Every other day through the
    // sandbox's POST /sandbox/clock/advance/, which runs what came due from here (its jobs run in
    // the workers, whose copy of the clock is behind until they look again) and answers when it
    // is done; the other days only move the clock, and the two workers' scheduler passes (every
    // second, each in its own process) claim what came due. The three schedulers race for it.
    for (let d = 0; d < 7; d++) {
      if (d % 2 === 0) {
        const res = await c.request('POST', '/sandbox/clock/advance/', { seconds: DAY });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      } else {
        await clock.advance(tenantId, DAY);
        await sleep(1100);
      }
    }
    const end = (await clock.now(tenantId)).getTime();
    await waitFor(
      'every refresh',
      async () => (await db().selectFrom('links').select('id').where('id', 'in', ids).where('last_refresh_at', '>', start).execute()).length === N,
      30_000,
    );
    await sleep(2500); // a couple more scheduler passes: a second claim of a slot would show now
    const checked = (await clock.now(tenantId)).getTime();
    // How many of the link's slots (every 7 days from its first) had come by `t`.
    const passed = (slot: number, t: number) => (t < slot ? 0 : Math.floor((t - slot) / PERIOD) + 1);
    for (const id of ids) {
      const slot = slots.get(id)!;
      const scheduled = (await jobsOf('link-refresh', 'linkId', id)).filter((j) => j.data.reason === 'scheduled');
      // A claim holds a link for CLAIM_GUARD_MS on its tenant's clock: a day's advance while a
      // claimed job still waits in the queue (a loaded machine) claims the link again. One of the
      // two jobs then finds its claim overtaken and ends `skipped`, without refreshing.
      for (const j of scheduled) {
        assert.equal(j.state, 'completed');
        assert.equal(j.retry_count, 0);
        assert.ok(['refreshed', 'skipped'].includes(j.output?.value), `link ${id}: ${JSON.stringify(j.output)}`);
      }
      const jobs = scheduled.filter((j) => j.output?.value === 'refreshed');
      // Each slot due by the end of the week was refreshed once (a slot that came due in real time
      // while checking may have been or not yet), and none twice.
      const low = passed(slot, end);
      const high = passed(slot, checked);
      assert.ok(low >= 1, `link ${id}: slot ${new Date(slot).toISOString()} within the week`);
      assert.ok(jobs.length >= low && jobs.length <= high, `link ${id}: ${jobs.length} scheduled refresh(es) for ${low} slot(s)`);
      // Run on the clock as moved (not a worker's stale copy of it), and the link keeps its slot.
      const row = await linkRow(id);
      const last = slot + (jobs.length - 1) * PERIOD;
      assert.ok(row.last_refresh_at!.getTime() >= last, `link ${id}: refreshed at ${row.last_refresh_at!.toISOString()}, slot ${new Date(last).toISOString()}`);
      assert.equal(row.next_refresh_at!.getTime(), last + PERIOD, `link ${id} keeps its slot`);
      const fresh = events(id).filter((e) => e.webhook_code === 'new_transactions_available');
      assert.ok(fresh.length <= jobs.length, `link ${id}: ${fresh.length} new_transactions_available for ${jobs.length} refresh(es)`);
    }
  });
});
