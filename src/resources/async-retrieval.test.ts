import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../config.js';
import { openServices, startWorkers, workerSteps } from '../server.js';
import { describeStores, type Client, type Harness } from '../../test/helpers/harness.js';
import { createLink, daysAgo } from '../../test/helpers/links.js';
import { waitFor } from '../../test/helpers/receiver.js';

/**
 * `X-Belvo-Request-Mode: async` on POST /api/transactions/ is a durable job (`link-retrieve`),
 * through the public API: the 202's retrieval is stored and announced with its request_id by
 * whichever process runs the job; the MFA token never sits in plain in the job table; an API-only
 * process answers and a separate worker finishes; a job run again after a crash completes once.
 * The harness runs no workers: the tests run the queued jobs themselves (`queue.runQueued`).
 */

const SANDBOX_TOKEN = '123456';
const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64'); // the harness's
const WINDOW = { date_from: daysAgo(20), date_to: daysAgo(1) };
const ASYNC = { 'X-Belvo-Request-Mode': 'async' };

interface JobRow {
  id: string;
  state: string;
  text: string;
  data: Record<string, any>;
}

describeStores('async retrieval: a durable job', (h) => {
  let c: Client;
  /** A tenant without webhook endpoints: its events are not recorded at all. */
  let quiet: Client;

  before(async () => {
    c = await h().newClient();
    quiet = await h().newClient();
    // An endpoint, so events are recorded (nothing is delivered: the harness runs no workers).
    assert.equal((await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/hook' })).status, 201);
  });

  const db = () => h().vinculo.store.db;
  const runQueued = () => h().vinculo.services.queue.runQueued('link-retrieve');
  const single = (client: Client, username: string) => createLink(client, username, { extra: { access_mode: 'single' } });

  async function accept(client: Client, link: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await client.request('POST', '/api/transactions/', { link, ...WINDOW, ...extra }, ASYNC);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.request_id;
  }

  /** The request's job, as pg-boss stores it (the live table; finished jobs stay there until archived). */
  async function jobOf(requestId: string): Promise<JobRow> {
    const { rows } = await sql<JobRow>`
      select id, state, data::text as text, data from pgboss.job
      where name = 'link-retrieve' and data ->> 'requestId' = ${requestId}`.execute(db());
    assert.equal(rows.length, 1, `one job for request ${requestId}`);
    return rows[0];
  }

  async function events(link: string, requestId: string) {
    const rows = await db().selectFrom('webhook_events').select(['payload', 'process_type']).where('link_id', '=', link).execute();
    return rows.map((r) => JSON.parse(r.payload)).filter((p) => p.request_id === requestId);
  }

  const stored = async (client: Client, link: string) =>
    (await client.request('GET', `/api/transactions/?link=${link}&page_size=1000`)).body.results.map((t: any) => t.id).sort() as string[];
  /** What the institution has for the window (answered without storing). */
  const expected = async (client: Client, link: string) =>
    (await client.request('POST', '/api/transactions/', { link, ...WINDOW, save_data: false })).body.map((t: any) => t.id).sort() as string[];
  const sessionFree = async (client: Client, link: string) => (await client.request('POST', '/api/owners/', { link })).status === 201;

  it('202, then the job runs: the transactions are stored and the webhook carries the request_id', async () => {
    const link = await single(c, 'async_job_user');
    const requestId = await accept(c, link);
    const job = await jobOf(requestId);
    assert.equal(job.state, 'created', 'queued, not run by the API request');
    assert.deepEqual(await stored(c, link), [], 'nothing stored before the job runs');
    assert.equal(await sessionFree(c, link), false, "the job holds the link's session from the 202 on");

    assert.equal(await runQueued(), 1);
    assert.equal((await h().vinculo.services.queue.getJob('link-retrieve', job.id))?.state, 'completed');
    const ids = await stored(c, link);
    assert.ok(ids.length > 0);
    assert.deepEqual(ids, await expected(c, link));
    const [hook, ...more] = await events(link, requestId);
    assert.equal(more.length, 0, 'one webhook');
    assert.equal(hook.webhook_type, 'TRANSACTIONS');
    assert.equal(hook.webhook_code, 'new_transactions_available');
    assert.equal(hook.process_type, 'async_request');
    assert.equal(hook.data.count, ids.length);
    assert.equal(await sessionFree(c, link), true, 'the job let go of the session');
  });

  it('the MFA token travels sealed: never in plain in the job table, opened by the job to log in', async () => {
    // expire_token users need a token at every login after their registration.
    const link = await single(c, 'expire_token_async');
    const requestId = await accept(c, link, { token: SANDBOX_TOKEN });
    const job = await jobOf(requestId);
    assert.ok(!job.text.includes(SANDBOX_TOKEN), `the token is in plain in pgboss.job: ${job.text}`);
    assert.deepEqual(Object.keys(job.data.token).sort(), ['ciphertext', 'key_id', 'wrapped_key']);
    assert.equal(job.data.params.token, undefined);
    assert.equal(await runQueued(), 1);
    assert.ok((await stored(c, link)).length > 0, 'the sealed token answered the institution');
    assert.equal((await events(link, requestId)).length, 1);

    // Without a token the institution asks for one: the job ends (no retry), the link says so.
    const asked = await accept(c, link);
    const refused = await jobOf(asked);
    assert.equal(refused.data.token, undefined, 'no token given, none carried');
    assert.equal(await runQueued(), 1);
    const info = await h().vinculo.services.queue.getJob('link-retrieve', refused.id);
    assert.equal(info?.state, 'completed');
    assert.deepEqual(info?.output, { outcome: 'failed', code: 'token_required' });
    assert.equal((await c.request('GET', `/api/links/${link}/`)).body.status, 'token_required');
    assert.ok(h().logs.some((l) => l.includes(asked)), 'the failure is logged with its request id');
  });

  it('an API-only process answers 202; a separate worker on the same store finishes it', async (t) => {
    if (h().store !== 'postgres') return t.skip('two processes share only a PostgreSQL store (the embedded case is the test above)');
    const link = await single(c, 'async_api_only');
    const requestId = await accept(c, link);
    // The API instance (workers off) is done with it: from here on only the worker can finish it.
    const options = {
      config: loadConfig({ VINCULO_MASTER_KEY: TEST_MASTER_KEY, VINCULO_DATA_DIR: '/nonexistent-test-dir', VINCULO_JOB_POLL_SECONDS: '0.5' }),
      store: { kind: 'postgres' as const, url: h().vinculo.store.url!, poolSize: 4 },
      workers: true,
      warn: () => {},
    };
    const worker = await openServices(options, 'vinculo worker (test)');
    try {
      await startWorkers(options, worker.services);
      const hook = await waitFor('the webhook of the 202', async () => (await events(link, requestId))[0], 30_000);
      assert.equal(hook.webhook_code, 'new_transactions_available');
      assert.deepEqual(await stored(c, link), await expected(c, link));
      assert.equal((await jobOf(requestId)).state, 'completed');
    } finally {
      for (const step of workerSteps(worker.services)) await step.run();
      await worker.store.close();
    }
  });

  it('a job run again after its first attempt crashed completes once: no duplicate rows, one webhook', async () => {
    for (const client of [c, quiet]) {
      const link = await single(client, client === c ? 'async_crash' : 'async_crash_quiet');
      const requestId = await accept(client, link);
      const job = await jobOf(requestId);
      crashAfterStoring(h());
      assert.equal(await runQueued(), 1);
      const after = await jobOf(requestId);
      assert.equal(after.state, 'retry', 'the crashed attempt is retried');
      const first = await stored(client, link);
      assert.ok(first.length > 0, 'the crashed attempt had stored its data');
      // Its retry would wait for its backoff; make it due now.
      await sql`update pgboss.job set start_after = now() where id = ${job.id}`.execute(db());
      assert.equal(await runQueued(), 1);
      const info = await h().vinculo.services.queue.getJob('link-retrieve', job.id);
      assert.equal(info?.state, 'completed');
      assert.deepEqual(info?.output, { outcome: client === c ? 'already_stored' : 'stored' });
      assert.deepEqual(await stored(client, link), first, 'the same rows, once');
      assert.deepEqual(first, await expected(client, link));
      assert.equal((await events(link, requestId)).length, client === c ? 1 : 0, 'one webhook (none recorded without endpoints)');
      assert.equal(await sessionFree(client, link), true);
    }
  });
});

/** The next retrieval stores its data (and webhook), then its process "dies" before the job is completed. */
function crashAfterStoring(h: Harness): void {
  const data = h.vinculo.services.data;
  const original = data.collect;
  data.collect = async function (this: typeof data, ...args: Parameters<typeof original>) {
    data.collect = original;
    await original.apply(this, args);
    throw new Error('simulated crash after the commit');
  };
}
