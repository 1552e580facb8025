import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Harness, startHarness, TEST_MASTER_KEY } from './helpers/harness.js';
import { waitFor } from './helpers/receiver.js';
import { describePostgres } from './helpers/stores.js';

/**
 * Shutdown loses nothing, with real server processes (`npm start`'s src/main.ts) on PostgreSQL:
 * on SIGTERM, requests in flight finish, retrievals that answered 202 (jobs) finish and send their
 * webhook before the job queue stops, and the process exits 0; a 202 survives even kill -9 of the
 * API-only process that gave it (another process runs its job). A second SIGTERM, or the
 * VINCULO_SHUTDOWN_SECONDS deadline, cuts it short: exit 1 and a log line naming the step. With
 * VINCULO_SHUTDOWN_DRAIN_SECONDS the API keeps answering, /readyz 503, for that long before closing.
 * The sandbox's `slow…` users make every data extraction take 2 s, so work is surely in flight.
 */

const ROOT = new URL('..', import.meta.url).pathname;
const BASE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|VINCULO_.*|NODE_ENV|PORT|HOST|LOG_LEVEL|NODE_TEST_CONTEXT)$/.test(k)),
);

interface Server {
  child: ChildProcess;
  base: string;
  lines: string[];
  exited: Promise<number | null>;
}

async function startServer(url: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...BASE_ENV, DATABASE_URL: url, VINCULO_MASTER_KEY: TEST_MASTER_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([
    waitFor('the server to be ready', () => lines.find((l) => l.includes('vinculo is ready')), 60_000),
    exited.then((code) => {
      throw new Error(`the server exited (${code}) before it was ready:\n${lines.join('\n')}`);
    }),
  ]);
  return { child, base: `http://127.0.0.1:${JSON.parse(ready).port}`, lines, exited };
}

