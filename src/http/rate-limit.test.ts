import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config.js';
import { createVinculo } from '../server.js';
import { client, describeStores, startHarness, type Client, type Response } from '../../test/helpers/harness.js';
import { BANK } from '../../test/helpers/links.js';
import { STORES } from '../../test/helpers/stores.js';
import { assertTooManyRequests } from '../../test/helpers/throttled.js';

/**
 * VINCULO_RATE_LIMIT: a token bucket per secret key (rate per second, bursts of twice that),
 * through the HTTP API on both stores; on PostgreSQL shared by every process. No assertion depends
 * on how fast requests go: a bucket only ever refills with time, so "the burst passes" holds for
 * a new key, "a refused request is followed by a 429" holds by sending until it comes, and "after
 * Retry-After seconds a request passes" holds however slow the machine is.
 */

const HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const;

function rateHeaders(res: Response): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of HEADERS) {
    const value = res.headers[name];
    assert.equal(typeof value, 'string', `${name} on ${res.status}`);
    assert.match(value as string, /^\d+$/, name);
    out[name] = Number(value);
  }
  return out;
}

function assertNoRateHeaders(res: Response): void {
  for (const name of HEADERS) assert.equal(res.headers[name], undefined, `${name} on ${res.status}`);
}

function assertRateLimited(res: Response): void {
  assertTooManyRequests(res);
  assert.equal(rateHeaders(res)['ratelimit-remaining'], 0);
}

/** Sends until the key is refused (a bucket refilling at 1/s cannot keep up with this loop for 50 requests). */
async function exhaust(c: Client): Promise<{ passed: number; refused: Response }> {
  for (let passed = 0; passed < 50; passed++) {
    const res = await c.request('GET', '/api/links/');
    if (res.status === 429) return { passed, refused: res };
    assert.equal(res.status, 200);
  }
  throw new Error('50 requests in a row passed a 1/s limit');
}

describeStores('rate limit: off (the default outside production)', (h) => {
  it('no RateLimit headers and no 429, however many requests', async () => {
    const c = await h().newClient();
    for (let i = 0; i < 30; i++) {
      const res = await c.request('GET', '/api/links/');
      assert.equal(res.status, 200);
      assertNoRateHeaders(res);
    }
    assertNoRateHeaders(await c.request('POST', '/api/links/', { institution: BANK, username: 'user_valid', password: 'pass_valid' }));
  });
});

describeStores(
  'rate limit: 100/s per key',
  (h) => {
    it('every answer of an authenticated /api/ request carries RateLimit-Limit, -Remaining and -Reset', async () => {
      const c = await h().newClient();
      const first = await c.request('GET', '/api/links/');
      assert.equal(first.status, 200);
      // A new key's bucket is full: 200 (twice the rate), one taken now.
      assert.deepEqual(rateHeaders(first), { 'ratelimit-limit': 200, 'ratelimit-remaining': 199, 'ratelimit-reset': 1 });
      const created = await c.request('POST', '/api/links/', { institution: BANK, username: 'user_valid', password: 'pass_valid' });
      assert.equal(created.status, 201);
      const invalid = await c.request('POST', '/api/links/', { institution: BANK });
      assert.equal(invalid.status, 400);
      const missing = await c.request('GET', '/api/links/00000000-0000-4000-8000-000000000000/');
      assert.equal(missing.status, 404);
      for (const res of [created, invalid, missing]) {
        const r = rateHeaders(res);
        assert.equal(r['ratelimit-limit'], 200);
        assert.ok(r['ratelimit-remaining'] <= 199 && r['ratelimit-remaining'] >= 190, `remaining ${r['ratelimit-remaining']}`);
      }
    });

    it('no RateLimit headers without valid keys, nor outside /api/', async () => {
      const res = await h().vinculo.app.inject({ method: 'GET', url: '/api/links/' });
      assert.equal(res.statusCode, 401);
      assertNoRateHeaders({ status: res.statusCode, body: null, headers: res.headers as Response['headers'] });
      const c = await h().newClient();
      assertNoRateHeaders(await c.request('GET', '/sandbox/clock/'));
    });
  },
  { env: { VINCULO_RATE_LIMIT: '100' } },
);

describeStores(
  'rate limit: 1/s per key (bursts of 2)',
  (h) => {
    it('a burst of 2 passes, then 429 too_many_requests with Retry-After; tokens come back with time', async () => {
      const c = await h().newClient();
      const first = await c.request('GET', '/api/links/');
      assert.deepEqual(rateHeaders(first), { 'ratelimit-limit': 2, 'ratelimit-remaining': 1, 'ratelimit-reset': 1 });
      const { passed, refused } = await exhaust(c);
      assert.ok(passed >= 1, 'the second token of the burst was there');
      assertRateLimited(refused);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.body[0].message, 'Request was throttled. Expected available in 1 second.');
      // Refused requests take nothing: after Retry-After a request passes.
      await sleep(Number(refused.headers['retry-after']) * 1000 + 50);
      const later = await c.request('GET', '/api/links/');
      assert.equal(later.status, 200);
      assert.ok(rateHeaders(later)['ratelimit-remaining'] <= 1);
    });

    it('a refused request is refused before it runs (nothing registered)', async () => {
      const c = await h().newClient();
      await exhaust(c);
      const res = await c.request('POST', '/api/links/', { institution: BANK, username: 'user_valid', password: 'pass_valid' });
      assertRateLimited(res);
      await sleep(Number(res.headers['retry-after']) * 1000 + 50);
      assert.equal((await c.request('GET', '/api/links/')).body.count, 0);
    });

    it('two keys have their own buckets, even in one tenant', async () => {
      const a = await h().newClient();
      await exhaust(a);
      const b = await h().newClient(a.tenant);
      const res = await b.request('GET', '/api/links/');
      assert.equal(res.status, 200);
      assert.equal(rateHeaders(res)['ratelimit-remaining'], 1, "a new key's bucket is full");
      assertRateLimited(await a.request('GET', '/api/links/'));
    });
  },
  { env: { VINCULO_RATE_LIMIT: '1' } },
);

/**
 * Two Vinculo instances on one PostgreSQL database, as two API processes: one key's bucket is
 * shared. At 0.5/s the bucket holds one request, and refills one every 2 s: the request sent to
 * B right after A's is refused.
 */
if (STORES.includes('postgres')) {
  it('rate limit: two instances on one PostgreSQL database share a key’s bucket [postgres]', async () => {
    const env = { VINCULO_RATE_LIMIT: '0.5' };
    const a = await startHarness('postgres', env);
    const b = await createVinculo({
      config: loadConfig({ VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir', ...env }),
      store: { kind: 'postgres', url: a.vinculo.store.url!, poolSize: 2 },
      workers: false,
    });
    try {
      const onA = await a.newClient();
      const onB = client(b, onA.tenant, onA.id, onA.password);
      const first = await onA.request('GET', '/api/links/');
      assert.equal(first.status, 200);
      assert.deepEqual(rateHeaders(first), { 'ratelimit-limit': 1, 'ratelimit-remaining': 0, 'ratelimit-reset': 2 });
      assertRateLimited(await onB.request('GET', '/api/links/'));
      // Another key on B has its own bucket.
      const other = await a.newClient(onA.tenant);
      assert.equal((await client(b, other.tenant, other.id, other.password).request('GET', '/api/links/')).status, 200);
    } finally {
      await b.close();
      await a.close();
    }
  });
}
