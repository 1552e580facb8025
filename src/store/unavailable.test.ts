import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config.js';
import { createVinculo, type Vinculo } from '../server.js';
import { client, type Client } from '../../test/helpers/harness.js';
import { freshStore, STORES } from '../../test/helpers/stores.js';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.js';
import { createPostgresPool, isStoreUnavailable } from './postgres-pool.js';

/**
 * A database that stops answering (here: a proxy that stops passing bytes, as a partition or a
 * frozen server does) turns into 503 `service_unavailable` in Belvo's format within the store's
 * timeouts — never a hung request — and everything works again once it answers.
 */
if (STORES.includes('postgres')) {
  describe('store unavailable: 503 within the timeouts, then recovery [postgres]', () => {
    let proxy: TcpProxy;
    let v: Vinculo;
    let c: Client;

    before(async () => {
      const store = await freshStore('postgres');
      if (store.kind !== 'postgres') throw new Error('postgres store expected');
      const url = new URL(store.url);
      proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      url.host = `127.0.0.1:${proxy.port}`;
      v = await createVinculo({
        config: loadConfig({ VINCULO_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' }),
        store: { kind: 'postgres', url: url.toString(), poolSize: 4, timeouts: { connectMs: 1000, statementMs: 1000 } },
        workers: false,
        warn: () => {},
      });
      const key = await v.services.tenants.createKey({ tenant: 'frozen-db' });
      c = client(v, key.tenant, key.id, key.password);
    });
    after(async () => {
      proxy?.resume();
      await v?.close();
      await proxy?.close();
    });

    it('answers 503 service_unavailable with Retry-After while the database is silent, 200 again after', async () => {
      assert.equal((await c.request('GET', '/api/links/')).status, 200);
      proxy.pause({ drop: true }); // lost, as in a partition: abandoned queries never get their answer
      try {
        // In flight on a pooled connection (read timeout), and needing a new one (connect timeout).
        const answers = await Promise.all(Array.from({ length: 6 }, () => c.request('GET', '/api/links/')));
        for (const res of answers) {
          assert.equal(res.status, 503, JSON.stringify(res.body));
          assert.equal(res.body[0].code, 'service_unavailable');
          assert.match(res.body[0].request_id, /^[a-f0-9]{32}$/);
          assert.equal(res.headers['retry-after'], '1');
        }
      } finally {
        proxy.resume();
      }
      // Connections whose answers were lost serve the next requests.
      for (let i = 0; i < 8; i++) assert.equal((await c.request('GET', '/api/links/')).status, 200, `request ${i + 1} after recovery`);
    });
  });
}

describe('isStoreUnavailable', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it('tells a database that cannot answer from a statement that is wrong', () => {
    for (const e of [
      withCode('57014', 'canceling statement due to statement timeout'),
      withCode('57P01'),
      withCode('ECONNREFUSED'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      assert.ok(isStoreUnavailable(e), e.message);
    }
    for (const e of [withCode('23505', 'duplicate key'), withCode('42601', 'syntax error'), new Error('boom'), 'text']) {
      assert.ok(!isStoreUnavailable(e), String(e));
    }
  });
});

if (STORES.includes('postgres')) {
  it('a checked-out connection whose server goes away does not crash the process [postgres]', async () => {
    const store = await freshStore('postgres');
    if (store.kind !== 'postgres') throw new Error('postgres store expected');
    const pool = createPostgresPool(store.url, 2);
    const uncaught: unknown[] = [];
    const listener = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', listener);
    try {
      const client = await pool.connect(); // as inside a transaction, between two statements
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const admin = await pool.connect();
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      admin.release();
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(client.query('select 1'));
      client.release(true);
      assert.deepEqual(uncaught, []);
      assert.equal((await pool.query('select 1 as one')).rows[0].one, 1, 'the pool serves on');
    } finally {
      process.off('uncaughtException', listener);
      await pool.end();
    }
  });
}