describePostgres('shutdown loses nothing (real processes) [postgres]', () => {
  let h: Harness;
  let url: string;
  let auth: string;
  const servers: Server[] = [];

  before(async () => {
    h = await startHarness('postgres');
    url = h.vinculo.store.url!;
    const c = await h.newClient();
    auth = `Basic ${Buffer.from(`${c.id}:${c.password}`).toString('base64')}`;
    // An endpoint, so retrievals record their webhook event (nobody needs to receive it).
    assert.equal((await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/hook' })).status, 201);
  });
  after(async () => {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    await h?.close();
  });

  const call = (s: Server, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.base}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));

  async function slowLink(s: Server, username: string): Promise<string> {
    const res = await call(s, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username, password: 'pass', access_mode: 'single' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  }
  const asyncRetrieval = (s: Server, link: string) =>
    call(s, 'POST', '/api/transactions/', { link, date_from: '2026-11-01', date_to: '2026-11-30' }, { 'x-belvo-request-mode': 'async' });
  const stored = async (link: string) => ({
    transactions: (await h.vinculo.store.db.selectFrom('transactions').select('id').where('link_id', '=', link).execute()).length,
    events: (await h.vinculo.store.db.selectFrom('webhook_events').select('id').where('link_id', '=', link).execute()).length,
  });

  it('SIGTERM: the request in flight is answered, the 202 retrieval is stored with its webhook, exit 0', async () => {
    const s = await startServer(url);
    servers.push(s);
    const [syncLink, asyncLink] = [await slowLink(s, 'slow_sync'), await slowLink(s, 'slow_async')];
    const inFlight = call(s, 'POST', '/api/accounts/', { link: syncLink });
    const accepted = await asyncRetrieval(s, asyncLink);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    await sleep(200);
    s.child.kill('SIGTERM');
    assert.equal((await inFlight).status, 201, 'the request in flight finished');
    assert.equal(await s.exited, 0, s.lines.join('\n'));
    assert.ok(s.lines.some((l) => l.includes('shut down cleanly')));
    const after202 = await stored(asyncLink);
    assert.ok(after202.transactions > 0, 'the accepted retrieval stored its transactions');
    assert.equal(after202.events, 1, 'and recorded its webhook');
  });

  it('kill -9 of the API-only process that answered 202: another process finishes the retrieval', async () => {
    const api = await startServer(url, { VINCULO_WORKERS: 'false' });
    servers.push(api);
    const link = await slowLink(api, 'slow_killed');
    const accepted = await asyncRetrieval(api, link);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    api.child.kill('SIGKILL');
    await api.exited;
    assert.deepEqual(await stored(link), { transactions: 0, events: 0 }, 'nothing ran in the API-only process');
    const worker = await startServer(url);
    servers.push(worker);
    await waitFor('the retrieval to be stored and announced', async () => (await stored(link)).events === 1, 30_000);
    assert.ok((await stored(link)).transactions > 0);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.lines.join('\n'));
  });

  it('a second SIGTERM cuts the shutdown short: exit 1, naming the step', async () => {
    const s = await startServer(url);
    servers.push(s);
    const link = await slowLink(s, 'slow_second_signal');
    assert.equal((await asyncRetrieval(s, link)).status, 202);
    s.child.kill('SIGTERM');
    await waitFor('the shutdown to begin', () => s.lines.some((l) => l.includes('shutting down')), 10_000);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 1, s.lines.join('\n'));
    const cut = s.lines.find((l) => l.includes('shutdown cut off'));
    assert.ok(cut, s.lines.join('\n'));
    assert.match(cut!, /a second signal arrived during \\"jobs\\"/);
  });

  it('VINCULO_SHUTDOWN_DRAIN_SECONDS: during the pause /readyz is 503 and new requests are still answered; a second signal cuts it short', async () => {
    const s = await startServer(url, { VINCULO_SHUTDOWN_DRAIN_SECONDS: '20' });
    servers.push(s);
    s.child.kill('SIGTERM');
    const unready = await waitFor(
      '/readyz to answer 503',
      async () => {
        const res = await call(s, 'GET', '/readyz');
        return res.status === 503 && res;
      },
      10_000,
    );
    assert.deepEqual(unready.body, { status: 'unavailable', failed: ['shutting_down'] });
    // The listener is still open: a load balancer that has not noticed yet is still answered.
    const during = await call(s, 'GET', '/api/links/');
    assert.equal(during.status, 200, JSON.stringify(during.body));
    assert.equal((await call(s, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'drain_user', password: 'pass', access_mode: 'single' })).status, 201);
    assert.equal((await call(s, 'GET', '/healthz')).status, 200);
    assert.equal((await call(s, 'GET', '/readyz')).status, 503, 'still unready');
    const shuttingDown = s.lines.find((l) => l.includes('"shutting down"'));
    assert.equal(JSON.parse(shuttingDown!).drain_seconds, 20);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 1, s.lines.join('\n'));
    const cut = s.lines.find((l) => l.includes('shutdown cut off'));
    assert.ok(cut, s.lines.join('\n'));
    assert.match(cut!, /a second signal arrived during \\"drain\\"/);
    assert.ok(JSON.parse(cut!).skipped.includes('in-flight requests'), 'the listener was still open');
  });

  it('VINCULO_SHUTDOWN_DRAIN_SECONDS: after the pause the listener closes and the shutdown ends cleanly', async () => {
    const s = await startServer(url, { VINCULO_SHUTDOWN_DRAIN_SECONDS: '1' });
    servers.push(s);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0, s.lines.join('\n'));
    assert.ok(s.lines.some((l) => l.includes('shut down cleanly')), s.lines.join('\n'));
    await assert.rejects(fetch(`${s.base}/healthz`, { signal: AbortSignal.timeout(10_000) }), 'the listener is closed');
  });

  it('the deadline (VINCULO_SHUTDOWN_SECONDS) cuts it short too', async () => {
    const s = await startServer(url, { VINCULO_SHUTDOWN_SECONDS: '1' });
    servers.push(s);
    const link = await slowLink(s, 'slow_deadline');
    assert.equal((await asyncRetrieval(s, link)).status, 202);
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 1, s.lines.join('\n'));
    assert.ok(s.lines.some((l) => /shutdown cut off: the shutdown deadline passed during/.test(l)), s.lines.join('\n'));
  });
});
