import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from '../config.js';
import { createVinculo } from '../server.js';
import { Tenants } from '../tenants/service.js';
import { client, describeStores, startHarness, type Client, type Harness, type Response } from '../../test/helpers/harness.js';
import { STORES } from '../../test/helpers/stores.js';
import { assertTooManyRequests } from '../../test/helpers/throttled.js';

/**
 * Authentication cannot be used to burn the CPU: failed secret-key checks are throttled per client
 * address and per key id before any scrypt runs; a verified pair is never throttled; revocations
 * reach every process at once. Client addresses come from X-Forwarded-For (VINCULO_TRUST_PROXY).
 * Whether scrypt ran is read from Tenants' count of password checks, never from timings.
 */

const basic = (id: string, password: string) => `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`;
let addressCounter = 0;
/** A client address no other test uses. */
const newAddress = () => `10.77.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

function from(c: Client, address: string) {
  return (method: string, url: string) => c.request(method, url, undefined, { 'x-forwarded-for': address });
}

async function attempt(h: Harness, authorization: string, address: string): Promise<Response> {
  const res = await h.vinculo.app.inject({ method: 'GET', url: '/api/links/', headers: { authorization, 'x-forwarded-for': address } });
  return { status: res.statusCode, body: res.json(), headers: res.headers as Response['headers'] };
}

function assertThrottled(res: Response): void {
  assertTooManyRequests(res);
  assert.equal(res.headers['x-request-id'], res.body[0].request_id);
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter <= 60, `Retry-After ${res.headers['retry-after']}`);
}

describeStores(
  'auth: throttling failed secret-key checks',
  (h) => {
    const checks = () => h().vinculo.services.tenants.passwordChecks;

    it('10 failures from one address → 429 too_many_requests with Retry-After, and no more scrypt', async () => {
      const address = newAddress();
      // Different unknown ids each time: only the address's count grows.
      for (let i = 0; i < 10; i++) {
        const res = await attempt(h(), basic(`nobody-${address}-${i}`, 'wrong-password'), address);
        assert.equal(res.status, 401, `attempt ${i + 1}`);
        assert.equal(res.body[0].code, 'authentication_failed');
      }
      const before = checks();
      const throttled = await attempt(h(), basic(`nobody-${address}-x`, 'wrong-password'), address);
      assertThrottled(throttled);
      const c = await h().newClient();
      assertThrottled(await attempt(h(), basic(c.id, 'not-the-password'), address));
      // Also on a method the route lacks (keys are checked before the method is judged).
      const put = await h().vinculo.app.inject({ method: 'PUT', url: '/api/links/', headers: { authorization: basic(c.id, 'nope'), 'x-forwarded-for': address } });
      assert.equal(put.statusCode, 429);
      assert.equal(checks(), before, 'a throttled attempt runs no password check');
    });

    it('POST /api/token/ (the key pair in the body) is throttled by the same counts', async () => {
      const address = newAddress();
      const token = (id: string) =>
        h().vinculo.app.inject({
          method: 'POST',
          url: '/api/token/',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
          payload: JSON.stringify({ id, password: 'wrong-password', scopes: 'read_institutions,write_links' }),
        });
      for (let i = 0; i < 10; i++) assert.equal((await token(`nobody-${address}-${i}`)).statusCode, 401, `attempt ${i + 1}`);
      const before = checks();
      const res = await token(`nobody-${address}-x`);
      assertThrottled({ status: res.statusCode, body: res.json(), headers: res.headers as Response['headers'] });
      assert.equal(checks(), before, 'no scrypt once throttled');
    });

    it('the right key from another address still works', async () => {
      const address = newAddress();
      for (let i = 0; i < 11; i++) await attempt(h(), basic(`nobody-${address}-${i}`, 'x'), address);
      assertThrottled(await attempt(h(), basic(`nobody-${address}`, 'x'), address));
      const c = await h().newClient();
      const before = checks();
      assert.equal((await from(c, newAddress())('GET', '/api/links/')).status, 200);
      assert.equal(checks(), before + 1, 'a first login is verified once');
    });

    it('a pair already verified is never throttled and costs no scrypt; an unverified one from that address is', async () => {
      const address = newAddress();
      const c = await h().newClient();
      assert.equal((await from(c, address)('GET', '/api/links/')).status, 200);
      for (let i = 0; i < 10; i++) await attempt(h(), basic(`nobody-${address}-${i}`, 'x'), address);
      assertThrottled(await attempt(h(), basic(`nobody-${address}`, 'x'), address));
      const before = checks();
      for (let i = 0; i < 5; i++) assert.equal((await from(c, address)('GET', '/api/links/')).status, 200);
      assert.equal(checks(), before, 'verified pairs cost a hash, not a scrypt');
      // A correct pair this process has not verified yet cannot be told apart without scrypt: 429.
      const fresh = await h().newClient();
      assertThrottled(await attempt(h(), fresh.authorization, address));
      assert.equal(checks(), before);
    });

    it("10 failures on one key id from many addresses → that id is throttled; other keys are not", async () => {
      const victim = await h().newClient();
      for (let i = 0; i < 10; i++) assert.equal((await attempt(h(), basic(victim.id, `guess-${i}`), newAddress())).status, 401);
      const before = checks();
      assertThrottled(await attempt(h(), basic(victim.id, 'guess-x'), newAddress()));
      assert.equal(checks(), before);
      const other = await h().newClient();
      assert.equal((await from(other, newAddress())('GET', '/api/links/')).status, 200);
    });

    it('requests without a key pair are not counted (they cost no scrypt)', async () => {
      const address = newAddress();
      for (let i = 0; i < 20; i++) {
        const res = await h().vinculo.app.inject({ method: 'GET', url: '/api/links/', headers: { 'x-forwarded-for': address } });
        assert.equal(res.statusCode, 401);
      }
      const c = await h().newClient();
      assert.equal((await from(c, address)('GET', '/api/links/')).status, 200);
    });

    it('a revoked key stops working at once, cached or not, and costs no scrypt', async () => {
      const c = await h().newClient();
      const address = newAddress();
      assert.equal((await from(c, address)('GET', '/api/links/')).status, 200);
      assert.equal(await h().vinculo.services.tenants.revokeKey(c.id), true);
      assert.equal((await from(c, address)('GET', '/api/links/')).status, 401);
    });

    it('at most 2 password checks run at once; past the waiting room, 429', async () => {
      let running = 0;
      let peak = 0;
      const release: (() => void)[] = [];
      const tenants = new Tenants(h().vinculo.store.db, {
        maxConcurrentChecks: 2,
        maxWaitingChecks: 2,
        verify: async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise<void>((r) => release.push(r));
          running--;
          return false;
        },
      });
      let settled = 0;
      const pending = Array.from({ length: 4 }, (_, i) => tenants.authenticate(`nobody-${i}`, 'x', `10.88.0.${i}`).finally(() => settled++));
      await assert.rejects(tenants.authenticate('nobody-5', 'x', '10.88.0.5'), (e: Error & { code?: string; options?: { retryAfterSeconds?: number } }) => {
        assert.equal(e.code, 'too_many_requests');
        assert.equal(e.options?.retryAfterSeconds, 1);
        return true;
      });
      while (release.length < 2) await new Promise((r) => setImmediate(r));
      while (settled < 4) {
        release.shift()?.();
        await new Promise((r) => setImmediate(r));
      }
      assert.deepEqual(await Promise.all(pending), [null, null, null, null]);
      assert.equal(peak, 2);
      assert.equal(tenants.passwordChecks, 4);
    });
  },
  { env: { VINCULO_TRUST_PROXY: 'true' } },
);

/**
 * Two Vinculo instances on one PostgreSQL database (as two processes would be): a key revoked
 * through one stops working on the other within a second, though the other had it cached.
 */
if (STORES.includes('postgres')) {
  it('auth: a key revoked in one instance is refused by another within 1 s [postgres]', async () => {
    const a = await startHarness('postgres');
    const b = await createVinculo({
      config: loadConfig({ VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' }),
      store: { kind: 'postgres', url: a.vinculo.store.url!, poolSize: 2 },
      workers: false,
    });
    try {
      const key = await a.newClient();
      const onB = client(b, key.tenant, key.id, key.password);
      assert.equal((await onB.request('GET', '/api/links/')).status, 200);
      const checks = b.services.tenants.passwordChecks;
      assert.equal((await onB.request('GET', '/api/links/')).status, 200);
      assert.equal(b.services.tenants.passwordChecks, checks, 'B has the pair cached (its TTL is a minute)');

      await a.vinculo.services.tenants.revokeKey(key.id);
      const deadline = Date.now() + 1000;
      let status = 200;
      while (status !== 401 && Date.now() < deadline) {
        status = (await onB.request('GET', '/api/links/')).status;
        if (status !== 401) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 401, 'B refuses the revoked key within 1 s');
    } finally {
      await b.close();
      await a.close();
    }
  });
}
