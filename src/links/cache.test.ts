import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { describeStores } from '../../test/helpers/harness.js';
import { LINK_VIEW_COLUMNS } from '../store/queries/links.js';
import { LinkViewCache } from './cache.js';

const register = { institution: 'erebor_mx_retail', username: 'cache_user', password: 'pass_valid' };

describeStores('links: the detail cache', (h) => {
  it('answers from the cache, and forgets a link that any statement changes or deletes', async () => {
    const c = await h().newClient();
    const cache = h().vinculo.services.links.cache;
    assert.equal(cache.active, true);
    const { body: link } = await c.request('POST', '/api/links/', register);
    const first = await c.request('GET', `/api/links/${link.id}/`);
    assert.deepEqual(first.body, link);
    const tenantId = (await h().vinculo.services.tenants.authenticate(c.id, c.password))!.tenantId;
    assert.ok(cache.get(tenantId, link.id));
    // Embedded: the committing statement's answer carries the notification, so at once.
    const waitFor = h().store === 'embedded' ? atOnce : soon;

    // A change the Links API does not make (a refresh, the scheduler, an operator's SQL).
    const db = h().vinculo.store.db;
    await sql`update links set status = 'invalid' where id = ${link.id}`.execute(db);
    await waitFor(async () => (await c.request('GET', `/api/links/${link.id}/`)).body.status === 'invalid');
    // A column the Link object does not show changes nothing, and is not announced.
    await sql`update links set next_refresh_at = now() where id = ${link.id}`.execute(db);
    assert.equal((await c.request('GET', `/api/links/${link.id}/`)).body.status, 'invalid');

    // Inside a transaction: seen once it commits, never if it rolls back.
    await db.transaction().execute(async (tx) => {
      await sql`update links set status = 'valid' where id = ${link.id}`.execute(tx);
    });
    await waitFor(async () => (await c.request('GET', `/api/links/${link.id}/`)).body.status === 'valid');
    await db
      .transaction()
      .execute(async (tx) => {
        await sql`update links set status = 'token_required' where id = ${link.id}`.execute(tx);
        throw new Error('rolled back');
      })
      .catch(() => {});
    assert.equal((await c.request('GET', `/api/links/${link.id}/`)).body.status, 'valid');

    // The API's own changes are answered at once by the same process.
    const patched = await c.request('PATCH', `/api/links/${link.id}/`, { refresh_rate: '24h' });
    assert.equal(patched.status, 200);
    assert.equal((await c.request('GET', `/api/links/${link.id}/`)).body.refresh_rate, '24h');
    await sql`delete from links where id = ${link.id}`.execute(db);
    await waitFor(async () => (await c.request('GET', `/api/links/${link.id}/`)).status === 404);
  });

  it('keeps list counts until a change could alter them: inserts, deletes, filtered columns', async () => {
    const c = await h().newClient();
    const other = await h().newClient();
    const cache = h().vinculo.services.links.cache;
    const db = h().vinculo.store.db;
    const tenantId = (await h().vinculo.services.tenants.authenticate(c.id, c.password))!.tenantId;
    const count = async (query = '', client = c) => (await client.request('GET', `/api/links/?page_size=1${query}`)).body.count as number;
    const waitFor = h().store === 'embedded' ? atOnce : soon;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await c.request('POST', '/api/links/', { ...register, username: `count_${i}` })).body.id);
    assert.equal(await count(), 3);
    assert.equal(await count('&status=valid'), 3);
    assert.equal(await cache.lookupCount(tenantId, JSON.stringify([])), 3, 'kept under the parsed filters (none)');
    // Another tenant's links and counts are its own.
    assert.equal(await count('', other), 0);
    await other.request('POST', '/api/links/', { ...register, username: 'count_other' });
    assert.equal(await count(), 3);
    assert.equal(await count('', other), 1);

    // Columns no filter names change nothing and announce nothing: the count stays cached.
    await sql`update links set next_refresh_at = now(), last_accessed_at = now() where id = ${ids[0]}`.execute(db);
    const kept = [...(cache as unknown as { counts: Map<string, Map<string, number>> }).counts.get(tenantId)!.values()];
    assert.deepEqual(kept.sort(), [3, 3]);
    // A filtered column changed by any statement, a delete, a rolled back change.
    await sql`update links set status = 'invalid' where id = ${ids[0]}`.execute(db);
    await waitFor(async () => (await count('&status=valid')) === 2);
    await db
      .transaction()
      .execute(async (tx) => {
        await sql`delete from links where id = ${ids[1]}`.execute(tx);
        throw new Error('rolled back');
      })
      .catch(() => {});
    assert.equal(await count(), 3);
    assert.equal((await c.request('DELETE', `/api/links/${ids[1]}/`)).status, 204);
    assert.equal(await count(), 2);
    assert.equal(await count('&status=valid'), 1);
  });

  it("another tenant never gets a cached link, and fields/omit shape a cached answer as any other", async () => {
    const a = await h().newClient();
    const b = await h().newClient();
    const { body: link } = await a.request('POST', '/api/links/', register);
    assert.equal((await a.request('GET', `/api/links/${link.id}/`)).status, 200);
    assert.equal((await b.request('GET', `/api/links/${link.id}/`)).status, 404);
    assert.deepEqual((await a.request('GET', `/api/links/${link.id}/?fields=id,status`)).body, { id: link.id, status: link.status });
    const omitted = await a.request('GET', `/api/links/${link.id}/?omit=status`);
    assert.equal(omitted.body.status, undefined);
    assert.deepEqual((await a.request('GET', `/api/links/${link.id}/`)).body, link);
  });
});

