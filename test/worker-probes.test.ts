import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { type Client, type Harness, startWorkerHarness, TEST_MASTER_KEY } from './helpers/harness.js';
import { assertError } from './helpers/links.js';
import { find, parseMetrics, total } from './helpers/metrics.js';
import { waitFor, type Receiver } from './helpers/receiver.js';
import { killChildren, startWorker, stopServer, type Server } from './helpers/server-process.js';
import { describePostgres } from './helpers/stores.js';

/**
 * `vinculo worker` serves /healthz, /readyz and /metrics on VINCULO_WORKER_PORT (and nothing
 * else), so the metrics only workers record — first loads and refreshes by institution and result,
 * webhook deliveries — can be scraped where API and workers run apart. Real worker processes
 * (bin/vinculo.js worker) on PostgreSQL; the API runs in this process with its workers off, so
 * every job runs in the worker. The sandbox's `slow…` users make every data extraction take 2 s,
 * so a job is surely running when the worker is told to stop.
 */

const TOKEN = `worker-metrics-${randomUUID()}`;

describePostgres('vinculo worker: /healthz, /readyz and /metrics on VINCULO_WORKER_PORT [postgres]', () => {
  let h: Harness;
  let url: string;
  let c: Client;
  let receiver: Receiver;
  const env = (more: Record<string, string> = {}) => ({ DATABASE_URL: url, VINCULO_MASTER_KEY: TEST_MASTER_KEY, VINCULO_JOB_POLL_SECONDS: '0.5', ...more });

  before(async () => {
    ({ h, url, receiver, c } = await startWorkerHarness());
  });
  after(async () => {
    await killChildren();
    await h?.close();
    await receiver?.close();
  });

  const get = async (w: Server, path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await fetch(`${w.url}${path}`, { method, headers, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) };
  };
  const scrape = async (w: Server) => {
    const res = await get(w, '/metrics', { authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseMetrics(res.text);
  };
  const jobState = async (name: string, linkId: string) =>
    (await sql<{ state: string }>`select state from pgboss.job where name = ${name} and data ->> 'linkId' = ${linkId}`.execute(h.vinculo.store.db)).rows[0]
      ?.state;

  it('serves the probes and the metrics of the jobs it ran (behind the token); nothing else; /readyz turns 503 on SIGTERM while its jobs finish', async () => {
    const w = await startWorker(env({ VINCULO_WORKER_PORT: '0', VINCULO_METRICS_TOKEN: TOKEN }));
    assert.match(w.url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await get(w, '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    assert.equal(health.headers.get('cache-control'), 'no-store');
    assert.match(health.headers.get('x-request-id') ?? '', /^[a-f0-9]{32}$/);
    const ready = await get(w, '/readyz');
    assert.equal(ready.status, 200, ready.text);
    assert.deepEqual(ready.json(), { status: 'ready' });

    // The token is enforced as on the API: Belvo's 401 without it or with another.
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`]) {
      const res = await get(w, '/metrics', authorization ? { authorization } : {});
      assertError({ status: res.status, body: res.json() }, 401, 'authentication_failed');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    }
    // Nothing else is served: the API's 404 (and 405) answers, in Belvo's format.
    for (const path of ['/', '/api/', '/api/links/', '/openapi.json', '/widget/', '/sandbox/clock/']) {
      const res = await get(w, path, { authorization: c.authorization });
      assertError({ status: res.status, body: res.json() }, 404, 'not_found');
    }
    const post = await get(w, '/readyz', {}, 'POST');
    assertError({ status: post.status, body: post.json() }, 405, 'method_not_allowed');
    assert.match(post.headers.get('allow') ?? '', /GET/);

    // A recurrent link's first load and its webhook run in the worker, and its /metrics counts them.
    const link = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'worker-metrics', password: 'pass_valid', access_mode: 'recurrent' });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const loaded = { kind: 'historical', institution: 'erebor_mx_retail', result: 'loaded' };
    const samples = await waitFor(
      'the worker to count the first load and a delivered webhook',
      async () => {
        const s = await scrape(w);
        return total(s, 'vinculo_refresh_outcomes_total', loaded) >= 1 && total(s, 'vinculo_webhook_deliveries_total', { outcome: 'delivered' }) >= 1 && s;
      },
      30_000,
    );
    assert.equal(total(samples, 'vinculo_refresh_outcomes_total', loaded), 1, 'one first load');
    assert.ok(total(samples, 'vinculo_webhook_delivery_duration_seconds_count', { outcome: 'delivered' }) >= 1);
    assert.ok(receiver.received.some((r) => JSON.parse(r.body).link_id === link.body.id), 'the receiver got the webhook');
    // The rest of what a scrape shows: queues, the pool, the process, and its own probe requests.
    for (const queue of ['historical-load', 'link-refresh', 'webhook-deliver']) {
      assert.equal(find(samples, 'vinculo_job_queue_depth', { queue, state: 'active' }).length, 1, queue);
    }
    assert.equal(find(samples, 'vinculo_store_pool_in_use').length, 1);
    assert.equal(find(samples, 'process_cpu_user_seconds_total').length, 1);
    assert.ok(total(samples, 'vinculo_http_requests_total', { route: '/metrics', method: 'GET', status: '401' }) >= 3);
    assert.ok(total(samples, 'vinculo_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }) >= 6);
    // ...and none of the API's: the link was registered in another process.
    assert.equal(find(samples, 'vinculo_http_requests_total', { route: '/api/links/' }).length, 0);

    // SIGTERM while a job runs (a retrieval answered 202, 2 s per extraction): readiness turns
    // 503 first; the listener still answers while the job finishes, then closes; exit 0.
    const slow = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'slow_worker_probes', password: 'pass', access_mode: 'single' });
    assert.equal(slow.status, 201, JSON.stringify(slow.body));
    const accepted = await c.request(
      'POST',
      '/api/transactions/',
      { link: slow.body.id, date_from: '2026-11-01', date_to: '2026-11-30' },
      { 'x-belvo-request-mode': 'async' },
    );
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    await waitFor('the worker to run the retrieval', async () => (await jobState('link-retrieve', slow.body.id)) === 'active', 30_000);
    w.child.kill('SIGTERM');
    const unready = await waitFor(
      '/readyz to answer 503',
      async () => {
        const res = await get(w, '/readyz');
        return res.status === 503 && res;
      },
      10_000,
    );
    assert.deepEqual(unready.json(), { status: 'unavailable', failed: ['shutting_down'] });
    assert.equal((await get(w, '/healthz')).status, 200, 'alive while it drains');
    assert.equal((await exited(w)).code, 0, w.lines.join('\n'));
    assert.ok(w.lines.some((l) => l.includes('shut down cleanly')), w.lines.join('\n'));
    assert.equal(await jobState('link-retrieve', slow.body.id), 'completed', 'the running job finished before the worker exited');
    await assert.rejects(fetch(`${w.url}/healthz`, { signal: AbortSignal.timeout(10_000) }), 'the listener is closed');
  });

  it('without VINCULO_WORKER_PORT: no listener, and one info line at start says which setting serves the metrics', async () => {
    const w = await startWorker(env());
    assert.equal(w.url, '');
    const notServed = w.lines.filter((l) => l.includes('does not serve its metrics')).map((l) => JSON.parse(l));
    assert.equal(notServed.length, 1, w.lines.join('\n'));
    assert.equal(notServed[0].level, 30);
    assert.match(notServed[0].msg, /VINCULO_WORKER_PORT/);
    assert.ok(!w.lines.some((l) => l.includes('Server listening at')), w.lines.join('\n'));
    assert.equal((await stopServer(w)).code, 0, w.lines.join('\n'));
  });
  // Last: a production worker refuses the receiver (a loopback webhook target) for what it delivers.
  it('/metrics is absent (404) under NODE_ENV=production without a token; the probes answer', async () => {
    const w = await startWorker(env({ VINCULO_WORKER_PORT: '0', NODE_ENV: 'production' }));
    const res = await get(w, '/metrics');
    assertError({ status: res.status, body: res.json() }, 404, 'not_found');
    assert.equal((await get(w, '/healthz')).status, 200);
    assert.equal((await get(w, '/readyz')).status, 200);
    assert.equal((await stopServer(w)).code, 0, w.lines.join('\n'));
  });

});

/** The worker's exit (SIGKILL if it does not come within 30 s). */
async function exited(w: Server) {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([w.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 30_000)))]);
  clearTimeout(timer);
  if (!result) {
    w.child.kill('SIGKILL');
    assert.fail(`the worker did not exit within 30 s of SIGTERM\n${w.lines.join('\n')}`);
  }
  return result;
}
