import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeJwt } from 'jose';
import { describeStores } from './helpers/harness.js';
import { sdkFor } from './helpers/sdk.js';


describeStores(
  'official belvo SDK: Connect widget tokens',
  (h) => {
    const sdk = () => sdkFor(h());

    async function session(access: string) {
      const res = await fetch(`${h().baseUrl}/widget/api/session/`, { headers: { authorization: `Bearer ${access}` } });
      return { status: res.status, body: await res.json() };
    }

    it('widgetToken.create() with the default scopes, and with a widget config', async () => {
      const client = await sdk();
      const plain = await client.widgetToken.create();
      assert.deepEqual(Object.keys(plain).sort(), ['access', 'refresh']);
      assert.equal(decodeJwt(plain.access).scopes, 'read_institutions,write_links');
      const configured = await client.widgetToken.create({
        scopes: 'read_institutions,write_links,read_links',
        widget: { branding: { company_name: 'SDK Co' }, callback_urls: { success: 'sdkapp://ok', exit: 'sdkapp://exit' } },
      });
      const info = await session(configured.access);
      assert.equal(info.status, 200);
      assert.equal(info.body.mode, 'connect');
      assert.deepEqual(info.body.scopes, ['read_institutions', 'write_links', 'read_links']);
      assert.equal(info.body.widget.branding.company_name, 'SDK Co');
      assert.equal(info.body.widget.callback_urls.success, 'sdkapp://ok');
    });

    it('widgetToken.create({link}) and links.token(id, scopes) give update-mode tokens for that link', async () => {
      const client = await sdk();
      const link = await client.links.register('erebor_mx_retail', 'sdk_widget', 'pass_valid');
      const viaCreate = await client.widgetToken.create({ link: link.id });
      assert.equal(decodeJwt(viaCreate.access).link, link.id);
      const viaLinks = await client.links.token(link.id, 'read_institutions,write_links');
      assert.equal(decodeJwt(viaLinks.access).link, link.id);
      const info = await session(viaLinks.access);
      assert.equal(info.body.mode, 'update');
      assert.equal(info.body.link.id, link.id);
      await assert.rejects(
        () => client.links.token('00000000-0000-4000-8000-000000000000', 'read_institutions'),
        (e: any) => e.statusCode === 400 && e.detail[0].code === 'does_not_exist' && e.detail[0].field === 'link_id',
      );
    });

    it('wrong secret keys: widgetToken.create is refused with 401', async () => {
      const client = await sdk();
      client.session.keyPassword = 'not-the-password';
      await assert.rejects(() => client.widgetToken.create(), (e: any) => e.statusCode === 401 && e.detail[0].code === 'authentication_failed');
    });
  },
  { listen: true },
);
