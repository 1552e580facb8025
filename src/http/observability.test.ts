import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeStores, type Client, type Harness } from '../../test/helpers/harness.js';
import { find, parseMetrics, total, type Sample } from '../../test/helpers/metrics.js';
import { startReceiver, waitFor, type Receiver } from '../../test/helpers/receiver.js';
import { whileRefusingConnections } from '../../test/helpers/stores.js';

/**
 * What operators watch, on both stores, workers on: /healthz, /readyz (and its failures: a store
 * that does not answer, shutdown begun), /metrics with the series the services record, and the
 * one log line per request.
 */

/** An unauthenticated GET (the probes need no key). */
async function get(h: Harness, url: string, headers: Record<string, string> = {}) {
  const res = await h.vinculo.app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, text: res.body, headers: res.headers, id: String(res.headers['x-request-id']) };
}

const json = (text: string) => JSON.parse(text);

/** The log lines (parsed) written for one request. */
function linesOf(h: Harness, requestId: string): Record<string, any>[] {
  return h.logs.map((l) => JSON.parse(l)).filter((l) => l.request_id === requestId);
}

const INFO = 30;

describeStores(
  'observability: probes, metrics and the request log',
  (h) => {
    let c: Client;
    let receiver: Receiver;
    const scrape = async (): Promise<Sample[]> => {
      const res = await get(h(), '/metrics');
      assert.equal(res.status, 200, res.text);
      return parseMetrics(res.text);
    };

    before(async () => {
      receiver = await startReceiver();
      c = await h().newClient();
      const endpoint = await c.request('POST', '/api/webhooks/', { url: receiver.url });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    });
    after(() => receiver?.close());

    it('/healthz: 200 {"status":"ok"}, no key needed, not cached', async () => {
      const res = await get(h(), '/healthz');
      assert.equal(res.status, 200);
      assert.deepEqual(json(res.text), { status: 'ok' });
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(res.id, /^[a-f0-9]{32}$/);
    });

    it('/readyz: 200 {"status":"ready"} while the store and the job queue answer', async () => {
      const res = await get(h(), '/readyz');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(json(res.text), { status: 'ready' });
    });

    it('probes are outside /api/: a key is not asked for, and other methods are 405', async () => {
      const wrongKey = { authorization: `Basic ${Buffer.from('nobody:nothing').toString('base64')}` };
      assert.equal((await get(h(), '/healthz', wrongKey)).status, 200);
      const post = await h().vinculo.app.inject({ method: 'POST', url: '/readyz' });
      assert.equal(post.statusCode, 405);
      assert.match(String(post.headers.allow), /GET/);
    });

    it('/metrics: Prometheus text with HTTP series labelled by route template, never by raw id', async () => {
      const link = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'metrics-user', password: 'pass_valid' });
      assert.equal(link.status, 201, JSON.stringify(link.body));
      for (let i = 0; i < 3; i++) assert.equal((await c.request('GET', `/api/links/${link.body.id}/`)).status, 200);
      const missing = randomUUID();
      assert.equal((await c.request('GET', `/nothing/here/${missing}`)).status, 404);

      const res = await get(h(), '/metrics');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const samples = parseMetrics(res.text);
      assert.ok(total(samples, 'vinculo_http_requests_total', { route: '/api/links/:id/', method: 'GET', status: '200' }) >= 3);
      assert.equal(total(samples, 'vinculo_http_requests_total', { route: '/api/links/', method: 'POST', status: '201' }), 1);
      assert.ok(total(samples, 'vinculo_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }) >= 1);
      const latency = find(samples, 'vinculo_http_request_duration_seconds_count', { route: '/api/links/:id/', method: 'GET', status: '200' });
      assert.ok(latency.length === 1 && latency[0].value >= 3);
      assert.ok(find(samples, 'vinculo_http_request_duration_seconds_bucket', { route: '/api/links/:id/', le: '+Inf' }).length > 0);
      for (const s of samples) {
        for (const v of Object.values(s.labels)) assert.ok(!v.includes(link.body.id) && !v.includes(missing), `a raw id in a label: ${JSON.stringify(s)}`);
      }
    });

    it('/metrics: first loads, refreshes and webhook deliveries are counted', async () => {
      const link = await c.request('POST', '/api/links/', {
        institution: 'erebor_mx_retail',
        username: 'metrics-recurrent',
        password: 'pass_valid',
        access_mode: 'recurrent',
      });
      assert.equal(link.status, 201, JSON.stringify(link.body));
      // The first load runs in a worker and announces itself by webhook.
      await waitFor('a delivered webhook', () => receiver.received.length > 0, 20_000);
      const loaded = { kind: 'historical', institution: 'erebor_mx_retail', result: 'loaded' };
      let samples = await waitFor(
        'the load and the delivery to be counted',
        async () => {
          const s = await scrape();
          return total(s, 'vinculo_refresh_outcomes_total', loaded) >= 1 && total(s, 'vinculo_webhook_deliveries_total', { outcome: 'delivered' }) >= 1 && s;
        },
        20_000,
      );
      assert.ok(total(samples, 'vinculo_webhook_delivery_duration_seconds_count', { outcome: 'delivered' }) >= 1);

      // A refresh run now (the sandbox control) ends `refreshed`.
      const refreshed = { kind: 'refresh', institution: 'erebor_mx_retail', result: 'refreshed' };
      const before = total(samples, 'vinculo_refresh_outcomes_total', refreshed);
      assert.equal((await c.request('POST', `/sandbox/links/${link.body.id}/refresh/`)).status, 200);
      samples = await scrape();
      assert.equal(total(samples, 'vinculo_refresh_outcomes_total', refreshed), before + 1);
    });

    it('/metrics: job queue depth and oldest wait per queue, the store pool, process metrics', async () => {
      // A job that may not start for an hour stays deferred whatever the workers do.
      await h().vinculo.services.queue.send('link-refresh', { linkId: randomUUID(), reason: 'manual' }, { startAfter: 3600 });
      // A read slower than its 1 s limit (a loaded machine) leaves the gauges out of that scrape
      // and counts a source error: scrape again. A read that always fails never shows them.
      const deferred = { queue: 'link-refresh', state: 'deferred' };
      const samples = await waitFor('the deferred job in a scrape', async () => {
        const s = await scrape();
        return total(s, 'vinculo_job_queue_depth', deferred) >= 1 && s;
      }, 15_000);
      for (const queue of ['historical-load', 'link-refresh', 'webhook-deliver']) {
        for (const state of ['waiting', 'deferred', 'active']) assert.equal(find(samples, 'vinculo_job_queue_depth', { queue, state }).length, 1, `${queue} ${state}`);
        const [age] = find(samples, 'vinculo_job_queue_oldest_waiting_seconds', { queue });
        assert.ok(age && age.value >= 0, queue);
      }
      const [inUse] = find(samples, 'vinculo_store_pool_in_use');
      const [idle] = find(samples, 'vinculo_store_pool_idle');
      const [waiting] = find(samples, 'vinculo_store_pool_waiting');
      assert.ok(inUse && idle && waiting, 'pool gauges');
      if (h().store === 'embedded') assert.equal(inUse.value + idle.value, 1, 'one connection');
      assert.ok(inUse.value >= 0 && idle.value >= 0 && waiting.value >= 0);
      assert.equal(find(samples, 'process_cpu_user_seconds_total').length, 1);
      assert.equal(find(samples, 'nodejs_heap_size_used_bytes').length, 1);
    });

    it('one info line per request: request_id, tenant, route template, method, status, duration, redacted URL', async () => {
      const res = await c.request('GET', '/api/institutions/?page_size=5&access_token=abc123secret&country_code=MX');
      assert.equal(res.status, 200);
      const lines = linesOf(h(), String(res.headers['x-request-id']));
      const info = lines.filter((l) => l.level === INFO);
      assert.equal(info.length, 1, JSON.stringify(lines));
      const [line] = info;
      assert.equal(line.msg, 'request');
      assert.equal(line.tenant, c.tenant);
      assert.equal(line.route, '/api/institutions/');
      assert.equal(line.method, 'GET');
      assert.equal(line.status, 200);
      assert.equal(typeof line.duration_ms, 'number');
      assert.equal(line.url, '/api/institutions/?page_size=5&access_token=[redacted]&country_code=MX');
      assert.ok(!JSON.stringify(lines).includes('abc123secret'));
      assert.ok(!h().logs.some((l) => /"msg":"(incoming request|request completed)"/.test(l)), "fastify's own two lines are gone");
    });

    it('the request line of a failed authentication or an unknown path: no tenant, route `unmatched`', async () => {
      const denied = await h().vinculo.app.inject({
        method: 'GET',
        url: '/api/links/',
        headers: { authorization: `Basic ${Buffer.from(`${c.id}:wrong-password`).toString('base64')}` },
      });
      assert.equal(denied.statusCode, 401);
      const [d] = linesOf(h(), String(denied.headers['x-request-id'])).filter((l) => l.level === INFO);
      assert.equal(d.status, 401);
      assert.equal(d.route, '/api/links/');
      assert.equal(d.tenant, undefined);

      const lost = await h().vinculo.app.inject({ method: 'GET', url: '/api/nowhere/42/' });
      assert.equal(lost.statusCode, 404);
      const lostLines = linesOf(h(), String(lost.headers['x-request-id'])).filter((l) => l.level === INFO);
      assert.equal(lostLines.length, 1);
      assert.equal(lostLines[0].route, 'unmatched');
      assert.equal(lostLines[0].url, '/api/nowhere/42/');
    });

    it('probes and scrapes are not logged at info', async () => {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        const res = await get(h(), url);
        assert.equal(res.status, 200);
        assert.deepEqual(linesOf(h(), res.id), [], url);
      }
    });

    it('/readyz: 503 naming the store when it does not answer; ready again once it does', async () => {
      const probe = () => get(h(), '/readyz');
      const res = h().store === 'embedded' ? await whileEmbeddedBusy(h(), probe) : await whileRefusingConnections(h().vinculo.store.url!, probe);
      assert.equal(res.status, 503, res.text);
      const body = json(res.text);
      assert.equal(body.status, 'unavailable');
      // The job queue's statements go through the same store (embedded: its one connection).
      assert.deepEqual(body.failed, ['store', 'queue'], res.text);
      // Why goes to the log (at warn), not to whoever asks.
      assert.deepEqual(Object.keys(body).sort(), ['failed', 'status']);
      assert.ok(linesOf(h(), res.id).some((l) => l.msg === 'not ready' && l.errors.store), 'the reason is logged');
      await waitFor('ready again', async () => (await get(h(), '/readyz')).status === 200, 20_000);
    });

    // Last: the server stays "shutting down" until the suite closes it.
    it('/readyz: 503 once shutdown has begun, while /healthz still answers 200', async () => {
      h().vinculo.beginShutdown();
      const res = await get(h(), '/readyz');
      assert.equal(res.status, 503);
      assert.deepEqual(json(res.text), { status: 'unavailable', failed: ['shutting_down'] });
      assert.equal((await get(h(), '/healthz')).status, 200);
    });
  },
  { workers: true },
);

/** Runs `fn` while a transaction holds the embedded store's one connection. */
async function whileEmbeddedBusy<T>(h: Harness, fn: () => Promise<T>): Promise<T> {
  let release!: () => void;
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const tx = h.vinculo.store.db.transaction().execute(async () => {
    holding();
    await new Promise<void>((r) => (release = r));
  });
  await held;
  try {
    return await fn();
  } finally {
    release();
    await tx;
  }
}
