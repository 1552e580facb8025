import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from '../config.js';
import { createVinculo } from '../server.js';
import { client, describeStores, startHarness, type Client, type Harness, type Response } from '../../test/helpers/harness.js';
import { assertError, BANK } from '../../test/helpers/links.js';
import { STORES } from '../../test/helpers/stores.js';

/**
 * `Idempotency-Key` on POSTs under /api/ (Stripe's semantics), through the HTTP API on both
 * stores: replays, reuse with another request, concurrent retries (exactly one link, enforced by
 * the database — also across two instances on one PostgreSQL database), which answers are kept,
 * sealed storage, and expiry by housekeeping.
 */

let keyCounter = 0;
const newKey = () => `idem-${process.pid}-${++keyCounter}`;
const register = (username = 'user_valid') => ({ institution: BANK, username, password: 'pass_valid' });
const withKey = (key: string) => ({ 'idempotency-key': key });

async function linkCount(c: Client): Promise<number> {
  const res = await c.request('GET', '/api/links/');
  assert.equal(res.status, 200);
  return res.body.count;
}

function assertReplayOf(replay: Response, first: Response): void {
  assert.equal(replay.status, first.status);
  assert.deepEqual(replay.body, first.body);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.equal(replay.headers['content-type'], first.headers['content-type']);
  assert.notEqual(replay.headers['x-request-id'], first.headers['x-request-id'], 'a replay is a request of its own');
}

/** Every request with one key at once: exactly one runs; the others get 409 or (once it ended) its replay. */
function assertOneRan(results: Response[]): Response {
  const ran = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
  assert.equal(ran.length, 1, `one request ran: ${results.map((r) => `${r.status}${r.headers['idempotent-replayed'] ? ' (replay)' : ''}`).join(', ')}`);
  for (const r of results) {
    if (r === ran[0]) continue;
    if (r.status === 409) {
      const err = assertError(r, 409, 'idempotency_key_in_use');
      assert.equal(r.headers['retry-after'], '1');
      assert.equal(err.field, undefined);
    } else assertReplayOf(r, ran[0]);
  }
  return ran[0];
}

