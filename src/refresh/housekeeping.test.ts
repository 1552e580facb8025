import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeStores, type Client } from '../../test/helpers/harness.js';
import { createLink } from '../../test/helpers/links.js';
import { Scheduler } from './scheduler.js';

/**
 * The scheduler's housekeeping deletes in bounded batches (the retention's): a backlog larger
 * than a batch goes over several batches and passes, never more than `batchSize` rows a batch
 * nor `batchesPerPass` batches a pass, and every row of it goes in the end. Deletions of stored
 * credentials are audited, actor `system`. On both stores, through the scheduler's own pass
 * (`tick`), with small batches.
 */

const DAY = 86_400;

describeStores('housekeeping: bounded batches, audited deletions', (h) => {
  const db = () => h().vinculo.store.db;
  const tenantOf = async (c: Client) => (await db().selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;
  /** Moves the tenant's clock on, without running the housekeeping (the sandbox route would). */
  const advance = async (c: Client, seconds: number) => h().vinculo.services.clock!.advance(await tenantOf(c), seconds);
  const scheduler = (batchSize: number, batchesPerPass: number) =>
    new Scheduler(db(), h().vinculo.services.queue, [], { abandonedLinkMs: 7 * DAY * 1000, batchSize, batchesPerPass, audit: h().vinculo.services.audit });
  /** Runs passes until one deletes nothing; each pass's counts. */
  const drain = async (s: Scheduler) => {
    const passes = [];
    for (let i = 0; i < 20; i++) {
      const r = await s.tick(true);
      passes.push(r);
      if (!r.expiredCredentials && !r.staleObjects && !r.expiredSessions && !r.abandonedLinks) return passes;
    }
    assert.fail('the backlog did not drain in 20 passes');
  };
  const audited = async (c: Client, action: string) =>
    (await h().vinculo.services.audit.list({ tenantName: c.tenant, limit: 1000 })).filter((r) => r.action === action);

  it('abandoned unconfirmed links and expired MFA sessions: a batch at most batchSize, the rest at the next passes; each link deletion audited', async () => {
    const c = await h().newClient();
    const links: string[] = [];
    for (let i = 0; i < 5; i++) links.push(await createLink(c, `mfa_abandoned_${i}`, { expect: 428 }));
    const sessions = () => db().selectFrom('mfa_sessions').select('id').where('link_id', 'in', links).execute();
    assert.equal((await sessions()).length, 5);
    await advance(c, 8 * DAY);

    // One batch of 2 per pass: 2, 2, 1, then nothing.
    const passes = await drain(scheduler(2, 1));
    assert.deepEqual(passes.map((p) => p.expiredSessions), [2, 2, 1, 0]);
    assert.deepEqual(passes.map((p) => p.abandonedLinks), [2, 2, 1, 0]);
    assert.equal((await db().selectFrom('links').select('id').where('id', 'in', links).execute()).length, 0);
    assert.equal((await sessions()).length, 0);

    const records = await audited(c, 'delete');
    assert.deepEqual(records.map((r) => r.link_id).sort(), [...links].sort());
    for (const r of records) {
      assert.deepEqual({ actor: r.actor, outcome: r.outcome, key_id: r.key_id, request_id: r.request_id }, { actor: 'system', outcome: 'success', key_id: null, request_id: null });
    }
  });

  it('credentials_storage: expired credentials go batchSize × batchesPerPass per pass; each link invalid and its deletion audited', async () => {
    const c = await h().newClient();
    const links: string[] = [];
    for (let i = 0; i < 5; i++) links.push(await createLink(c, `short_memory_${i}`, { extra: { credentials_storage: '1d', access_mode: 'single' } }));
    const credentials = () => db().selectFrom('link_credentials').select('link_id').where('link_id', 'in', links).execute();
    assert.equal((await credentials()).length, 5);
    await advance(c, 2 * DAY);

    // Two batches of 2 per pass: 4, then 1.
    const passes = await drain(scheduler(2, 2));
    assert.deepEqual(passes.map((p) => p.expiredCredentials), [4, 1, 0]);
    assert.equal((await credentials()).length, 0);
    const statuses = await db().selectFrom('links').select('status').where('id', 'in', links).execute();
    assert.deepEqual(statuses.map((l) => l.status), Array(5).fill('invalid'));

    const records = await audited(c, 'credentials_expire');
    assert.deepEqual(records.map((r) => r.link_id).sort(), [...links].sort());
    assert.ok(records.every((r) => r.actor === 'system' && r.outcome === 'success'));
  });

  it('stale_in: a backlog of objects goes over several passes, each within its budget, until none is left', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'stale_backlog', { extra: { access_mode: 'single', stale_in: '1d' } });
    for (const resource of ['accounts', 'owners']) assert.equal((await c.request('POST', `/api/${resource}/`, { link })).status, 201);
    const stored = async () =>
      (await db().selectFrom('accounts').select('id').where('link_id', '=', link).execute()).length +
      (await db().selectFrom('owners').select('id').where('link_id', '=', link).execute()).length;
    const backlog = await stored();
    assert.ok(backlog > 2, `the sandbox gave ${backlog} objects`);
    await advance(c, 2 * DAY);

    const passes = await drain(scheduler(1, 2));
    const counts = passes.map((p) => p.staleObjects);
    assert.ok(counts.every((n) => n <= 2), `a pass deletes at most 1 × 2 objects: ${counts}`);
    assert.ok(counts.filter((n) => n > 0).length >= 2, `spread over passes: ${counts}`);
    assert.equal(counts.reduce((a, b) => a + b, 0), backlog);
    assert.equal(await stored(), 0);
  });
});