it('the trigger announces exactly the columns the detail reads', async () => {
  const migration = await import('../store/migrations/0011_link_changes.js');
  const text = migration.up.toString();
  const listed = /after update of ([\s\S]*?)\s+or delete/.exec(text)![1].split(',').map((s) => s.trim());
  assert.deepEqual([...listed].sort(), [...LINK_VIEW_COLUMNS].sort());
});

it('the count triggers watch exactly the columns the links filters name (and the tenant)', async () => {
  const { FILTERED_LINK_COLUMNS } = await import('../store/migrations/0012_link_counts.js');
  const { linkFilters } = await import('./filters.js');
  const named = Object.values(linkFilters.fields).map((f) => String(f.column).replace(/^links\./, ''));
  assert.deepEqual([...FILTERED_LINK_COLUMNS].sort(), [...new Set([...named, 'tenant_id'])].sort());
});

it('a read that began before a change stores nothing', () => {
  const cache = new LinkViewCache(2);
  (cache as unknown as { on: boolean }).on = true;
  const link = { id: 'a', fetch_resources: [] } as never;
  const mark = cache.mark();
  cache.forget('a');
  cache.set(mark, 't', link);
  assert.equal(cache.get('t', 'a'), undefined);
  cache.set(cache.mark(), 't', link);
  assert.ok(cache.get('t', 'a'));
  assert.equal(cache.get('other tenant', 'a'), undefined);
  cache.set(cache.mark(), 't', { id: 'b', fetch_resources: [] } as never);
  cache.set(cache.mark(), 't', { id: 'c', fetch_resources: [] } as never);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('t', 'a'), undefined);
});

async function atOnce(check: () => Promise<boolean>): Promise<void> {
  assert.ok(await check(), 'the change was not seen at once');
}

/** Notifications reach a PostgreSQL listener a moment after the commit. */
async function soon(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 2000;
  while (!(await check())) {
    if (Date.now() > until) assert.fail('the change was not seen within 2 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

it('a listening connection that stops answering (the database paused) does not hold a cached answer: the store answers instead', { timeout: 5_000 }, async () => {
  const cache = new LinkViewCache();
  // A PostgreSQL-side cache whose listener's round trip never comes back.
  Object.assign(cache as object, { on: true, embedded: false, listener: { caughtUp: () => new Promise(() => {}) } });
  const mark = cache.mark();
  cache.set(mark, 't1', { id: 'l1', fetch_resources: [] } as never);
  assert.ok(cache.get('t1', 'l1'));
  // Without a bound this would wait until the database answers again (drill 3: the whole pause).
  assert.equal(await cache.lookup('t1', 'l1'), undefined);
  assert.equal(await cache.lookup('t1', 'l1'), undefined, 'a second request does not wait at all');
});
