import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import pg from 'pg';
import { describePostgres, freshStore } from './helpers/stores.js';
import { killChildren, startServer, stopServer, type Server } from './helpers/server-process.js';

/**
 * GET /api/links/{id}/ answers from a per-process cache (src/links/cache.ts) on a store whose link
 * changes are announced, and GET /api/links/ keeps its counts the same way. Two API processes on
 * one PostgreSQL database: a change made through one is seen by a GET on the other at once, every
 * time (each GET first fills the other's cache), and so is a change made outside Vinculo.
 */
const LONG = 180_000;
const KEY = { id: 'cache-key', password: 'cache-password-0123456789' };
const AUTH = `Basic ${Buffer.from(`${KEY.id}:${KEY.password}`).toString('base64')}`;

async function call(server: Server, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describePostgres('link cache across API processes (PostgreSQL)', () => {
  after(() => killChildren());

  it('a PATCH, POST or DELETE on one process is seen by a GET (detail or list count) on the other at once', { timeout: LONG }, async () => {
    const store = await freshStore('postgres');
    assert.equal(store.kind, 'postgres');
    const env = {
      DATABASE_URL: store.url,
      VINCULO_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      VINCULO_SECRET_KEY_ID: KEY.id,
      VINCULO_SECRET_KEY_PASSWORD: KEY.password,
      VINCULO_SANDBOX_INSTITUTIONS: 'true',
      VINCULO_WORKERS: 'false',
    };
    // One after the other: the first creates the key, the second finds it.
    const a = await startServer(env);
    const b = await startServer(env);
    try {
      const created = await call(a, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'cache_user', password: 'pass_valid' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      const rates = ['6h', '12h', '24h', '30d', '7d'];
      for (let i = 0; i < 40; i++) {
        const [writer, reader] = i % 2 ? [b, a] : [a, b];
        // Both caches hold the link as it is now…
        const before = rates[(i + rates.length - 1) % rates.length];
        for (const s of [reader, writer]) assert.equal((await call(s, 'GET', `/api/links/${id}/`)).body.refresh_rate, i ? before : '7d');
        // …then one process changes it, and the other answers the change at once.
        const rate = rates[i % rates.length];
        const patched = await call(writer, 'PATCH', `/api/links/${id}/`, { refresh_rate: rate });
        assert.equal(patched.status, 200, JSON.stringify(patched.body));
        const seen = await call(reader, 'GET', `/api/links/${id}/`);
        assert.equal(seen.status, 200);
        assert.equal(seen.body.refresh_rate, rate, `round ${i}: the other process answered a stale link`);
        assert.deepEqual(seen.body, patched.body);
      }
      // Any session's change, not only Vinculo's (an operator's psql).
      for (const s of [a, b]) assert.equal((await call(s, 'GET', `/api/links/${id}/`)).body.status, 'valid');
      const psql = new pg.Client({ connectionString: store.url });
      await psql.connect();
      await psql.query(`update links set status = 'invalid' where id = $1`, [id]);
      await psql.end();
      for (const s of [a, b]) assert.equal((await call(s, 'GET', `/api/links/${id}/`)).body.status, 'invalid');
      assert.equal((await call(b, 'DELETE', `/api/links/${id}/`)).status, 204);
      assert.equal((await call(a, 'GET', `/api/links/${id}/`)).status, 404);

      // List counts (kept per process too): a link created, changed or deleted through one process,
      // or by any session, is counted by the other's next list at once.
      const count = async (s: Server, query = '') => (await call(s, 'GET', `/api/links/?page_size=1${query}`)).body.count as number;
      const made: string[] = [];
      for (let i = 0; i < 6; i++) {
        const [writer, reader] = i % 2 ? [b, a] : [a, b];
        for (const s of [reader, writer]) assert.equal(await count(s), made.length);
        const r = await call(writer, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `count_user_${i}`, password: 'pass_valid' });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        made.push(r.body.id);
        assert.equal(await count(reader), made.length, `round ${i}: the other process answered a stale count`);
      }
      for (const s of [a, b]) assert.equal(await count(s, '&status=invalid'), 0);
      const sql = new pg.Client({ connectionString: store.url });
      await sql.connect();
      await sql.query(`update links set status = 'invalid' where id = $1`, [made[0]]);
      await sql.end();
      for (const s of [a, b]) assert.equal(await count(s, '&status=invalid'), 1);
      assert.equal((await call(a, 'DELETE', `/api/links/${made[1]}/`)).status, 204);
      for (const s of [b, a]) assert.equal(await count(s), made.length - 1);
    } finally {
      await stopServer(a);
      await stopServer(b);
    }
  });
});
