import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { describeStores } from '../../test/helpers/harness.js';
import { assertError } from '../../test/helpers/links.js';
import { find, parseMetrics, total } from '../../test/helpers/metrics.js';

/**
 * Who may read /metrics: the holder of VINCULO_METRICS_TOKEN when it is set; nobody under
 * NODE_ENV=production without it (404, as an unknown path). Probes never meet the
 * authentication throttle.
 */

const TOKEN = `metrics-${randomUUID()}`;

describeStores(
  'observability: /metrics behind VINCULO_METRICS_TOKEN',
  (h) => {
    const scrape = (authorization?: string) =>
      h().vinculo.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

    it('401 in Belvo’s format without the token or with another one, 200 with it', async () => {
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, 'Bearer', TOKEN]) {
        const res = await scrape(authorization);
        assertError({ status: res.statusCode, body: JSON.parse(res.body) }, 401, 'authentication_failed');
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
        assert.ok(!res.body.includes('vinculo_'), 'no metric in a refusal');
      }
      const ok = await scrape(`Bearer ${TOKEN}`);
      assert.equal(ok.statusCode, 200);
      assert.ok(find(parseMetrics(ok.body), 'vinculo_http_requests_total', { route: '/metrics', status: '401' }).length === 1);
      assert.ok(!h().logs.join('').includes(TOKEN), 'the token is never logged');
    });

    it('probes stay open; failed tokens are not counted by the authentication throttle', async () => {
      assert.equal((await h().vinculo.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      assert.equal((await h().vinculo.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      // Far more failed scrapes than the 2 failed key checks this server allows per address.
      for (let i = 0; i < 5; i++) assert.equal((await scrape('Bearer wrong-wrong-wrong')).statusCode, 401);
      const c = await h().newClient();
      assert.equal((await c.request('GET', '/api/links/')).status, 200, 'a new key from the same address is checked, not throttled');
      // The throttle is on: two failed key checks and the address waits.
      const bad = { authorization: `Basic ${Buffer.from(`${c.id}:not-the-password`).toString('base64')}` };
      for (let i = 0; i < 2; i++) assert.equal((await c.request('GET', '/api/links/', undefined, bad)).status, 401);
      assert.equal((await c.request('GET', '/api/links/', undefined, bad)).status, 429);
    });

    it('queue depth counts runnable jobs per queue (no workers in this process)', async () => {
      const queue = h().vinculo.services.queue;
      for (let i = 0; i < 3; i++) await queue.send('historical-load', { linkId: randomUUID() });
      const samples = parseMetrics((await scrape(`Bearer ${TOKEN}`)).body);
      assert.equal(total(samples, 'vinculo_job_queue_depth', { queue: 'historical-load', state: 'waiting' }), 3);
      assert.equal(total(samples, 'vinculo_job_queue_depth', { queue: 'historical-load', state: 'active' }), 0);
      assert.equal(total(samples, 'vinculo_job_queue_depth', { queue: 'webhook-deliver', state: 'waiting' }), 0);
      assert.ok(total(samples, 'vinculo_job_queue_oldest_waiting_seconds', { queue: 'historical-load' }) > 0);
      assert.equal(total(samples, 'vinculo_job_queue_oldest_waiting_seconds', { queue: 'webhook-deliver' }), 0);
    });
  },
  { env: { VINCULO_METRICS_TOKEN: TOKEN, VINCULO_AUTH_FAILURES_PER_ADDRESS: '2' } },
);

describeStores(
  'observability: /metrics under NODE_ENV=production without a token',
  (h) => {
    it('is absent: 404 not_found, as any unknown path; the probes answer', async () => {
      const res = await h().vinculo.app.inject({ method: 'GET', url: '/metrics' });
      assertError({ status: res.statusCode, body: JSON.parse(res.body) }, 404, 'not_found');
      assert.equal((await h().vinculo.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      assert.equal((await h().vinculo.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    });
  },
  { env: { NODE_ENV: 'production' } },
);
