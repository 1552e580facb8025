import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { describeStores, type Client } from '../../test/helpers/harness.js';
import { createLink } from '../../test/helpers/links.js';
import { startReceiver, waitFor, type Receiver } from '../../test/helpers/receiver.js';
import { inBatches, Retention } from './service.js';

/**
 * Retention through the sandbox clock, on both stores: a tenant moves its clock forward
 * (POST /sandbox/clock/advance/, which runs the housekeeping) and what is past its retention is
 * gone, on that tenant only; what is recent or still pending stays. pg-boss's archive ages in
 * real time, so its test back-dates archived rows instead. Counts come back in the scheduler's
 * TickResult; batches are bounded (a pass deletes at most batchSize × batchesPerPass per step).
 */

const DAY = 86_400;

describeStores('retention: the housekeeping deletes what is past its retention', (h) => {
  let receiver: Receiver;
  const db = () => h().vinculo.store.db;
  const tenantId = async (c: Client) =>
    (await db().selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;
  const advance = async (c: Client, seconds: number) => {
    const res = await c.request('POST', '/sandbox/clock/advance/', { seconds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const deliveries = async (c: Client) => {
    const res = await c.request('GET', '/api/webhooks/deliveries/?page_size=100');
    assert.equal(res.status, 200);
    return res.body.results as { webhook_id: string; webhook_code: string; status: string; attempts: number; next_attempt_at: string | null }[];
  };
  const delivery = async (c: Client, code: string) => (await deliveries(c)).find((d) => d.webhook_code === code);
  const fire = async (c: Client, link: string, code: string) => {
    const res = await c.request('POST', `/sandbox/links/${link}/fire_webhook/`, { webhook_type: 'LINK', webhook_code: code });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  const events = async (tenant: string) =>
    (await db().selectFrom('webhook_events').select('webhook_code').where('tenant_id', '=', tenant).execute()).map((e) => e.webhook_code).sort();

  before(async () => {
    // Every delivery is answered 200, except those of `retry_*` events.
    receiver = await startReceiver((r) => (JSON.parse(r.body).webhook_code.startsWith('retry_') ? 500 : 200));
  });
  after(() => receiver?.close());

  it('webhooks: events and deliveries older than 30 days (tenant clock) go; recent ones and pending retries stay', async () => {
    const c = await h().newClient();
    const other = await h().newClient();
    const tenant = await tenantId(c);
    for (const x of [c, other]) assert.equal((await x.request('POST', '/api/webhooks/', { url: receiver.url })).status, 201);
    const link = await createLink(c, 'retention_hooks', { extra: { access_mode: 'single' } });
    const otherLink = await createLink(other, 'retention_hooks', { extra: { access_mode: 'single' } });

    await fire(c, link, 'old_delivered');
    await fire(other, otherLink, 'other_tenant');
    await fire(c, link, 'retry_pending');
    await waitFor('the first delivery', async () => (await delivery(c, 'old_delivered'))?.status === 'delivered');
    await waitFor('the other tenant’s delivery', async () => (await delivery(other, 'other_tenant'))?.status === 'delivered');
    const retrying = await waitFor('a retry to be scheduled', async () => {
      const d = await delivery(c, 'retry_pending');
      return d?.next_attempt_at && d;
    });
    assert.equal(retrying.status, 'pending');

    // 31 days later on this tenant's clock. The pass that runs first deletes what is old and final;
    // the retry waiting for its time stays: it is sent again after that pass (its 24 h window is
    // over, so it fails, and a later pass may delete it — which one is a matter of timing).
    const sentRetries = () => receiver.received.filter((r) => JSON.parse(r.body).webhook_code === 'retry_pending').length;
    const retriesBefore = sentRetries();
    await advance(c, 31 * DAY);
    await waitFor('the pending retry, kept, to be sent again', async () => sentRetries() > retriesBefore);
    await fire(c, link, 'recent');
    await waitFor('the recent delivery', async () => (await delivery(c, 'recent'))?.status === 'delivered');
    const left = (await deliveries(c)).map((d) => d.webhook_code);
    assert.ok(!left.includes('old_delivered') && left.includes('recent'), left.join());
    assert.ok(!(await events(tenant)).includes('old_delivered'));
    assert.deepEqual((await deliveries(other)).map((d) => d.webhook_code), ['other_tenant'], 'another tenant’s clock did not move');

    // Once final, the old retry goes at the next pass; the recent event stays.
    await waitFor('the old retry to end', async () => [undefined, 'failed'].includes((await delivery(c, 'retry_pending'))?.status));
    await advance(c, 1);
    assert.deepEqual((await deliveries(c)).map((d) => d.webhook_code), ['recent']);
    assert.deepEqual(await events(tenant), ['recent']);
  });

  it('webhooks: a tenant without an endpoint gets no event recorded', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'retention_lonely', { extra: { access_mode: 'single' } });
    await fire(c, link, 'nobody_listens');
    assert.deepEqual(await events(await tenantId(c)), []);
  });

  it('jobs: pg-boss archived jobs older than 7 days (real time) are deleted, newer ones kept; counted in TickResult', async () => {
    const c = await h().newClient();
    assert.equal((await c.request('POST', '/api/webhooks/', { url: receiver.url })).status, 201);
    const link = await createLink(c, 'retention_jobs', { extra: { access_mode: 'single' } });
    await fire(c, link, 'job_old');
    await fire(c, link, 'job_recent');
    await waitFor('both delivered', async () => (await deliveries(c)).filter((d) => d.status === 'delivered').length === 2);
    const jobOf = async (code: string) => {
      const r = await sql<{ id: string }>`
        select j.id from pgboss.job j join webhook_deliveries d on d.id::text = j.data->>'deliveryId'
        join webhook_events e on e.id = d.event_id
        where j.name = 'webhook-deliver' and e.webhook_code = ${code} and d.tenant_id = ${await tenantId(c)}`.execute(db());
      return r.rows[0].id;
    };
    // A forced pass now: the background one (every 30 s) then leaves the pass below alone.
    await h().vinculo.services.scheduler.runDue();
    const old = await jobOf('job_old');
    const recent = await jobOf('job_recent');
    await waitFor('both jobs completed', async () =>
      (await Promise.all([old, recent].map((id) => h().vinculo.services.queue.getJob('webhook-deliver', id)))).every((j) => j?.state === 'completed'),
    );
    // Stand-in for 7.5 and 6.5 days of real time: move them to the archive as pg-boss's maintenance
    // does, archived that long ago (pg-boss's own deletion, the backstop, waits 8 days).
    const columns = sql.raw(
      'id, name, priority, data, state, retry_limit, retry_count, retry_delay, retry_backoff, start_after, started_on, singleton_key, singleton_on, expire_in, created_on, completed_on, keep_until, dead_letter, policy, output',
    );
    for (const [id, hours] of [[old, 7.5 * 24], [recent, 6.5 * 24]] as const) {
      await db().transaction().execute(async (tx) => {
        await sql`insert into pgboss.archive (${columns}, archived_on)
          select ${columns}, now() - make_interval(hours => ${hours}) from pgboss.job where name = 'webhook-deliver' and id = ${id}`.execute(tx);
        await sql`delete from pgboss.job where name = 'webhook-deliver' and id = ${id}`.execute(tx);
      });
    }
    assert.equal((await h().vinculo.services.queue.getJob('webhook-deliver', old))?.state, 'completed', 'archived, still found');

    const [pass] = await h().vinculo.services.scheduler.runDue();
    assert.equal(pass.retention?.archivedJobs, 1);
    assert.equal(await h().vinculo.services.queue.getJob('webhook-deliver', old), null);
    assert.equal((await h().vinculo.services.queue.getJob('webhook-deliver', recent))?.state, 'completed');
  });

  it('widget sessions: deleted a day after they expire (tenant clock), never while they work', async () => {
    const c = await h().newClient();
    const tenant = await tenantId(c);
    const principal = (await h().vinculo.services.tenants.authenticate(c.id, c.password))!;
    const HOUR = 3_600_000;
    // A session lives an hour: issued 26 h ago it expired 25 h ago; issued 2 h ago, 1 h ago.
    await h().vinculo.services.widget.issue(principal, {}, Date.now() - 26 * HOUR);
    await h().vinculo.services.widget.issue(principal, {}, Date.now() - 2 * HOUR);
    const live = await c.request('POST', '/api/token/', { scopes: 'read_institutions,write_links' });
    assert.equal(live.status, 200);
    const sessions = async () =>
      Number((await db().selectFrom('widget_sessions').select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', tenant).executeTakeFirstOrThrow()).n);
    const session = () =>
      h().vinculo.app.inject({ method: 'GET', url: '/widget/api/session/', headers: { authorization: `Bearer ${live.body.access}` } });

    await advance(c, 0);
    assert.equal(await sessions(), 2, 'the one expired a day ago went; the one expired an hour ago stays');
    await advance(c, 2 * DAY);
    assert.equal(await sessions(), 1, 'on the tenant clock it expired two days ago: gone');
    assert.equal((await session()).statusCode, 200, 'the live session still works');
  });

  it('audit records: deleted once older than 365 days (tenant clock); a new one stays', async () => {
    const c = await h().newClient();
    const records = async () => (await h().vinculo.services.audit.list({ tenantName: c.tenant, limit: 100 })).map((r) => r.action);
    assert.equal((await c.request('DELETE', '/api/links/00000000-0000-4000-8000-000000000000/')).status, 404);
    assert.deepEqual(await records(), ['delete', 'key_create']);
    await advance(c, 364 * DAY);
    assert.deepEqual(await records(), ['delete', 'key_create'], 'not yet');
    await advance(c, 2 * DAY);
    assert.deepEqual(await records(), []);
    assert.equal((await c.request('DELETE', '/api/links/00000000-0000-4000-8000-000000000000/')).status, 404);
    await advance(c, 1);
    assert.deepEqual(await records(), ['delete']);
  });
}, { workers: true });

describeStores('retention: bounded batches', (h) => {
  it('a pass deletes at most batchSize × batchesPerPass rows per step; the rest goes at the next passes', async () => {
    const c = await h().newClient();
    for (let i = 0; i < 4; i++) assert.equal((await c.request('DELETE', '/api/links/00000000-0000-4000-8000-000000000000/')).status, 404);
    const tenant = (await h().vinculo.store.db.selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;
    // Two days on, 5 records (4 deletes and the key's creation) are past a 1-day retention: not the server's (365).
    await h().vinculo.services.clock!.advance(tenant, 2 * DAY);
    const retention = new Retention(h().vinculo.store.db, {
      webhookDays: 30, jobDays: 7, auditDays: 1, jobSchema: 'pgboss', batchSize: 2, batchesPerPass: 2,
    });
    const passes = [];
    for (let i = 0; i < 3; i++) passes.push((await retention.run(new Date())).auditRecords);
    assert.deepEqual(passes, [4, 1, 0]);
    assert.deepEqual(await h().vinculo.services.audit.list({ tenantName: c.tenant, limit: 10 }), []);
  });
});

describe('inBatches: the batch budget the retention and the housekeeping share', () => {
  /** A table of `rows` rows: each batch deletes up to its limit, recorded. */
  const table = (rows: number, log: number[]) => async (limit: number) => {
    const n = Math.min(rows, limit);
    rows -= n;
    log.push(n);
    return n;
  };

  it('full batches until one comes back short; at most batchesPerPass full batches a pass, shared by the tables in order', async () => {
    const [a, b, c]: number[][] = [[], [], []];
    const tables = [table(3, a), table(0, b), table(5, c)];
    assert.equal(await inBatches(tables, { batchSize: 2, batchesPerPass: 3 }), 7);
    // a: 2, then 1 (short: a is done); b: 0 (done, nothing spent); c: 2, 2, and the budget of 3 full batches is spent.
    assert.deepEqual([a, b, c], [[2, 1], [0], [2, 2]]);
    // The next pass finishes c.
    assert.equal(await inBatches(tables, { batchSize: 2, batchesPerPass: 3 }), 1);
    assert.deepEqual(c, [2, 2, 1]);
    assert.equal(await inBatches(tables, { batchSize: 2, batchesPerPass: 3 }), 0);
    assert.ok([...a, ...b, ...c].every((n) => n <= 2), 'a batch never exceeds its size');
  });
});