const tenantIdOf = async (h: Harness, c: Client) =>
  (await h.vinculo.store.db.selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;

describeStores('idempotency: Idempotency-Key on POST /api/…', (h) => {
  it('a retry with the same key and body replays the first answer (status, body, Content-Type) with Idempotent-Replayed: true', async () => {
    const c = await h().newClient();
    const key = newKey();
    const first = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(first.status, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const replay = await c.request('POST', '/api/links/', register(), withKey(key));
    assertReplayOf(replay, first);
    // The same body with its keys in another order is the same request.
    const { password, username, institution } = register();
    assertReplayOf(await c.request('POST', '/api/links/', { password, username, institution }, withKey(key)), first);
    assert.equal(await linkCount(c), 1);
    // Without a key, nothing is replayed.
    assert.equal((await c.request('POST', '/api/links/', register())).headers['idempotent-replayed'], undefined);
    assert.equal(await linkCount(c), 2);
  });

  it('the same key with another body, path or query → 400 idempotency_key_reused on the field Idempotency-Key', async () => {
    const c = await h().newClient();
    const key = newKey();
    assert.equal((await c.request('POST', '/api/links/', register(), withKey(key))).status, 201);
    const other = await c.request('POST', '/api/links/', register('someone_else'), withKey(key));
    const err = assertError(other, 400, 'idempotency_key_reused', 'Idempotency-Key');
    assert.match(err.message, /Idempotency-Key was already used with another request/);
    assertError(await c.request('POST', '/api/links/?fields=id', register(), withKey(key)), 400, 'idempotency_key_reused', 'Idempotency-Key');
    assertError(await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/hook' }, withKey(key)), 400, 'idempotency_key_reused');
    assert.equal(await linkCount(c), 1);
    // Keys are per tenant: another tenant's request with the same key runs.
    const d = await h().newClient();
    assert.equal((await d.request('POST', '/api/links/', register('someone_else'), withKey(key))).status, 201);
  });

  it('a key that is not 1–255 printable ASCII characters → 400 invalid on Idempotency-Key, and nothing runs', async () => {
    const c = await h().newClient();
    for (const bad of ['', 'x'.repeat(256), 'clé', 'tab\there']) {
      const res = await c.request('POST', '/api/links/', register(), withKey(bad));
      assertError(res, 400, 'invalid', 'Idempotency-Key');
    }
    assert.equal(await linkCount(c), 0);
    assert.equal((await c.request('POST', '/api/links/', register(), withKey(`!${'~'.repeat(254)}`))).status, 201);
  });

  it('five concurrent registrations with one key create exactly one link; the others get 409 or the replay', async () => {
    const c = await h().newClient();
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 5 }, () => c.request('POST', '/api/links/', register(), withKey(key))));
    const ran = assertOneRan(results);
    assert.equal(await linkCount(c), 1);
    // Once it has ended, every retry is the replay.
    assertReplayOf(await c.request('POST', '/api/links/', register(), withKey(key)), ran);
  });

  it('a validation 400 is kept and replayed (a fixed body needs a new key); so is a 404', async () => {
    const c = await h().newClient();
    const key = newKey();
    const first = await c.request('POST', '/api/links/', { institution: BANK, username: 'user_valid' }, withKey(key));
    assertError(first, 400, 'required', 'password');
    assertReplayOf(await c.request('POST', '/api/links/', { institution: BANK, username: 'user_valid' }, withKey(key)), first);
    assertError(await c.request('POST', '/api/links/', register(), withKey(key)), 400, 'idempotency_key_reused');
    const missing = newKey();
    const notFound = await c.request('POST', '/api/webhooks/deliveries/00000000-0000-4000-8000-000000000000/redeliver/', undefined, withKey(missing));
    assert.equal(notFound.status, 404);
    assertReplayOf(await c.request('POST', '/api/webhooks/deliveries/00000000-0000-4000-8000-000000000000/redeliver/', undefined, withKey(missing)), notFound);
  });

  it('a 5xx is not kept: the retry runs again', async () => {
    const c = await h().newClient();
    const key = newKey();
    const links = h().vinculo.services.links;
    links.register = async () => {
      throw new Error('simulated crash');
    };
    let failed: Response;
    try {
      failed = await c.request('POST', '/api/links/', register(), withKey(key));
    } finally {
      delete (links as { register?: unknown }).register; // back to the prototype's method
    }
    assertError(failed, 500, 'unexpected_error');
    const retry = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
    assert.equal(await linkCount(c), 1);
  });

  it('an answer that asks for a retry (institution_down) is not kept: the retry runs', async () => {
    const c = await h().newClient();
    const key = newKey();
    assert.equal((await c.request('POST', `/sandbox/institutions/${BANK}/status/`, { status: 'down' })).status, 200);
    assertError(await c.request('POST', '/api/links/', register(), withKey(key)), 400, 'institution_down');
    assert.equal((await c.request('POST', `/sandbox/institutions/${BANK}/status/`, { status: 'healthy' })).status, 200);
    const retry = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
  });

  it('a 428 (MFA) is kept: the replay hands out the same session, which still completes the registration once', async () => {
    const c = await h().newClient();
    const key = newKey();
    const first = await c.request('POST', '/api/links/', register('mfa_user'), withKey(key));
    assert.equal(first.status, 428);
    const replay = await c.request('POST', '/api/links/', register('mfa_user'), withKey(key));
    assertReplayOf(replay, first);
    const [{ session, link }] = replay.body;
    const ok = await c.request('PATCH', '/api/links/', { session, link, token: '123456' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'valid');
    assert.equal(await linkCount(c), 1);
  });

  it("a webhook endpoint's secret is replayed, and stored only sealed", async () => {
    const c = await h().newClient();
    const key = newKey();
    const first = await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/hook' }, withKey(key));
    assert.equal(first.status, 201);
    assert.match(first.body.secret, /^whsec_/);
    assertReplayOf(await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/hook' }, withKey(key)), first);
    assert.equal((await c.request('GET', '/api/webhooks/')).body.count, 1);
    const rows = await h().vinculo.store.db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].state, 'completed');
    assert.ok(rows[0].ciphertext);
    const stored = JSON.stringify(rows);
    assert.ok(!stored.includes(first.body.secret) && !stored.includes('whsec_') && !stored.includes('127.0.0.1'), 'nothing in clear');
  });

  it('only POSTs under /api/ are idempotent: other methods ignore the header', async () => {
    const c = await h().newClient();
    const key = newKey();
    const created = await c.request('POST', '/api/links/', register(), withKey(key));
    const patched = await c.request('PATCH', `/api/links/${created.body.id}/`, { access_mode: 'single' }, withKey(key));
    assert.equal(patched.status, 200);
    assert.equal(patched.headers['idempotent-replayed'], undefined);
    assert.equal((await c.request('GET', '/api/links/', undefined, withKey('x'.repeat(300)))).status, 200);
  });

  it('a key still running answers 409; one left running by a dead process (claimed 10+ minutes ago) is taken over', async () => {
    const c = await h().newClient();
    const key = newKey();
    const first = await c.request('POST', '/api/links/', register(), withKey(key));
    const db = h().vinculo.store.db;
    const tenantId = await tenantIdOf(h(), c);
    const row = () => db.updateTable('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key);
    // As if the first request were still running.
    await row().set({ state: 'running', claimed_at: new Date() }).execute();
    assertError(await c.request('POST', '/api/links/', register(), withKey(key)), 409, 'idempotency_key_in_use');
    // It died before storing anything (no effect recorded): the retry runs it.
    await row().set({ claimed_at: new Date(Date.now() - 11 * 60_000), effect: null }).execute();
    const again = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], undefined);
    assert.notEqual(again.body.id, first.body.id);
  });

  it('a registration whose process died after storing its link, before keeping its answer: the retry answers that link, no second one', async () => {
    const c = await h().newClient();
    const key = newKey();
    const first = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(first.status, 201);
    const db = h().vinculo.store.db;
    const tenantId = await tenantIdOf(h(), c);
    const row = () => db.updateTable('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key);
    // The link's transaction recorded it under the key (the recovery point).
    const kept = await db.selectFrom('idempotency_keys').select('effect').where('tenant_id', '=', tenantId).where('key', '=', key).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(kept.effect!), { link: first.body.id });
    // As if its process died then: the answer never stored, the claim no longer kept alive.
    await row().set({ state: 'running', status: null, key_id: null, wrapped_key: null, ciphertext: null, claimed_at: new Date(Date.now() - 60_000) }).execute();
    const again = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    assert.equal(await linkCount(c), 1);
    // That answer is the key's from now on.
    assertReplayOf(await c.request('POST', '/api/links/', register(), withKey(key)), again);
    // Deleted meanwhile: the effect is gone, so the registration runs again.
    await row().set({ state: 'running', status: null, key_id: null, wrapped_key: null, ciphertext: null, claimed_at: new Date(Date.now() - 60_000) }).execute();
    assert.equal((await c.request('DELETE', `/api/links/${first.body.id}/`)).status, 204);
    const rerun = await c.request('POST', '/api/links/', register(), withKey(key));
    assert.equal(rerun.status, 201);
    assert.notEqual(rerun.body.id, first.body.id);
  });

  it('expired keys: a retry past 24 h runs again; housekeeping deletes them', async () => {
    const c = await h().newClient();
    const db = h().vinculo.store.db;
    const tenantId = await tenantIdOf(h(), c);
    const expire = (key: string) =>
      db.updateTable('idempotency_keys').set({ expires_at: new Date(Date.now() - 1000) }).where('tenant_id', '=', tenantId).where('key', '=', key).execute();
    const count = async (key: string) =>
      (await db.selectFrom('idempotency_keys').select('id').where('tenant_id', '=', tenantId).where('key', '=', key).execute()).length;

    // Expired but not yet deleted: the key is free (even for another body).
    const a = newKey();
    assert.equal((await c.request('POST', '/api/links/', register(), withKey(a))).status, 201);
    await expire(a);
    const reused = await c.request('POST', '/api/links/', register('someone_else'), withKey(a));
    assert.equal(reused.status, 201);
    assert.equal(reused.headers['idempotent-replayed'], undefined);

    const b = newKey();
    const kept = newKey();
    assert.equal((await c.request('POST', '/api/links/', register(), withKey(b))).status, 201);
    assert.equal((await c.request('POST', '/api/links/', register(), withKey(kept))).status, 201);
    await expire(b);
    const [pass] = await h().vinculo.services.scheduler.runDue();
    assert.ok((pass.retention?.idempotencyKeys ?? 0) >= 1);
    assert.equal(await count(b), 0, 'the expired key is gone');
    assert.equal(await count(kept), 1, 'a live key stays');
    assert.equal((await c.request('POST', '/api/links/', register('a_third_one'), withKey(b))).status, 201);
  });
});

/**
 * Two Vinculo instances on one PostgreSQL database, as two API processes would be: the same
 * registration sent to both at once with one key creates exactly one link.
 */
if (STORES.includes('postgres')) {
  it('idempotency: two instances on one PostgreSQL database, one key at once → exactly one link [postgres]', async () => {
    const a = await startHarness('postgres');
    const b = await createVinculo({
      config: loadConfig({ VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' }),
      store: { kind: 'postgres', url: a.vinculo.store.url!, poolSize: 4 },
      workers: false,
    });
    try {
      const onA = await a.newClient();
      const onB = client(b, onA.tenant, onA.id, onA.password);
      for (let round = 0; round < 3; round++) {
        const key = newKey();
        const results = await Promise.all([onA, onB, onA, onB].map((x) => x.request('POST', '/api/links/', register(), withKey(key))));
        assertOneRan(results);
        assert.equal(await linkCount(onA), round + 1);
        assert.equal(await linkCount(onB), round + 1);
      }
    } finally {
      await b.close();
      await a.close();
    }
  });
}
