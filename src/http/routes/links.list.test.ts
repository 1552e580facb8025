import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { describeStores, type Client } from '../../../test/helpers/harness.js';

describeStores('links: list, filters, pagination, fields', (h) => {
  let c: Client;
  let ids: Record<string, string>;

  before(async () => {
    c = await h().newClient();
    const make = async (key: string, body: Record<string, unknown>) => {
      const r = await c.request('POST', '/api/links/', { password: 'pass_valid', ...body });
      return [key, r.status === 428 ? r.body[0].link : r.body.id] as const;
    };
    ids = Object.fromEntries([
      await make('a', { institution: 'erebor_mx_retail', username: 'list_a', external_id: 'ext-a' }),
      await make('b', { institution: 'gringotts_mx_retail', username: 'list_b', access_mode: 'single', external_id: 'ext-b' }),
      await make('c', { institution: 'erebor_mx_retail', username: 'list_c', refresh_rate: '24h' }),
      await make('m', { institution: 'erebor_mx_retail', username: 'mfa_list' }),
    ]);
    // Spread creation dates over known days so date filters can be checked exactly.
    const db = h().vinculo.store.db;
    const at = { a: '2026-01-10T08:00:00Z', b: '2026-01-11T23:59:59.999Z', c: '2026-01-12T00:00:00Z', m: '2026-01-13T12:00:00Z' };
    for (const [k, t] of Object.entries(at)) await sql`update links set created_at = ${t} where id = ${ids[k]}`.execute(db);
  });

  const list = async (query: string) => {
    const res = await c.request('GET', `/api/links/?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.results.map((l: { id: string }) => Object.entries(ids).find(([, v]) => v === l.id)?.[0]).join('');
  };

  it('each listed link is its detail, key for key and in the same order (the list JSON is built by the store)', async () => {
    const db = h().vinculo.store.db;
    // Values of every kind a Link holds: set and null timestamps, arrays, optional strings.
    await sql`update links set last_accessed_at = '2026-02-03T04:05:06.789123Z', fetch_resources = '{ACCOUNTS,OWNERS}', stale_in = '42d' where id = ${ids.b}`.execute(db);
    await sql`update links set last_accessed_at = null where id = ${ids.c}`.execute(db);
    const { body: page } = await c.request('GET', '/api/links/?page_size=10');
    assert.equal(page.results.length, 4);
    for (const listed of page.results) {
      const { body: detail } = await c.request('GET', `/api/links/${listed.id}/`);
      assert.equal(JSON.stringify(listed), JSON.stringify(detail));
    }
    assert.equal(page.results.find((l: { id: string }) => l.id === ids.b).last_accessed_at, '2026-02-03T04:05:06.789Z');
  });

  it('lists newest first, validating against the spec', async () => {
    const res = await c.request('GET', '/api/links/');
    assertSchema('PaginatedResponseLink', res.body);
    assert.equal(await list(''), 'mcba');
  });

  it('filters by status, access mode, institution, refresh rate, external id, id', async () => {
    assert.equal(await list('status=valid'), 'cba');
    assert.equal(await list('status__in=unconfirmed,invalid'), 'm');
    assert.equal(await list('access_mode=single'), 'b');
    assert.equal(await list('institution=gringotts_mx_retail'), 'b');
    assert.equal(await list('institution__in=erebor_mx_retail,gringotts_mx_retail'), 'mcba');
    assert.equal(await list('refresh_rate=24h'), 'c');
    assert.equal(await list('external_id=ext-a'), 'a');
    assert.equal(await list('external_id__in=ext-a,ext-b'), 'ba');
    assert.equal(await list(`id=${ids.c}`), 'c');
    assert.equal(await list(`id__in=${ids.a},${ids.m}`), 'ma');
    const me = (await c.request('GET', `/api/links/${ids.a}/`)).body.created_by;
    assert.equal(await list(`created_by__not_in=${me}`), '');
    assert.equal(await list(`created_by=${me}`), 'mcba');
  });

  it('date filters: bare dates are whole UTC days, timestamps exact', async () => {
    assert.equal(await list('created_at=2026-01-11'), 'b');
    assert.equal(await list('created_at__gte=2026-01-11'), 'mcb');
    assert.equal(await list('created_at__gt=2026-01-11'), 'mc');
    assert.equal(await list('created_at__lte=2026-01-11'), 'ba');
    assert.equal(await list('created_at__lt=2026-01-11'), 'a');
    assert.equal(await list('created_at__range=2026-01-11,2026-01-12'), 'cb');
    assert.equal(await list('created_at__gte=2026-01-12T00:00:00Z'), 'mc');
    assert.equal(await list('created_at__lt=2026-01-12T00:00:00%2B01:00'), 'a'); // 23:00Z on the 11th
  });

  it('paginates with next/previous carrying every filter; the SDK-style walk sees each link once', async () => {
    const first = await c.request('GET', '/api/links/?page_size=1&institution=erebor_mx_retail');
    assert.equal(first.body.count, 3);
    assert.match(first.body.next, /^http:\/\/localhost(:80)?\/api\/links\/\?page_size=1&institution=erebor_mx_retail&page=2$/);
    const seen = [...first.body.results];
    let next = first.body.next;
    while (next) {
      const u = new URL(next);
      const page = await c.request('GET', u.pathname + u.search);
      seen.push(...page.body.results);
      next = page.body.next;
    }
    assert.deepEqual(seen.map((l) => l.id), [ids.m, ids.c, ids.a]);
    const big = await c.request('GET', '/api/links/?page_size=5000');
    assert.equal(big.body.results.length, 4);
  });

  it('fields and omit apply to lists, details and write answers', async () => {
    const page = await c.request('GET', '/api/links/?fields=id,status');
    for (const l of page.body.results) assert.deepEqual(Object.keys(l), ['id', 'status']);
    const detail = await c.request('GET', `/api/links/${ids.a}/?omit=institution_user_id,created_by`);
    assert.ok(!('institution_user_id' in detail.body) && !('created_by' in detail.body) && 'id' in detail.body);
    const created = await c.request('POST', '/api/links/?fields=id', { institution: 'erebor_mx_retail', username: 'fields_u', password: 'p' });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body), ['id']);
    const patched = await c.request('PATCH', `/api/links/${created.body.id}/?fields=access_mode`, { access_mode: 'single' });
    assert.deepEqual(patched.body, { access_mode: 'single' });
  });
});
