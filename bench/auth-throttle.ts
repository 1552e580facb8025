/**
 * Can bad secret keys burn the CPU? Fires 120 requests with wrong key pairs at a real server (over
 * loopback HTTP, all at once) while timing one real login (a correct pair the server has not seen,
 * so it pays its scrypt) from another address, and prints both figures for three set-ups:
 *
 * - no throttle: failure limits off and no cap on concurrent scrypt (what the server did before);
 * - with throttle, one address: the 120 bad requests from one client address;
 * - with throttle, 120 addresses: one bad request from each (the per-address limit cannot help;
 *   the cap of 2 concurrent checks and the waiting room of 64 do).
 *
 *   npx tsx bench/auth-throttle.ts            (embedded store in memory; DATABASE_URL=… for PostgreSQL)
 */
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { openServices } from '../src/server.js';
import { Tenants, type TenantsOptions } from '../src/tenants/service.js';
import { assertLoopback } from './support.js';

const BAD = 120;

async function scenario(label: string, options: TenantsOptions, spread: boolean) {
  const config = loadConfig({
    VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    VINCULO_DATA_DIR: '/nonexistent-bench-dir',
    VINCULO_TRUST_PROXY: 'true',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  const { store, services } = await openServices(
    { config, workers: false, warn: () => {}, ...(process.env.DATABASE_URL ? {} : { store: { kind: 'embedded', dataDir: null } }) },
    'vinculo bench',
  );
  const tenants = new Tenants(store.db, options);
  const app = await buildApp({ ...services, tenants }, { trustProxy: config.trustProxy });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    assertLoopback(base);
    const key = await tenants.createKey({ tenant: 'bench' });
    const basic = (id: string, pw: string) => `Basic ${Buffer.from(`${id}:${pw}`).toString('base64')}`;
    const get = (authorization: string, address: string) =>
      fetch(`${base}/api/institutions/?page_size=1`, { headers: { authorization, 'x-forwarded-for': address } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });

    const started = performance.now();
    const bad = Array.from({ length: BAD }, (_, i) =>
      get(basic(`no-such-key-${i}`, 'wrong-password'), spread ? `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}` : '10.8.0.1'),
    );
    // The real login starts once the bad ones are on their way.
    await new Promise((r) => setTimeout(r, 20));
    const loginStarted = performance.now();
    const login = get(basic(key.id, key.password), '192.0.2.1').then((status) => ({ status, ms: performance.now() - loginStarted }));
    const statuses = await Promise.all(bad);
    const badMs = performance.now() - started;
    const real = await login;
    const count = (s: number) => statuses.filter((x) => x === s).length;
    console.log(
      `${label.padEnd(34)} ${BAD} bad requests answered in ${badMs.toFixed(0).padStart(5)} ms ` +
        `(401: ${count(401)}, 429: ${count(429)}; scrypt run in all: ${tenants.passwordChecks}); ` +
        `real login: ${real.status} in ${real.ms.toFixed(0)} ms`,
    );
  } finally {
    await app.close();
    await store.close();
  }
}

const OFF = { throttle: { perAddress: 0, perKey: 0, windowMs: 60_000 }, maxConcurrentChecks: 1_000_000, maxWaitingChecks: 0 };
console.log(`store: ${process.env.DATABASE_URL ? 'postgres' : 'embedded (in memory)'}; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
await scenario('no throttle (as before)', OFF, false);
await scenario('with throttle, one address', {}, false);
await scenario('with throttle, 120 addresses', {}, true);
