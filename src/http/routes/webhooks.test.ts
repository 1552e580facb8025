import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeStores, type Client } from '../../../test/helpers/harness.js';
import { startReceiver, waitFor, type Receiver } from '../../../test/helpers/receiver.js';
import { keyId, rotateMaster, Vault } from '../../vault/index.js';

/**
 * /api/webhooks/: endpoints (create, list, delete, validation, tenant isolation, the secret shown
 * once, the Authorization value never shown) and the deliveries list (filters, pagination) and
 * redelivery, on both stores.
 */

describeStores('webhooks: API', (h) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver((r) => (JSON.parse(r.body).webhook_code === 'bad' ? 500 : 200));
  });
  after(() => receiver?.close());

  const tenantIdOf = async (c: Client) =>
    (await h().vinculo.store.db.selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;

  it('creates an endpoint: 201 with a whsec_ secret shown only then; lists and deletes it', async () => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/webhooks/', { url: 'https://example.com/hooks?x=1' });
    assert.equal(res.status, 201);
    const e = res.body;
    assert.match(e.id, /^[0-9a-f-]{36}$/);
    assert.equal(e.url, 'https://example.com/hooks?x=1');
    assert.equal(e.has_authorization, false);
    assert.match(e.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(e.secret.slice(6), 'base64').length, 32);
    assert.ok(!Number.isNaN(Date.parse(e.created_at)));

    const second = (await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9999/b', authorization: 'Basic dXNlcjpwYXNz' })).body;
    assert.notEqual(second.secret, e.secret);
    assert.equal(second.has_authorization, true);
    assert.equal(second.authorization, undefined);

    const list = await c.request('GET', '/api/webhooks/');
    assert.equal(list.status, 200);
    assert.equal(list.body.count, 2);
    assert.equal(list.body.next, null);
    assert.deepEqual(
      list.body.results.map((x: Record<string, unknown>) => Object.keys(x).sort()),
      [['created_at', 'has_authorization', 'id', 'url'], ['created_at', 'has_authorization', 'id', 'url']],
    );
    assert.deepEqual(list.body.results.map((x: { id: string }) => x.id), [second.id, e.id]); // newest first
    assert.equal(list.body.results[0].has_authorization, true);
    assert.ok(!JSON.stringify(list.body).includes('whsec_'));
    assert.ok(!JSON.stringify(list.body).includes('dXNlcjpwYXNz'));

    const page = await c.request('GET', '/api/webhooks/?page_size=1');
    assert.equal(page.body.count, 2);
    assert.match(page.body.next, /page=2/);

    const del = await c.request('DELETE', `/api/webhooks/${e.id}/`);
    assert.equal(del.status, 204);
    assert.equal(del.body, undefined);
    assert.equal((await c.request('DELETE', `/api/webhooks/${e.id}/`)).status, 404);
    assert.deepEqual((await c.request('GET', '/api/webhooks/')).body.results.map((x: { id: string }) => x.id), [second.id]);
  });

  it('stores the secret and the Authorization value sealed, never in clear', async () => {
    const c = await h().newClient();
    const auth = `Bearer sealed-${randomUUID()}`;
    const e = (await c.request('POST', '/api/webhooks/', { url: 'https://example.com/sealed', authorization: auth })).body;
    const row = await h().vinculo.store.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    assert.ok(!stored.includes(e.secret.slice(6)));
    assert.ok(!stored.includes(auth));
    assert.ok(!stored.includes(auth.slice(7)));
    // Bound to its endpoint: opening it as another row's fails.
    const vault = h().vinculo.services.vault;
    assert.deepEqual(vault.openJson(row, e.id), { secret: e.secret, authorization: auth });
    assert.throws(() => vault.openJson(row, randomUUID()), /authentication failed/);

    // Master-key rotation re-wraps them: afterwards the new key alone opens them.
    const db = h().vinculo.store.db;
    const next = randomBytes(32);
    const { rewrapped } = await rotateMaster(db, new Vault({ current: next, previous: [Buffer.alloc(32, 7)] }));
    assert.ok(rewrapped >= 1);
    const after = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow();
    assert.equal(after.key_id, keyId(next));
    assert.equal(after.ciphertext, row.ciphertext);
    assert.deepEqual(new Vault({ current: next, previous: [] }).openJson(after, e.id), { secret: e.secret, authorization: auth });
    // Back under the server's own key, for the suites after this one.
    await rotateMaster(db, new Vault({ current: Buffer.alloc(32, 7), previous: [next] }));
  });

  it('rejects bad bodies: 400 naming the field, never echoing a credential', async () => {
    const c = await h().newClient();
    const cases: [unknown, string, string][] = [
      [{}, 'url', 'required'],
      [{ url: '' }, 'url', 'blank'],
      [{ url: 'not a url' }, 'url', 'invalid'],
      [{ url: '/relative/path' }, 'url', 'invalid'],
      [{ url: 'ftp://example.com/x' }, 'url', 'invalid'],
      [{ url: 'javascript:alert(1)' }, 'url', 'invalid'],
      [{ url: 'https://user:hunter2@example.com/x' }, 'url', 'invalid'],
      [{ url: 12 }, 'url', 'invalid'],
      [{ url: 'https://example.com/x', authorization: '' }, 'authorization', 'blank'],
      [{ url: 'https://example.com/x', authorization: 'Bearer a\r\nX-Evil: 1' }, 'authorization', 'invalid'],
      [{ url: 'https://example.com/x', authorization: null }, 'authorization', 'null'],
    ];
    for (const [body, field, code] of cases) {
      const res = await c.request('POST', '/api/webhooks/', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body[0].field, field, JSON.stringify(body));
      assert.equal(res.body[0].code, code, JSON.stringify(body));
      assert.ok(!JSON.stringify(res.body).includes('hunter2'));
      assert.ok(!JSON.stringify(res.body).includes('X-Evil'));
    }
    assert.equal((await c.request('POST', '/api/webhooks/', 'not json')).body[0].code, 'parse_error');
    assert.equal((await c.request('GET', '/api/webhooks/')).body.count, 0);
    assert.ok(!h().logs.join('').includes('hunter2'));
  });

  it('isolates tenants: another tenant’s endpoint and deliveries are 404 / invisible', async () => {
    const a = await h().newClient();
    const b = await h().newClient();
    const e = (await a.request('POST', '/api/webhooks/', { url: receiver.url })).body;
    const webhookId = await h().vinculo.services.webhooks.emit(h().vinculo.store.db, {
      tenantId: await tenantIdOf(a),
      linkId: randomUUID(),
      externalId: null,
      webhookType: 'LINK',
      webhookCode: 'isolated',
      processType: 'recurrent_update',
      data: {},
    });
    const d = await waitFor('a delivery', async () => (await a.request('GET', '/api/webhooks/deliveries/')).body.results[0]);
    assert.equal(d.webhook_id, webhookId);
    assert.equal((await b.request('GET', '/api/webhooks/')).body.count, 0);
    assert.equal((await b.request('GET', '/api/webhooks/deliveries/')).body.count, 0);
    assert.equal((await b.request('DELETE', `/api/webhooks/${e.id}/`)).status, 404);
    assert.equal((await b.request('POST', `/api/webhooks/deliveries/${d.id}/redeliver/`)).status, 404);
    assert.equal((await b.request('DELETE', '/api/webhooks/not-a-uuid/')).status, 404);
    assert.equal((await b.request('POST', '/api/webhooks/deliveries/not-a-uuid/redeliver/')).status, 404);
    assert.equal((await a.request('GET', '/api/webhooks/')).body.count, 1);
  });

  it('requires Basic auth on every route; other methods are 405', async () => {
    const app = h().vinculo.app;
    for (const [method, url] of [
      ['GET', '/api/webhooks/'],
      ['POST', '/api/webhooks/'],
      ['DELETE', `/api/webhooks/${randomUUID()}/`],
      ['GET', '/api/webhooks/deliveries/'],
      ['POST', `/api/webhooks/deliveries/${randomUUID()}/redeliver/`],
    ] as const) {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
    const c = await h().newClient();
    assert.equal((await c.request('PUT', '/api/webhooks/')).status, 405);
    assert.equal((await c.request('GET', `/api/webhooks/deliveries/${randomUUID()}/redeliver/`)).status, 405);
  });

  it('lists deliveries newest first with filters: link_id, webhook_code, status (each also __in), created_at ranges', async () => {
    const c = await h().newClient();
    const tenantId = await tenantIdOf(c);
    const ep = (await c.request('POST', '/api/webhooks/', { url: receiver.url })).body;
    const services = h().vinculo.services;
    const [link1, link2] = [randomUUID(), randomUUID()];
    const emit = (linkId: string, code: string) =>
      services.webhooks.emit(h().vinculo.store.db, {
        tenantId,
        linkId,
        externalId: null,
        webhookType: code === 'historical_update' ? 'ACCOUNTS' : 'TRANSACTIONS',
        webhookCode: code,
        processType: 'recurrent_update',
        data: {},
      });
    const day1 = await services.clock!.now(tenantId);
    await emit(link1, 'historical_update');
    await emit(link1, 'bad');
    // Two days later (virtual clock), on another link.
    const day3 = await services.clock!.advance(tenantId, 2 * 86_400);
    await emit(link2, 'new_transactions_available');
    await emit(link2, 'bad');
    const list = (q = '') => c.request('GET', `/api/webhooks/deliveries/${q}`);
    // (The clock advance made link1's failed delivery due: the scheduler may have retried it since.)
    await waitFor('every first attempt', async () => {
      const r = (await list()).body.results;
      return r.length === 4 && r.every((d: { attempts: number }) => d.attempts >= 1);
    });

    const all = await list();
    assert.equal(all.status, 200);
    assert.equal(all.body.count, 4);
    assert.deepEqual(Object.keys(all.body.results[0]).sort(), [
      'attempts', 'created_at', 'delivered_at', 'endpoint_id', 'id', 'last_error', 'last_status_code', 'link_id',
      'next_attempt_at', 'status', 'url', 'webhook_code', 'webhook_id', 'webhook_type',
    ]);
    // Newest first (emits within one millisecond may come in either order).
    const times = all.body.results.map((d: { created_at: string }) => Date.parse(d.created_at));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));
    assert.deepEqual(all.body.results.slice(0, 2).map((d: { link_id: string }) => d.link_id), [link2, link2]);
    assert.ok(all.body.results.every((d: { endpoint_id: string; url: string }) => d.endpoint_id === ep.id && d.url === receiver.url));

    const codes = async (q: string) => (await list(q)).body.results.map((d: { webhook_code: string }) => d.webhook_code).sort();
    assert.deepEqual(await codes(`?link_id=${link1}`), ['bad', 'historical_update']);
    assert.deepEqual(await codes(`?link_id__in=${link1},${link2}`), ['bad', 'bad', 'historical_update', 'new_transactions_available']);
    assert.deepEqual(await codes('?webhook_code=bad'), ['bad', 'bad']);
    assert.deepEqual(await codes('?webhook_code__in=historical_update,new_transactions_available'), ['historical_update', 'new_transactions_available']);
    assert.deepEqual(await codes('?webhook_type=ACCOUNTS'), ['historical_update']);
    assert.deepEqual(await codes('?status=pending'), ['bad', 'bad']);
    assert.deepEqual(await codes('?status=delivered'), ['historical_update', 'new_transactions_available']);
    assert.deepEqual(await codes('?status__in=pending,failed'), ['bad', 'bad']);
    assert.deepEqual(await codes('?status=failed'), []);
    assert.deepEqual(await codes(`?endpoint_id=${ep.id}&link_id=${link2}&status=delivered`), ['new_transactions_available']);
    const d1 = day1.toISOString().slice(0, 10);
    const d3 = day3.toISOString().slice(0, 10);
    assert.deepEqual(await codes(`?created_at=${d1}`), ['bad', 'historical_update']);
    assert.deepEqual(await codes(`?created_at__gte=${d3}`), ['bad', 'new_transactions_available']);
    assert.deepEqual(await codes(`?created_at__lt=${d3}`), ['bad', 'historical_update']);
    assert.deepEqual(await codes(`?created_at__range=${d1},${d1}`), ['bad', 'historical_update']);
    assert.deepEqual(await codes(`?created_at__gt=${encodeURIComponent(new Date(day3.getTime() + 86_400_000).toISOString())}`), []);

    const pending = (await list('?status=pending')).body.results[0];
    assert.equal(pending.last_status_code, 500);
    assert.equal(pending.last_error, 'HTTP 500');
    assert.ok(pending.next_attempt_at);
    assert.equal(pending.delivered_at, null);

    // Malformed values are a 400 naming the parameter.
    for (const q of ['status=lost', 'link_id=nope', 'created_at__gte=yesterday']) {
      const res = await list(`?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body[0].field, q.split('=')[0]);
    }
    // Pagination.
    const p1 = await list('?page_size=3');
    assert.equal(p1.body.count, 4);
    assert.equal(p1.body.results.length, 3);
    const p2 = await list('?page_size=3&page=2');
    assert.equal(p2.body.results.length, 1);
    assert.equal(p2.body.results[0].link_id, link1);
    assert.equal((await list('?page=3&page_size=3')).status, 404);
    // fields/omit like every list.
    assert.deepEqual(Object.keys((await list('?fields=id,status')).body.results[0]), ['id', 'status']);

    // Redeliver: 202 with the delivery, sent again at once with the same webhook_id.
    const delivered = (await list('?status=delivered&webhook_code=historical_update')).body.results[0];
    const before = receiver.byWebhookId(delivered.webhook_id).length;
    const re = await c.request('POST', `/api/webhooks/deliveries/${delivered.id}/redeliver/`);
    assert.equal(re.status, 202);
    assert.equal(re.body.id, delivered.id);
    assert.equal(re.body.webhook_id, delivered.webhook_id);
    await waitFor('the redelivery', () => receiver.byWebhookId(delivered.webhook_id).length === before + 1);
    const after = await waitFor('attempts counted', async () => {
      const d = (await list(`?webhook_id=${delivered.webhook_id}`)).body.results[0];
      return d.attempts === 2 && d;
    });
    assert.equal(after.status, 'delivered');
    assert.equal((await c.request('POST', `/api/webhooks/deliveries/${randomUUID()}/redeliver/`)).status, 404);

    // Deleting the endpoint deletes its deliveries.
    assert.equal((await c.request('DELETE', `/api/webhooks/${ep.id}/`)).status, 204);
    assert.equal((await list()).body.count, 0);
  });
}, { workers: true });
