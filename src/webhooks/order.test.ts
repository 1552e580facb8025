import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { describeStores, type Client } from '../../test/helpers/harness.js';
import { createLink } from '../../test/helpers/links.js';
import { startReceiver, waitFor, type Received, type Receiver } from '../../test/helpers/receiver.js';

/**
 * Deliveries in order per link, on both stores, through the API with a real receiver: while a
 * link's oldest pending delivery fails, the link's later events wait (unattempted); once it is
 * delivered they follow at once, in creation order, each with one webhook-id across attempts and
 * a valid Standard Webhooks signature. A receiver that keeps failing one event holds its link's
 * later events until that one fails for good (24 h), then they go. Other links, and events
 * without a link, do not wait.
 */

interface DeliveryJson {
  id: string;
  webhook_id: string;
  webhook_code: string;
  link_id: string | null;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
}

describeStores('webhooks: in order per link', (h) => {
  let receiver: Receiver;
  let c: Client;
  let secret: string;

  const body = (r: Received) => JSON.parse(r.body) as { webhook_id: string; webhook_code: string; link_id: string | null };
  const fire = async (link: string, code: string) => {
    const res = await c.request('POST', `/sandbox/links/${link}/fire_webhook/`, { webhook_type: 'TRANSACTIONS', webhook_code: code });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  const deliveries = async (query: string): Promise<DeliveryJson[]> => {
    const res = await c.request('GET', `/api/webhooks/deliveries/?page_size=100&${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.results;
  };
  const byCode = async (link: string) => new Map((await deliveries(`link_id=${link}`)).map((d) => [d.webhook_code, d]));
  const advance = async (seconds: number) => {
    const res = await c.request('POST', '/sandbox/clock/advance/', { seconds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  /** The webhook codes the receiver got for `link`, one per request, in arrival order. */
  const arrivals = (link: string) => receiver.received.filter((r) => body(r).link_id === link).map((r) => body(r).webhook_code);
  const verify = (r: Received) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>);

  before(async () => {
    receiver = await startReceiver(() => 503);
    c = await h().newClient();
    const created = await c.request('POST', '/api/webhooks/', { url: receiver.url });
    assert.equal(created.status, 201);
    secret = created.body.secret;
  });
  after(() => receiver?.close());

  it('a receiver that is down: a link’s events wait behind its oldest, then arrive in creation order, same webhook-id, signed', async () => {
    receiver.answer = () => 503;
    // `single` links without a first load: the events are exactly the ones fired here.
    const a = await createLink(c, 'order_a', { extra: { access_mode: 'single' } });
    const b = await createLink(c, 'order_b', { extra: { access_mode: 'single' } });
    const codes = ['event_one', 'event_two', 'event_three', 'event_four', 'event_five'];
    for (const [i, code] of codes.entries()) {
      await fire(a, code);
      if (i < 3) await fire(b, code);
    }
    // Each link's oldest was attempted (and failed); the rest wait, unattempted.
    for (const [link, n] of [[a, 5], [b, 3]] as const) {
      const ds = await waitFor('the oldest attempted', async () => {
        const m = await byCode(link);
        return m.get('event_one')?.attempts === 1 && m;
      });
      assert.equal(ds.size, n);
      assert.equal(ds.get('event_one')!.status, 'pending');
      assert.ok(ds.get('event_one')!.next_attempt_at, 'a retry is scheduled');
      for (const code of codes.slice(1, n)) {
        assert.deepEqual([ds.get(code)!.status, ds.get(code)!.attempts, ds.get(code)!.next_attempt_at], ['pending', 0, null], code);
      }
    }
    assert.deepEqual(arrivals(a), ['event_one']);
    assert.deepEqual(arrivals(b), ['event_one']);

    // Still down at the first retry (30 s later, virtual clock): the rest keep waiting.
    await advance(31);
    await waitFor('the first retry', async () => (await byCode(a)).get('event_one')?.attempts === 2 && (await byCode(b)).get('event_one')?.attempts === 2);
    assert.deepEqual(arrivals(a), ['event_one', 'event_one']);

    // Back up; the next retry is due 60 s later: then everything follows, in order.
    receiver.answer = () => 200;
    await advance(61);
    for (const [link, n] of [[a, 5], [b, 3]] as const) {
      const ds = await waitFor('all delivered', async () => {
        const list = await deliveries(`link_id=${link}`);
        return list.length === n && list.every((d) => d.status === 'delivered') && list;
      });
      assert.deepEqual(arrivals(link), ['event_one', 'event_one', ...codes.slice(0, n)], 'in creation order, nothing sent out of turn');
      const one = ds.find((d) => d.webhook_code === 'event_one')!;
      assert.equal(one.attempts, 3);
      assert.ok(ds.filter((d) => d !== one).every((d) => d.attempts === 1));
    }
    // Every attempt of an event: its one webhook-id, the same body, a valid signature.
    const firstOfA = receiver.received.filter((r) => body(r).link_id === a && body(r).webhook_code === 'event_one');
    assert.equal(firstOfA.length, 3);
    const id = firstOfA[0].headers['webhook-id'];
    for (const r of firstOfA) {
      assert.equal(r.headers['webhook-id'], id);
      assert.equal(body(r).webhook_id, id);
      assert.equal(r.body, firstOfA[0].body);
    }
    for (const r of receiver.received.filter((x) => [a, b].includes(body(x).link_id!))) assert.deepEqual(verify(r), JSON.parse(r.body));
  });

  it('one event that keeps failing holds its link’s later events until it fails for good (24 h); then they go, in order', async () => {
    receiver.answer = (r) => (body(r).webhook_code === 'poison' ? 500 : 200);
    const link = await createLink(c, 'order_poison', { extra: { access_mode: 'single' } });
    const other = await createLink(c, 'order_other', { extra: { access_mode: 'single' } });
    await fire(link, 'before_it');
    await waitFor('the first delivered', async () => (await byCode(link)).get('before_it')?.status === 'delivered');
    await fire(link, 'poison');
    await fire(link, 'after_one');
    await fire(link, 'after_two');
    // Another link is not held up.
    await fire(other, 'meanwhile');
    await waitFor('the other link’s event', () => arrivals(other).length === 1);
    await waitFor('the poison attempted', async () => (await byCode(link)).get('poison')?.attempts === 1);
    // Hours of retries: the later events still wait.
    for (const [i, hours] of [1, 6, 12].entries()) {
      await advance(hours * 3600);
      const m = await waitFor('the retry recorded', async () => {
        const x = await byCode(link);
        return x.get('poison')!.attempts === i + 2 && x;
      });
      assert.equal(m.get('poison')!.status, 'pending');
      assert.equal(m.get('after_one')!.attempts, 0);
      assert.equal(m.get('after_two')!.attempts, 0);
    }
    assert.deepEqual([...new Set(arrivals(link))], ['before_it', 'poison']);
    // Past its 24 h window the poison fails for good, and the rest follow at once.
    await advance(6 * 3600);
    const m = await waitFor('the rest delivered', async () => {
      const x = await byCode(link);
      return x.get('after_two')?.status === 'delivered' && x;
    });
    assert.equal(m.get('poison')!.status, 'failed');
    assert.equal(m.get('after_one')!.status, 'delivered');
    assert.equal(m.get('after_one')!.attempts, 1);
    const seen = arrivals(link);
    assert.deepEqual(seen.slice(seen.lastIndexOf('poison') + 1), ['after_one', 'after_two']);
    assert.ok(seen.lastIndexOf('poison') < seen.indexOf('after_one'));
  });

  it('a redelivery of an older event goes first; the link’s pending events wait for it', async () => {
    receiver.answer = (r) => (body(r).webhook_code === 'stuck' ? 503 : 200);
    const link = await createLink(c, 'order_redeliver', { extra: { access_mode: 'single' } });
    await fire(link, 'old_one');
    const old = await waitFor('delivered', async () => {
      const d = (await byCode(link)).get('old_one');
      return d?.status === 'delivered' && d;
    });
    await fire(link, 'stuck');
    await fire(link, 'behind');
    await waitFor('stuck attempted', async () => (await byCode(link)).get('stuck')?.attempts === 1);
    // Redeliver the old, delivered one: it is sent at once (nothing pending is older).
    const re = await c.request('POST', `/api/webhooks/deliveries/${old.id}/redeliver/`);
    assert.equal(re.status, 202);
    await waitFor('the redelivery', () => arrivals(link).filter((x) => x === 'old_one').length === 2);
    // A redelivery of a waiting one waits still: its predecessor is pending.
    const behind = (await byCode(link)).get('behind')!;
    assert.equal((await c.request('POST', `/api/webhooks/deliveries/${behind.id}/redeliver/`)).status, 202);
    await waitFor('parked again', async () => {
      const row = await h().vinculo.store.db.selectFrom('webhook_deliveries').select('waiting').where('id', '=', behind.id).executeTakeFirstOrThrow();
      return row.waiting;
    });
    assert.equal((await byCode(link)).get('behind')!.attempts, 0);
    receiver.answer = () => 200;
    await advance(31);
    await waitFor('all delivered', async () => [...(await byCode(link)).values()].every((d) => d.status === 'delivered'));
    assert.deepEqual(arrivals(link), ['old_one', 'stuck', 'old_one', 'stuck', 'behind']);
  });

  it('events without a link are not ordered: one failing does not hold the others', async () => {
    const services = h().vinculo.services;
    const db = h().vinculo.store.db;
    const tenantId = (await db.selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;
    receiver.answer = (r) => (body(r).webhook_code === 'unlinked_bad' ? 503 : 200);
    const emit = (code: string) =>
      services.webhooks.emit(db, { tenantId, linkId: null, externalId: null, webhookType: 'LINK', webhookCode: code, processType: 'recurrent_update', data: {} });
    const bad = await emit('unlinked_bad');
    await waitFor('the bad one failed once', async () => (await deliveries(`webhook_id=${bad}`))[0]?.attempts === 1);
    // Sent while the earlier one waits for its retry.
    const good = await emit('unlinked_good');
    await waitFor('the good one delivered', () => receiver.byWebhookId(good).length === 1);
    const d = (await deliveries(`webhook_id=${bad}`))[0];
    assert.equal(d.status, 'pending');
    assert.ok(d.next_attempt_at);
  });

  it('after a crash between an end and the start of what waited, the ended delivery’s job run again starts it', async () => {
    receiver.answer = () => 200;
    const link = await createLink(c, 'order_crash', { extra: { access_mode: 'single' } });
    await fire(link, 'crash_first');
    await fire(link, 'crash_second');
    await waitFor('both delivered', async () => [...(await byCode(link)).values()].filter((d) => d.status === 'delivered').length === 2);
    // As if the process died right after recording the first's end: the second waits, unstarted.
    const db = h().vinculo.store.db;
    const m = await byCode(link);
    await db.updateTable('webhook_deliveries').set({ status: 'pending', waiting: true, attempts: 0 }).where('id', '=', m.get('crash_second')!.id).execute();
    const before = arrivals(link).length;
    assert.equal(await h().vinculo.services.webhooks.deliver(m.get('crash_first')!.id), 'skipped');
    await waitFor('the second sent', () => arrivals(link).length === before + 1);
    assert.equal(arrivals(link).at(-1), 'crash_second');
  });
}, { workers: true });
