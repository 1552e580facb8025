import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadConfig } from '../config.js';
import { createVinculo } from '../server.js';
import { describeStores, startHarness } from '../../test/helpers/harness.js';
import { STORES } from '../../test/helpers/stores.js';

const PRODUCTION = { NODE_ENV: 'production' };

/**
 * Production defaults are safe defaults: under NODE_ENV=production the sandbox (clock, outages,
 * fired webhooks) and its institutions are gone unless the operator turns them on, and turning
 * the sandbox on there is warned about at start. Through the HTTP API, on both stores.
 */
describeStores('production: no sandbox by default', (h) => {
  it('every /sandbox/ route is a plain 404, with or without a key', async () => {
    const c = await h().newClient();
    for (const [method, path] of [
      ['GET', '/sandbox/clock/'],
      ['POST', '/sandbox/clock/advance/'],
      ['POST', '/sandbox/institutions/erebor_mx_retail/status/'],
    ] as const) {
      const res = await c.request(method, path, method === 'POST' ? { seconds: 60, status: 'down' } : undefined);
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
      const anonymous = await h().vinculo.app.inject({ method, url: path });
      assert.equal(anonymous.statusCode, 404, `${method} ${path} without a key`);
    }
    assert.deepEqual(h().warnings, []);
  });

  it('the catalogue holds no sandbox institution, and none can be linked', async () => {
    const c = await h().newClient();
    assert.equal((await c.request('GET', '/api/institutions/')).body.count, 0);
    assert.equal((await c.request('GET', '/api/institutions/erebor_mx_retail/')).status, 404);
    const res = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'user_valid', password: 'pass_valid' });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body[0].field, 'institution');
  });
}, { env: PRODUCTION });

describeStores('production: sandbox institutions asked for', (h) => {
  it('VINCULO_SANDBOX_INSTITUTIONS=true lists them; the controls stay off', async () => {
    const c = await h().newClient();
    assert.ok((await c.request('GET', '/api/institutions/?name=erebor_mx_retail')).body.count === 1);
    assert.equal((await c.request('GET', '/sandbox/clock/')).status, 404);
    assert.deepEqual(h().warnings, []);
  });
}, { env: { ...PRODUCTION, VINCULO_SANDBOX_INSTITUTIONS: 'true' } });

describeStores('production: sandbox turned on', (h) => {
  it('VINCULO_SANDBOX=true serves the controls and warns at start', async () => {
    const c = await h().newClient();
    assert.equal((await c.request('GET', '/sandbox/clock/')).status, 200);
    assert.ok((await c.request('GET', '/api/institutions/?name=erebor_mx_retail')).body.count === 1);
    assert.equal(h().warnings.length, 1);
    assert.match(h().warnings[0]!, /VINCULO_SANDBOX is on under NODE_ENV=production/);
  });
}, { env: { ...PRODUCTION, VINCULO_SANDBOX: 'true' } });

if (STORES.includes('postgres')) {
  it('a server started with the sandbox off puts every tenant clock a sandbox moved back on real time [postgres]', async () => {
    const sandbox = await startHarness('postgres');
    const c = await sandbox.newClient();
    assert.equal((await c.request('POST', '/sandbox/clock/advance/', { seconds: 86_400 })).status, 200);
    const production = await createVinculo({
      config: loadConfig({ NODE_ENV: 'production', VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' }),
      store: { kind: 'postgres', url: sandbox.vinculo.store.url!, poolSize: 2 },
      workers: false,
      warn: () => {},
    });
    try {
      const row = await production.store.db.selectFrom('tenants').select('clock_offset_ms').where('name', '=', c.tenant).executeTakeFirstOrThrow();
      assert.equal(Number(row.clock_offset_ms), 0);
    } finally {
      await production.close();
      await sandbox.close();
    }
  });
}
