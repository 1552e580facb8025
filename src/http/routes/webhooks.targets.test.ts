import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { after, before, it } from 'node:test';
import { describeStores, type Client, type Harness } from '../../../test/helpers/harness.js';
import { startReceiver, waitFor, type Receiver } from '../../../test/helpers/receiver.js';
import type { Resolve, WebhookEvent } from '../../webhooks/index.js';

/**
 * Webhook targets cannot reach the inside, through the API on both stores: refused URLs at
 * registration (400 `invalid` on `url`), a name that resolves to a refused address at delivery
 * (`target_not_allowed`, no request sent), no receiver body in `last_error`, and the per-endpoint
 * limit on manual redeliveries (429 with Retry-After).
 */

const tenantIdOf = async (h: Harness, c: Client) =>
  (await h.vinculo.store.db.selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;

async function assertRefused(c: Client, url: string, message: RegExp) {
  const res = await c.request('POST', '/api/webhooks/', { url });
  assert.equal(res.status, 400, url);
  assert.equal(res.body.length, 1, url);
  assert.equal(res.body[0].code, 'invalid', url);
  assert.equal(res.body[0].field, 'url', url);
  assert.match(res.body[0].message, message, url);
  assert.match(res.body[0].request_id, /^[0-9a-f]{32}$/);
}

const NEVER = /link-local, metadata or reserved address, which is never allowed/;
const INTERNAL = /loopback or private address.*VINCULO_WEBHOOK_ALLOW/;

/** Resolves names from `table` (tests' DNS); other names do not exist. */
const resolver =
  (table: () => Record<string, string[]>): Resolve =>
  async (host) => {
    const addresses = table()[host];
    if (!addresses) throw Object.assign(new Error(`no ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describeStores(
  'webhooks: targets (development)',
  (h) => {
    let receiver: Receiver;
    let dns: Record<string, string[]> = {};
    before(async () => {
      receiver = await startReceiver();
      h().vinculo.services.webhooks.policy.resolve = resolver(() => dns);
    });
    after(() => receiver?.close());

    const event = (tenantId: string, over: Partial<WebhookEvent> = {}): WebhookEvent => ({
      tenantId,
      linkId: randomUUID(),
      externalId: null,
      webhookType: 'TRANSACTIONS',
      webhookCode: 'new_transactions_available',
      processType: 'recurrent_update',
      data: {},
      ...over,
    });
    const emit = (e: WebhookEvent) => h().vinculo.services.webhooks.emit(h().vinculo.store.db, e);
    const deliveryOf = async (c: Client, webhookId: string) =>
      (await c.request('GET', `/api/webhooks/deliveries/?webhook_id=${webhookId}`)).body.results[0];

    it('refuses link-local, metadata and unspecified targets at registration, however spelled', async () => {
      const c = await h().newClient();
      dns = { 'evil.test': ['93.184.215.14', '169.254.169.254'] };
      for (const url of [
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        'http://[fd00:ec2::254]/',
        'http://metadata.google.internal/computeMetadata/v1/',
        'http://metadata/',
        'http://100.100.100.200/',
        'http://0.0.0.0:5432/',
        'http://0/',
        'http://[::]/',
        'http://[::ffff:169.254.169.254]/',
        'http://2852039166/', // 169.254.169.254 as one number
        'http://[fe80::1]/',
        'http://224.0.0.1/',
        'https://evil.test/hooks', // one of its addresses is link-local
      ]) {
        await assertRefused(c, url, NEVER);
      }
      assert.equal((await c.request('GET', '/api/webhooks/')).body.count, 0);
    });

    it('development allows loopback and private receivers; a name that does not resolve yet is accepted', async () => {
      const c = await h().newClient();
      for (const url of ['http://localhost:3000/hooks', 'http://127.0.0.1:9/', 'http://2130706433/', 'http://10.0.0.1/', 'https://not-yet.test/hooks']) {
        const res = await c.request('POST', '/api/webhooks/', { url });
        assert.equal(res.status, 201, url);
      }
    });

    it('a name that resolves to a refused address at delivery time: target_not_allowed, and no request is sent', async () => {
      const c = await h().newClient();
      const port = new URL(receiver.url).port;
      dns = { 'hooks.test': ['127.0.0.1'] };
      const ep = await c.request('POST', '/api/webhooks/', { url: `http://hooks.test:${port}/hooks` });
      assert.equal(ep.status, 201);
      const tenantId = await tenantIdOf(h(), c);

      // Resolved by the policy and connected to that address (the system's DNS knows no hooks.test).
      const ok = await emit(event(tenantId));
      await waitFor('the delivery', () => receiver.byWebhookId(ok).length === 1);
      assert.equal(receiver.byWebhookId(ok)[0].headers.host, `hooks.test:${port}`);

      // The name now points at the metadata service (alone, or among allowed addresses).
      for (const addresses of [['169.254.169.254'], ['127.0.0.1', '169.254.169.254'], ['::ffff:a9fe:a9fe']]) {
        dns = { 'hooks.test': addresses };
        const before = receiver.received.length;
        const webhookId = await emit(event(tenantId));
        const d = await waitFor('the refused attempt', async () => {
          const x = await deliveryOf(c, webhookId);
          return x?.attempts === 1 && x;
        });
        assert.equal(d.last_error, 'target_not_allowed', addresses.join());
        assert.equal(d.last_status_code, null);
        assert.equal(d.status, 'pending'); // retried on schedule: the DNS may be fixed
        assert.equal(receiver.received.length, before, 'no request reached the receiver');
      }
      assert.ok(!h().logs.join('').includes('169.254.169.254:'));
    });

    it('last_error keeps the status code, never the receiver’s body', async () => {
      const marker = `internal-secret-${randomUUID()}`;
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${marker} root:x:0:0`));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const c = await h().newClient();
        const port = (server.address() as { port: number }).port;
        assert.equal((await c.request('POST', '/api/webhooks/', { url: `http://127.0.0.1:${port}/` })).status, 201);
        const webhookId = await emit(event(await tenantIdOf(h(), c)));
        const d = await waitFor('the failed attempt', async () => {
          const x = await deliveryOf(c, webhookId);
          return x?.attempts === 1 && x;
        });
        assert.equal(d.last_status_code, 500);
        assert.equal(d.last_error, 'HTTP 500');
        const stored = await h().vinculo.store.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
        assert.ok(!JSON.stringify(stored).includes(marker));
        assert.ok(!JSON.stringify((await c.request('GET', '/api/webhooks/deliveries/')).body).includes(marker));
        assert.ok(!h().logs.join('').includes(marker));
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('manual redeliveries: at most 10 per endpoint per minute, then 429 too_many_requests with Retry-After', async () => {
      const c = await h().newClient();
      assert.equal((await c.request('POST', '/api/webhooks/', { url: receiver.url })).status, 201);
      const tenantId = await tenantIdOf(h(), c);
      const webhookId = await emit(event(tenantId));
      const d = await waitFor('the delivery', async () => (await deliveryOf(c, webhookId))?.status === 'delivered' && deliveryOf(c, webhookId));
      for (let i = 0; i < 10; i++) assert.equal((await c.request('POST', `/api/webhooks/deliveries/${d.id}/redeliver/`)).status, 202, `redelivery ${i + 1}`);
      const limited = await c.request('POST', `/api/webhooks/deliveries/${d.id}/redeliver/`);
      assert.equal(limited.status, 429);
      assert.equal(limited.body.length, 1);
      assert.equal(limited.body[0].code, 'too_many_requests');
      assert.match(limited.body[0].message, /redeliveries/);
      assert.equal(limited.body[0].request_id, limited.headers['x-request-id']);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers['retry-after']}`);
      // Per endpoint: another endpoint (of another tenant) is not held back; unknown ids stay 404.
      const other = await h().newClient();
      assert.equal((await other.request('POST', '/api/webhooks/', { url: receiver.url })).status, 201);
      const otherId = await emit(event(await tenantIdOf(h(), other)));
      const od = await waitFor('the other delivery', async () => (await deliveryOf(other, otherId))?.status === 'delivered' && deliveryOf(other, otherId));
      assert.equal((await other.request('POST', `/api/webhooks/deliveries/${od.id}/redeliver/`)).status, 202);
      assert.equal((await c.request('POST', `/api/webhooks/deliveries/${randomUUID()}/redeliver/`)).status, 404);
    });
  },
  { workers: true },
);

describeStores(
  'webhooks: targets (production)',
  (h) => {
    before(() => {
      h().vinculo.services.webhooks.policy.resolve = resolver(() => ({ localhost: ['127.0.0.1', '::1'], 'hooks.internal': ['10.20.0.5'] }));
    });

    it('refuses loopback and private targets, however spelled, unless VINCULO_WEBHOOK_ALLOW lists them', async () => {
      const c = await h().newClient();
      for (const url of [
        'http://localhost:5432/',
        'http://127.0.0.1/',
        'http://2130706433/',
        'http://0x7f.1/',
        'http://017700000001/',
        'http://[::1]/',
        'http://[::ffff:127.0.0.1]/',
        'http://10.0.0.1/',
        'http://192.168.0.1/',
        'http://100.64.0.1/',
        'http://[fd12::1]/',
      ]) {
        await assertRefused(c, url, INTERNAL);
      }
      // Listed: by name (hooks.internal), by address (127.0.0.2), by CIDR (10.1.0.0/16).
      for (const url of ['https://hooks.internal/', 'http://127.0.0.2:8080/hooks', 'http://10.1.2.3/']) {
        assert.equal((await c.request('POST', '/api/webhooks/', { url })).status, 201, url);
      }
      // Never allowed, even when listed.
      await assertRefused(c, 'http://169.254.169.254/', NEVER);
    });
  },
  { env: { NODE_ENV: 'production', VINCULO_WEBHOOK_ALLOW: 'hooks.internal, 127.0.0.2, 10.1.0.0/16, 169.254.169.254' } },
);
