import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { describeStores, type Client } from '../../test/helpers/harness.js';
import { startReceiver, waitFor, type Receiver } from '../../test/helpers/receiver.js';
import { RETRY, retryDelayMs, type WebhookEvent } from './index.js';

/**
 * Delivery end to end, on both stores, with a real local HTTP receiver: the exact envelope, the
 * Authorization header, a Standard Webhooks signature that verifies; the outbox follows the
 * transaction; failures are retried on the virtual clock (sendDue) with the same webhook_id,
 * time out, and end as `failed` after 24 h.
 */

const SECOND = 1000;

describeStores('webhooks: delivery', (h) => {
  let receiver: Receiver;
  let c: Client;
  let tenantId: string;
  let endpoint: { id: string; secret: string };
  const AUTH = `Bearer rcv-${randomUUID()}`;

  const services = () => h().vinculo.services;
  const db = () => h().vinculo.store.db;
  const event = (over: Partial<WebhookEvent> = {}): WebhookEvent => ({
    tenantId,
    linkId: randomUUID(),
    externalId: 'client-42',
    webhookType: 'TRANSACTIONS',
    webhookCode: 'new_transactions_available',
    processType: 'recurrent_update',
    data: { count: 3, new_transactions: 3 },
    ...over,
  });
  const emit = (e: WebhookEvent) => db().transaction().execute((tx) => services().webhooks.emit(tx, e));
  const delivery = async (webhookId: string) =>
    (await c.request('GET', `/api/webhooks/deliveries/?webhook_id=${webhookId}`)).body.results[0];
  /** Advances the virtual clock and sends what came due (as the scheduler's tick does). */
  const advance = async (seconds: number) => {
    const now = await services().clock!.advance(tenantId, seconds);
    await services().webhooks.sendDue(now);
  };

  before(async () => {
    receiver = await startReceiver();
    c = await h().newClient();
    const created = await c.request('POST', '/api/webhooks/', { url: receiver.url, authorization: AUTH });
    assert.equal(created.status, 201);
    endpoint = created.body;
    tenantId = (await db().selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;
  });
  after(() => receiver?.close());

  it('retry delays: 30 s doubling, capped at 6 h', () => {
    assert.deepEqual([1, 2, 3, 4].map(retryDelayMs), [30, 60, 120, 240].map((s) => s * SECOND));
    assert.equal(retryDelayMs(10), 30 * 2 ** 9 * SECOND);
    assert.equal(retryDelayMs(11), RETRY.maxMs);
    assert.equal(retryDelayMs(500), RETRY.maxMs);
  });

  it('delivers the exact Belvo envelope, with Authorization and a verifiable signature', async () => {
    const e = event({ requestId: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4' });
    const t0 = Date.now();
    const webhookId = await emit(e);
    assert.match(webhookId, /^[0-9a-f]{32}$/);
    const [got] = await waitFor('the delivery', () => receiver.byWebhookId(webhookId).length && receiver.byWebhookId(webhookId));
    // Delivered on commit (the wake-up), not at a worker's next poll.
    assert.ok(got.at - t0 < 1500, `delivered ${got.at - t0} ms after the emit`);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers.authorization, AUTH);
    assert.equal(got.headers['webhook-id'], webhookId);
    assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000) < 10, 'real-time timestamp');
    assert.match(String(got.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    // The body is exactly Belvo's envelope, keys in Belvo's order.
    assert.deepEqual(Object.keys(JSON.parse(got.body)), [
      'webhook_id', 'webhook_type', 'process_type', 'webhook_code', 'link_id', 'request_id', 'external_id', 'data',
    ]);
    assert.deepEqual(JSON.parse(got.body), {
      webhook_id: webhookId,
      webhook_type: 'TRANSACTIONS',
      process_type: 'recurrent_update',
      webhook_code: 'new_transactions_available',
      link_id: e.linkId,
      request_id: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4',
      external_id: 'client-42',
      data: { count: 3, new_transactions: 3 },
    });
    // The receiver's side: the Standard Webhooks library and the endpoint's secret.
    const verified = new Webhook(endpoint.secret).verify(got.body, got.headers as Record<string, string>);
    assert.deepEqual(verified, JSON.parse(got.body));
    assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(got.body, got.headers as Record<string, string>));
    assert.throws(() => new Webhook(endpoint.secret).verify(got.body.replace('client-42', 'client-43'), got.headers as Record<string, string>));

    const d = await waitFor('delivered status', async () => {
      const x = await delivery(webhookId);
      return x?.status === 'delivered' && x;
    });
    assert.equal(d.attempts, 1);
    assert.equal(d.last_status_code, 200);
    assert.equal(d.last_error, null);
    assert.equal(d.endpoint_id, endpoint.id);
    assert.equal(d.url, receiver.url);
    assert.ok(d.delivered_at);
    // A job that runs again (at least once) finds it delivered and does nothing.
    assert.equal(await services().webhooks.deliver(d.id), 'skipped');
    assert.equal(receiver.byWebhookId(webhookId).length, 1);
  });

  it('a request id defaults to a fresh 32-hex id; a null link and external id stay null', async () => {
    const webhookId = await emit(event({ linkId: null, externalId: null }));
    const [got] = await waitFor('the delivery', () => receiver.byWebhookId(webhookId).length && receiver.byWebhookId(webhookId));
    const body = JSON.parse(got.body);
    assert.match(body.request_id, /^[0-9a-f]{32}$/);
    assert.equal(body.link_id, null);
    assert.equal(body.external_id, null);
  });

  it('the outbox follows the transaction: rolled back → nothing recorded or sent; committed → delivered', async () => {
    const jobs = async () =>
      Number((await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'webhook-deliver'`.execute(db())).rows[0].n);
    const jobsBefore = await jobs();
    let rolledBack = '';
    await assert.rejects(
      db().transaction().execute(async (tx) => {
        rolledBack = await services().webhooks.emit(tx, event({ webhookCode: 'rolled_back' }));
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    assert.match(rolledBack, /^[0-9a-f]{32}$/);
    assert.equal(await jobs(), jobsBefore);
    const committed = await emit(event({ webhookCode: 'committed' }));
    await waitFor('the committed event', () => receiver.byWebhookId(committed).length === 1);
    assert.equal(receiver.byWebhookId(rolledBack).length, 0);
    assert.equal(await db().selectFrom('webhook_events').select('id').where('id', '=', rolledBack).executeTakeFirst(), undefined);
    assert.equal((await c.request('GET', '/api/webhooks/deliveries/?webhook_code=rolled_back')).body.count, 0);
  });

  it('emit given no transaction opens its own', async () => {
    const webhookId = await services().webhooks.emit(db(), event({ webhookCode: 'own_transaction' }));
    await waitFor('the delivery', () => receiver.byWebhookId(webhookId).length === 1);
  });

  it('500 then 200: retried after the virtual clock passes the backoff (sendDue), same webhook_id', async () => {
    let calls = 0;
    receiver.answer = () => (++calls === 1 ? 500 : 200);
    try {
      const webhookId = await emit(event({ webhookCode: 'retry_me' }));
      const failed = await waitFor('the first attempt recorded', async () => {
        const d = await delivery(webhookId);
        return d?.attempts === 1 && d;
      });
      assert.equal(failed.status, 'pending');
      assert.equal(failed.last_status_code, 500);
      assert.equal(failed.last_error, 'HTTP 500');
      const wait = Date.parse(failed.next_attempt_at) - (await services().clock!.now(tenantId)).getTime();
      assert.ok(wait > 25 * SECOND && wait <= 30 * SECOND, `first retry in ${wait} ms`);
      // Not due yet: nothing is sent.
      assert.deepEqual(await services().webhooks.sendDue(new Date()), []);
      await advance(31);
      const done = await waitFor('the retry delivered', async () => {
        const d = await delivery(webhookId);
        return d?.status === 'delivered' && d;
      });
      assert.equal(done.attempts, 2);
      assert.equal(done.last_status_code, 200);
      assert.equal(done.last_error, null);
      assert.equal(done.next_attempt_at, null);
      const got = receiver.byWebhookId(webhookId);
      assert.equal(got.length, 2);
      assert.equal(got[0].body, got[1].body);
      for (const r of got) new Webhook(endpoint.secret).verify(r.body, r.headers as Record<string, string>);
    } finally {
      receiver.answer = () => 200;
    }
  });

  it('a burst with mixed answers records each delivery’s own outcome (attempts share statements)', async () => {
    receiver.answer = (r) => (JSON.parse(r.body).data.n % 3 === 0 ? 502 : 200);
    try {
      const ids = await db().transaction().execute(async (tx) => {
        const out: string[] = [];
        for (let n = 0; n < 40; n++) out.push(await services().webhooks.emit(tx, event({ webhookCode: 'burst', data: { n } })));
        return out;
      });
      const list = await waitFor('40 attempts', async () => {
        const r = (await c.request('GET', '/api/webhooks/deliveries/?webhook_code=burst&page_size=100')).body.results;
        return r.length === 40 && r.every((d: { attempts: number }) => d.attempts === 1) && r;
      });
      const byId = new Map(list.map((d: { webhook_id: string }) => [d.webhook_id, d]));
      ids.forEach((id, n) => {
        const d = byId.get(id) as { status: string; last_status_code: number };
        assert.equal(d.status, n % 3 === 0 ? 'pending' : 'delivered', `event ${n}`);
        assert.equal(d.last_status_code, n % 3 === 0 ? 502 : 200, `event ${n}`);
      });
      // Two job runs of one delivery at the same moment: one outcome is recorded.
      const pending = list.find((d: { status: string }) => d.status === 'pending') as { id: string };
      await db().updateTable('webhook_deliveries').set({ next_attempt_at: null }).where('id', '=', pending.id).execute();
      const outcomes = await Promise.all([services().webhooks.deliver(pending.id), services().webhooks.deliver(pending.id)]);
      assert.deepEqual(outcomes.sort(), ['retry', 'retry']);
      const after = await db().selectFrom('webhook_deliveries').select(['attempts', 'status']).where('id', '=', pending.id).executeTakeFirstOrThrow();
      assert.deepEqual(after, { attempts: 2, status: 'pending' });
    } finally {
      receiver.answer = () => 200;
    }
  });

  it('no 2xx within the timeout is a failed attempt', async () => {
    services().webhooks.timeoutMs = 300;
    receiver.answer = () => 'hang';
    try {
      const webhookId = await emit(event({ webhookCode: 'too_slow' }));
      const d = await waitFor('the timed-out attempt', async () => {
        const x = await delivery(webhookId);
        return x?.attempts === 1 && x;
      });
      assert.equal(d.status, 'pending');
      assert.equal(d.last_status_code, null);
      assert.equal(d.last_error, 'timeout');
      assert.ok(d.next_attempt_at);
    } finally {
      services().webhooks.timeoutMs = 5000;
      receiver.answer = () => 200;
    }
  });

  it('failing for 24 h since the first attempt ends as failed', async () => {
    receiver.answer = (r) => (JSON.parse(r.body).webhook_code === 'never_ok' ? 503 : 200);
    try {
      const webhookId = await emit(event({ webhookCode: 'never_ok' }));
      const first = await waitFor('attempt 1', async () => {
        const d = await delivery(webhookId);
        return d?.attempts === 1 && d;
      });
      await advance(31);
      const second = await waitFor('attempt 2', async () => {
        const d = await delivery(webhookId);
        return d?.attempts === 2 && d;
      });
      assert.equal(second.status, 'pending');
      const wait = Date.parse(second.next_attempt_at) - (await services().clock!.now(tenantId)).getTime();
      assert.ok(wait > 55 * SECOND && wait <= 60 * SECOND, `second retry in ${wait} ms`);
      // Past the 24 h window: the next attempt is the last.
      await advance(24 * 3600);
      const last = await waitFor('the final attempt', async () => {
        const d = await delivery(webhookId);
        return d?.status === 'failed' && d;
      });
      assert.equal(last.attempts, 3);
      assert.equal(last.last_status_code, 503);
      assert.equal(last.next_attempt_at, null);
      assert.equal(last.delivered_at, null);
      assert.ok(Date.parse(first.created_at) <= Date.parse(last.created_at));
      // Nothing more is due for it.
      await advance(7 * 24 * 3600);
      assert.equal(receiver.byWebhookId(webhookId).length, 3);

      // Redelivery sends it again now, same webhook_id, and a success makes it delivered.
      receiver.answer = () => 200;
      const again = await c.request('POST', `/api/webhooks/deliveries/${last.id}/redeliver/`);
      assert.equal(again.status, 202);
      assert.equal(again.body.id, last.id);
      assert.equal(again.body.webhook_id, webhookId);
      assert.equal(again.body.status, 'pending');
      const delivered = await waitFor('the redelivery', async () => {
        const d = await delivery(webhookId);
        return d?.status === 'delivered' && d;
      });
      assert.equal(delivered.attempts, 4);
      const got = receiver.byWebhookId(webhookId);
      assert.equal(got.length, 4);
      assert.equal(got[3].body, got[0].body);
    } finally {
      receiver.answer = () => 200;
    }
  });

  it('an unreachable endpoint is a failed attempt with its kind, then retried', async () => {
    const other = await h().newClient();
    const dead = await startReceiver();
    const url = dead.url;
    await dead.close();
    const ep = (await other.request('POST', '/api/webhooks/', { url })).body;
    const otherTenant = (await db().selectFrom('tenants').select('id').where('name', '=', other.tenant).executeTakeFirstOrThrow()).id;
    const webhookId = await emit(event({ tenantId: otherTenant }));
    const d = await waitFor('the refused attempt', async () => {
      const x = (await other.request('GET', `/api/webhooks/deliveries/?webhook_id=${webhookId}`)).body.results[0];
      return x?.attempts === 1 && x;
    });
    assert.equal(d.endpoint_id, ep.id);
    assert.equal(d.last_error, 'connection_refused');
    assert.equal(d.last_status_code, null);
    assert.equal(d.status, 'pending');
  });

  it('a secret sealed under a master key this server lacks is a failed attempt (secret_unavailable), retried later', async () => {
    const other = await h().newClient();
    const ep = (await other.request('POST', '/api/webhooks/', { url: receiver.url })).body;
    await db().updateTable('webhook_endpoints').set({ key_id: 'an-unknown-key' }).where('id', '=', ep.id).execute();
    const otherTenant = (await db().selectFrom('tenants').select('id').where('name', '=', other.tenant).executeTakeFirstOrThrow()).id;
    const webhookId = await emit(event({ tenantId: otherTenant }));
    const d = await waitFor('the attempt', async () => {
      const x = (await other.request('GET', `/api/webhooks/deliveries/?webhook_id=${webhookId}`)).body.results[0];
      return x?.attempts === 1 && x;
    });
    assert.equal(d.last_error, 'secret_unavailable');
    assert.equal(d.status, 'pending');
    assert.ok(d.next_attempt_at);
    assert.equal(receiver.byWebhookId(webhookId).length, 0);
  });

  it('events of a tenant without endpoints are not recorded (emit still answers an id), and a later endpoint does not get them', async () => {
    const lonely = await h().newClient();
    const lonelyId = (await db().selectFrom('tenants').select('id').where('name', '=', lonely.tenant).executeTakeFirstOrThrow()).id;
    const old = await emit(event({ tenantId: lonelyId, webhookCode: 'before_any_endpoint' }));
    assert.match(old, /^[0-9a-f]{32}$/);
    const events = () => db().selectFrom('webhook_events').select('id').where('tenant_id', '=', lonelyId).execute();
    assert.deepEqual(await events(), [], 'nothing stored for nobody');
    assert.equal((await lonely.request('GET', '/api/webhooks/deliveries/')).body.count, 0);
    const late = await startReceiver();
    try {
      await lonely.request('POST', '/api/webhooks/', { url: late.url });
      const fresh = await emit(event({ tenantId: lonelyId, webhookCode: 'after_the_endpoint' }));
      await waitFor('the new event', () => late.byWebhookId(fresh).length === 1);
      assert.equal(late.byWebhookId(old).length, 0);
      assert.equal(late.received.length, 1);
      assert.deepEqual((await events()).map((e) => e.id), [fresh], 'recorded once the tenant has an endpoint');
    } finally {
      await late.close();
    }
  });

  it('one event goes to every endpoint of the tenant, signed with each one’s secret, same webhook_id', async () => {
    const multi = await h().newClient();
    const multiId = (await db().selectFrom('tenants').select('id').where('name', '=', multi.tenant).executeTakeFirstOrThrow()).id;
    const a = await startReceiver();
    const b = await startReceiver();
    try {
      const ea = (await multi.request('POST', '/api/webhooks/', { url: a.url })).body;
      const eb = (await multi.request('POST', '/api/webhooks/', { url: b.url })).body;
      const webhookId = await emit(event({ tenantId: multiId }));
      const [ra] = await waitFor('endpoint a', () => a.byWebhookId(webhookId).length && a.byWebhookId(webhookId));
      const [rb] = await waitFor('endpoint b', () => b.byWebhookId(webhookId).length && b.byWebhookId(webhookId));
      assert.equal(ra.body, rb.body);
      assert.equal(ra.headers.authorization, undefined);
      new Webhook(ea.secret).verify(ra.body, ra.headers as Record<string, string>);
      new Webhook(eb.secret).verify(rb.body, rb.headers as Record<string, string>);
      assert.throws(() => new Webhook(ea.secret).verify(rb.body, rb.headers as Record<string, string>));
      assert.equal((await multi.request('GET', '/api/webhooks/deliveries/')).body.count, 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('never logs the signing secret or the Authorization value', () => {
    const logs = h().logs.join('');
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(endpoint.secret));
    assert.ok(!logs.includes(endpoint.secret.slice(6)));
    assert.ok(!logs.includes(AUTH.slice(7)));
  });
}, { env: { VINCULO_JOB_POLL_SECONDS: '30' }, workers: true });

