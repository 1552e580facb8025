import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { describeStores } from '../../../test/helpers/harness.js';

describeStores('institutions', (h) => {
  const names = (res: { body: { results: { name: string }[] } }) => res.body.results.map((i) => i.name);

  it('lists the catalogue from the connectors, ordered by id, every field per the spec', async () => {
    const c = await h().newClient();
    const res = await c.request('GET', '/api/institutions/');
    assert.equal(res.status, 200);
    assertSchema('InstitutionsPaginatedResponse', res.body);
    assert.equal(res.body.count, res.body.results.length);
    const ids = res.body.results.map((i: { id: number }) => i.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    for (const name of ['erebor_mx_retail', 'erebor_co_retail', 'erebor_br_retail', 'gringotts_mx_retail', 'gotham_mx_business', 'heimdall_mx_retail', 'tatooine_mx_fiscal', 'imss_mx_employment']) {
      assert.ok(names(res).includes(name), name);
    }
    const keys = ['id', 'name', 'type', 'website', 'display_name', 'country_codes', 'primary_color', 'logo', 'icon_logo', 'text_logo', 'form_fields', 'features', 'resources', 'integration_type', 'status'];
    for (const i of res.body.results) {
      assertSchema('Institution', i);
      assert.deepEqual(Object.keys(i).sort(), [...keys].sort());
      for (const f of i.form_fields) assert.doesNotThrow(() => new RegExp(f.validation));
    }
  });

  it('detail by id or by name; 404 otherwise', async () => {
    const c = await h().newClient();
    const byName = await c.request('GET', '/api/institutions/tatooine_mx_fiscal/');
    assert.equal(byName.status, 200);
    assert.equal(byName.body.type, 'fiscal');
    assert.deepEqual([...byName.body.resources].sort(), ['INVOICES', 'TAX_COMPLIANCE_STATUS', 'TAX_RETURNS', 'TAX_STATUS']);
    const byId = await c.request('GET', `/api/institutions/${byName.body.id}/`);
    assert.deepEqual(byId.body, byName.body);
    assert.equal((await c.request('GET', '/api/institutions/narnia_mx_retail/')).status, 404);
    const imss = await c.request('GET', '/api/institutions/imss_mx_employment/');
    assert.ok(!imss.body.form_fields.some((f: { name: string }) => f.name === 'password'), 'no password field');
    const co = await c.request('GET', '/api/institutions/erebor_co_retail/');
    const type = co.body.form_fields.find((f: { name: string }) => f.name === 'username_type');
    assert.equal(type.type, 'select');
    assert.ok(type.values.length >= 3);
  });

  it('filters: type, country, name, status, resources__allin, display_name, website', async () => {
    const c = await h().newClient();
    const q = (s: string) => c.request('GET', `/api/institutions/?${s}`);
    assert.deepEqual(names(await q('type=fiscal')), ['tatooine_mx_fiscal']);
    assert.deepEqual(names(await q('type__in=fiscal,employment')).sort(), ['imss_mx_employment', 'tatooine_mx_fiscal']);
    assert.ok(names(await q('country_code=CO')).every((n: string) => n.endsWith('_co_retail')));
    assert.deepEqual(names(await q('country_code__in=CO,BR')).sort(), ['erebor_br_retail', 'erebor_co_retail', 'ofmockbank_br_retail']);
    assert.deepEqual(names(await q('name__in=erebor_mx_retail,gotham_mx_business')).sort(), ['erebor_mx_retail', 'gotham_mx_business']);
    assert.deepEqual(names(await q('name=heimdall_mx_retail')), ['heimdall_mx_retail']);
    const banks = names(await q('resources__allin=ACCOUNTS,OWNERS,TRANSACTIONS'));
    assert.ok(banks.length >= 6 && !banks.includes('tatooine_mx_fiscal'));
    assert.equal((await q('resources__allin=ACCOUNTS,INVOICES')).body.count, 0);
    assert.equal((await q('status=healthy')).body.count, (await q('')).body.count);
    assert.equal((await q('status__in=down')).body.count, 0);
    const erebor = (await c.request('GET', '/api/institutions/erebor_mx_retail/')).body;
    assert.deepEqual(names(await q(`display_name=${encodeURIComponent(erebor.display_name)}`)), ['erebor_mx_retail']);
    if (erebor.website) assert.ok(names(await q(`website=${encodeURIComponent(erebor.website)}`)).includes('erebor_mx_retail'));
    assert.equal((await q('type=casino')).status, 400);
  });

  it('paginates with absolute next links and selects fields', async () => {
    const c = await h().newClient();
    const first = await c.request('GET', '/api/institutions/?page_size=3&type=bank', undefined, { host: 'vinculo.test:8000' });
    assert.equal(first.body.results.length, 3);
    assert.equal(first.body.next, 'http://vinculo.test:8000/api/institutions/?page_size=3&type=bank&page=2');
    assert.equal(first.body.previous, null);
    const next = new URL(first.body.next);
    const second = await c.request('GET', next.pathname + next.search, undefined, { host: 'vinculo.test:8000' });
    assert.equal(second.body.previous, 'http://vinculo.test:8000/api/institutions/?page_size=3&type=bank&page=1');
    assert.notDeepEqual(second.body.results[0], first.body.results[0]);
    const some = await c.request('GET', '/api/institutions/?fields=id,name&page_size=2');
    assert.deepEqual(Object.keys(some.body.results[0]), ['id', 'name']);
    assert.deepEqual(Object.keys(some.body), ['count', 'next', 'previous', 'results']);
    const omitted = await c.request('GET', '/api/institutions/erebor_mx_retail/?omit=form_fields,features');
    assert.ok(!('form_fields' in omitted.body) && !('features' in omitted.body) && 'name' in omitted.body);
  });
});
