import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertSchema } from './helpers/openapi.js';
import { describeStores } from './helpers/harness.js';
import { BelvoClient, sdkFor } from './helpers/sdk.js';


describeStores(
  'official belvo SDK against Vinculo',
  (h) => {
    const sdk = () => sdkFor(h());

    it('connect() fails with wrong keys', async () => {
      const client = new BelvoClient('nobody', 'nothing', h().baseUrl);
      await assert.rejects(() => client.connect(), /Login failed/);
    });

    it('institutions.list and detail', async () => {
      const client = await sdk();
      const all = await client.institutions.list();
      assert.ok(all.length >= 8);
      for (const i of all) assertSchema('Institution', i);
      const banks = await client.institutions.list({ filters: { type: 'bank', country_code: 'MX' } });
      assert.ok(banks.every((i: any) => i.type === 'bank' && i.country_codes.includes('MX')));
      const one = await client.institutions.detail(all[0].id);
      assert.equal(one.name, all[0].name);
    });

    it('register, list with filters and pagination through next, detail, update, patch, delete', async () => {
      const client = await sdk();
      const link = await client.links.register('erebor_mx_retail', 'sdk_user', 'pass_valid', { externalId: 'sdk-ext-1' });
      assertSchema('Link', link);
      assert.equal(link.status, 'valid');
      for (let i = 0; i < 7; i++) await client.links.register('gringotts_mx_retail', `sdk_${i}`, 'pw', { accessMode: 'single' });
      const paged = await client.links.list({ limit: 200, filters: { page_size: 3 } });
      assert.equal(paged.length, 8, 'followed next across 3 pages');
      assert.equal(new Set(paged.map((l: any) => l.id)).size, 8);
      const singles = await client.links.list({ filters: { access_mode: 'single', institution: 'gringotts_mx_retail' } });
      assert.equal(singles.length, 7);
      const byExt = await client.links.list({ filters: { external_id: 'sdk-ext-1' } });
      assert.deepEqual(byExt.map((l: any) => l.id), [link.id]);
      const limited = await client.links.list({ limit: 5 });
      assert.equal(limited.length, 5);

      assert.equal((await client.links.detail(link.id)).id, link.id);
      const updated = await client.links.update(link.id, { password: 'new-password' });
      assert.equal(updated.status, 'valid');
      const patched = await client.links.patch(link.id, { accessMode: 'single' });
      assert.equal(patched.access_mode, 'single');
      assert.equal(await client.links.delete(link.id), true);
      await assert.rejects(() => client.links.detail(link.id), (e: any) => e.statusCode === 404);
      assert.equal(await client.links.delete(link.id), false);
    });

    it('register with MFA then resume', async () => {
      const client = await sdk();
      let session: any;
      try {
        await client.links.register('gotham_mx_business', 'sdk_biz', 'pw');
        assert.fail('expected 428');
      } catch (err: any) {
        assert.equal(err.statusCode, 428);
        session = err.detail[0];
      }
      const link = await client.links.resume(session.session, '123456', session.link);
      assert.equal(link.status, 'valid');
      await assert.rejects(() => client.links.register('erebor_mx_retail', 'u', 'wrong'), (e: any) => e.statusCode === 400 && e.detail[0].code === 'login_error');
    });
  },
  { listen: true },
);
