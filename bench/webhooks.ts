/**
 * Webhook delivery benchmark: `npm run bench:webhooks [-- options]`. Prints figures; never asserts.
 *
 * For each store (embedded PGlite, PostgreSQL) this process runs Vinculo's services with their
 * workers (as `npm start` does: API, queue workers and the scheduler in one process) and a
 * receiver runs in a child process (this file again, as on a real deployment the receiver is
 * elsewhere). The receiver answers 200 and verifies every delivery's Standard Webhooks signature
 * with the `standardwebhooks` package. One tenant, one endpoint.
 *
 *  (a) drain: --events N events written while no worker runs (by --emitters concurrent
 *      transactions of --batch events each: a refresh writes several), then the store is reopened
 *      with workers; deliveries/s = N / (first → last receipt at the receiver).
 *  (b) mixed: N more events emitted the same way while the workers deliver (one process, as
 *      `npm start` runs); deliveries/s = N / (first emit → last receipt).
 *  (c) latency: --rate events/s for --seconds, one event per transaction; latency = emit called
 *      → the receiver has the request, p50/p90/p99/max.
 *
 * Options (argv, or env):
 *   --store embedded|postgres|both   BENCH_STORE     default both (postgres skipped if unreachable)
 *   --events N                       BENCH_EVENTS    default 10000
 *   --batch N                        BENCH_BATCH     events per emitting transaction in (a), default 10
 *   --emitters N                     BENCH_EMITTERS  concurrent emitting transactions in (a), default 4
 *   --links N                        BENCH_LINKS     links the events are spread over, round robin, default 1000
 *                                                    (events of one link are delivered in order, one at a time:
 *                                                    --links 1 measures the worst case, one link's backlog)
 *   --rate N                         BENCH_RATE      events/s in (c), default 200
 *   --seconds N                      BENCH_SECONDS   duration of (c), default 10
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database is created from it and dropped at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { argValue, int as num } from './options.js';

type StoreName = 'embedded' | 'postgres';
const SELF = fileURLToPath(import.meta.url);
const ROLE_ENV = 'BENCH_WEBHOOKS_RECEIVER';

// =============================================================================================
// The receiver child: `BENCH_WEBHOOKS_RECEIVER=1 node --import tsx bench/webhooks.ts`
// POST /secret (the endpoint's secret) first; then POST anything → 200 (signature verified,
// webhook-id and receive time recorded);
// GET /stats → {count, unique, invalid}; GET /times → [[webhook_id, ms], …] (first receipt).
// =============================================================================================

async function receiverMain(): Promise<void> {
  let wh: Webhook | null = null;
  const first = new Map<string, number>();
  let count = 0;
  let invalid = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/stats') res.end(JSON.stringify({ count, unique: first.size, invalid }));
      else res.end(JSON.stringify([...first]));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      if (req.url === '/secret') {
        wh = new Webhook(Buffer.concat(chunks).toString('utf8'));
        res.end();
        return;
      }
      count++;
      const id = String(req.headers['webhook-id']);
      try {
        wh!.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
      } catch {
        invalid++;
      }
      if (!first.has(id)) first.set(id, at);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

// =============================================================================================
// The driver
// =============================================================================================



const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ReceiverChild {
  url: string;
  child: ChildProcess;
  get<T>(path: string): Promise<T>;
  setSecret(secret: string): Promise<void>;
}

async function startReceiver(): Promise<ReceiverChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF], {
    env: { ...process.env, [ROLE_ENV]: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${JSON.parse(line).port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = <T>(path: string) =>
    new Promise<T>((resolve, reject) => {
      http
        .get(`${base}${path}`, { agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T));
        })
        .on('error', reject);
    });
  const setSecret = (secret: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(`${base}/secret`, { method: 'POST', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(secret);
    });
  return { url: `${base}/hooks`, child, get, setSecret };
}

interface Figures {
  store: StoreName;
  events: number;
  drain: { perSecond: number; seconds: number };
  mixed: { emittedPerSecond: number; seconds: number; perSecond: number };
  invalid: number;
  duplicates: number;
  latency: { n: number; p50: number; p90: number; p99: number; max: number; lost: number; rate: number };
}

type Vinculo = Awaited<ReturnType<typeof import('../src/server.js')['createVinculo']>>;

async function benchStore(store: StoreName, adminUrl: string): Promise<Figures | null> {
  const { loadConfig } = await import('../src/config.js');
  const { createVinculo } = await import('../src/server.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'vinculo-bench-webhooks-'));
  let dbName: string | null = null;
  let storeUrl: string | null = null;
  if (store === 'postgres') {
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
    try {
      await admin.connect();
    } catch (err) {
      process.stdout.write(`postgres: skipped (${(err as Error).message})\n`);
      return null;
    }
    dbName = `vinculo_bench_webhooks_${process.pid}_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    storeUrl = u.toString();
  }
  const config = loadConfig({
    VINCULO_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
    VINCULO_DATA_DIR: dataDir,
    ...(storeUrl ? { DATABASE_URL: storeUrl } : {}),
  });
  // The embedded store on disk: (a) reopens it with workers on.
  const open = (workers: boolean) =>
    createVinculo({
      config,
      store: storeUrl ? { kind: 'postgres', url: storeUrl } : { kind: 'embedded', dataDir, owner: 'bench' },
      workers,
    });
  const events = num('events', 'BENCH_EVENTS', 10_000, 1, 1_000_000);
  const batch = num('batch', 'BENCH_BATCH', 10, 1, 10_000);
  const emitters = num('emitters', 'BENCH_EMITTERS', 4, 1, 64);
  let vinculo: Vinculo | undefined;
  let receiver: ReceiverChild | undefined;
  try {
    receiver = await startReceiver();
    const r = receiver;
    vinculo = await open(false);
    await vinculo.services.tenants.createKey({ tenant: 'bench' });
    const tenantId = (await vinculo.store.db.selectFrom('tenants').select('id').where('name', '=', 'bench').executeTakeFirstOrThrow()).id;
    const endpoint = await vinculo.services.webhooks.createEndpoint(tenantId, { url: r.url });
    await r.setSecret(endpoint.secret);
    const links = num('links', 'BENCH_LINKS', 1000, 1, 1_000_000);
    const linkIds = Array.from({ length: links }, (_, i) => `6a4b8d21-3c7f-4a8e-9b1d-${i.toString(16).padStart(12, '0')}`);
    const event = (i: number) => ({
      tenantId,
      linkId: linkIds[i % links],
      externalId: `ext-${i}`,
      webhookType: 'TRANSACTIONS',
      webhookCode: 'new_transactions_available',
      processType: 'recurrent_update',
      data: { count: i % 50, new_transactions: i % 50 },
    });
    /** `n` events, by `emitters` concurrent transactions of `batch` events each. */
    const emitAll = async (v: Vinculo, n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: emitters }, async () => {
          while (next < n) {
            const from = next;
            const to = Math.min(n, from + batch);
            next = to;
            await v.store.db.transaction().execute(async (tx) => {
              for (let i = from; i < to; i++) await v.services.webhooks.emit(tx, event(i));
            });
          }
        }),
      );
    };
    const unique = async () => (await r.get<{ unique: number }>('/stats')).unique;
    const times = async () => new Map(await r.get<[string, number][]>('/times'));

    // (a) drain: a backlog written while no worker runs, then a process with workers.
    await emitAll(vinculo, events);
    await vinculo.close();
    vinculo = await open(true);
    const v = vinculo;
    while ((await unique()) < events) await sleep(20);
    const received = [...(await times()).values()].sort((a, b) => a - b);
    const drainSeconds = (received[received.length - 1] - received[0]) / 1000;

    // (b) mixed: emitting and delivering at once.
    const t0 = performance.now();
    await emitAll(v, events);
    const emitMs = performance.now() - t0;
    while ((await unique()) < 2 * events) await sleep(10);
    const mixedMs = performance.now() - t0;
    const final = await r.get<{ count: number; unique: number; invalid: number }>('/stats');

    // (c) latency at a steady rate, one event per transaction.
    const rate = num('rate', 'BENCH_RATE', 200, 1, 100_000);
    const seconds = num('seconds', 'BENCH_SECONDS', 10, 1, 3600);
    const sent = new Map<string, number>();
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < rate * seconds; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 1) await sleep(wait);
      inflight.push(
        (async () => {
          const at = Date.now();
          sent.set(await v.services.webhooks.emit(v.store.db, event(i)), at);
        })(),
      );
      if (inflight.length > 256) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const deadline = Date.now() + 60_000;
    let got = new Map<string, number>();
    while (Date.now() < deadline) {
      got = await times();
      if ([...sent.keys()].every((id) => got.has(id))) break;
      await sleep(100);
    }
    const lat = [...sent].filter(([id]) => got.has(id)).map(([id, at]) => got.get(id)! - at).sort((a, b) => a - b);
    return {
      store,
      events,
      drain: { perSecond: (events - 1) / drainSeconds, seconds: drainSeconds },
      mixed: { emittedPerSecond: events / (emitMs / 1000), seconds: mixedMs / 1000, perSecond: events / (mixedMs / 1000) },
      invalid: final.invalid,
      duplicates: final.count - final.unique,
      latency: {
        n: lat.length,
        p50: percentile(lat, 50),
        p90: percentile(lat, 90),
        p99: percentile(lat, 99),
        max: lat[lat.length - 1],
        lost: sent.size - lat.length,
        rate,
      },
    };
  } catch (err) {
    process.stdout.write(`${store}: failed: ${(err as Error).stack ?? String(err)}\n`);
    return null;
  } finally {
    receiver?.child.stdin?.end();
    await vinculo?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (dbName) {
      await sleep(300); // let the pools' connections finish closing
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

async function main(): Promise<void> {
  const which = argValue('store') ?? process.env.BENCH_STORE ?? 'both';
  const stores: StoreName[] = which === 'both' ? ['postgres', 'embedded'] : [which as StoreName];
  const adminUrl = process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const batch = num('batch', 'BENCH_BATCH', 10, 1, 10_000);
  const emitters = num('emitters', 'BENCH_EMITTERS', 4, 1, 64);
  const links = num('links', 'BENCH_LINKS', 1000, 1, 1_000_000);
  process.stdout.write(`webhook deliveries (one endpoint, ${links} link(s), signed; receiver verifies every signature), node ${process.version}\n`);
  const rows: Figures[] = [];
  for (const store of stores) {
    process.stdout.write(`${store}: running…\n`);
    const f = await benchStore(store, adminUrl);
    if (f) rows.push(f);
  }
  process.stdout.write(`\n(a) drain: a backlog of N events written with no worker running, then delivered (first → last receipt)\n`);
  process.stdout.write('store      events   seconds   deliveries/s\n');
  for (const f of rows) {
    process.stdout.write(`${f.store.padEnd(10)} ${String(f.events).padStart(6)}   ${f.drain.seconds.toFixed(1).padStart(7)}   ${f.drain.perSecond.toFixed(0).padStart(12)}\n`);
  }
  process.stdout.write(`\n(b) mixed: N more events emitted by ${emitters} concurrent transactions of ${batch} while delivering, until all delivered\n`);
  process.stdout.write('store      events   emitted/s   all delivered s   deliveries/s   bad signatures   duplicates\n');
  for (const f of rows) {
    process.stdout.write(
      `${f.store.padEnd(10)} ${String(f.events).padStart(6)}   ${f.mixed.emittedPerSecond.toFixed(0).padStart(9)}   ${f.mixed.seconds.toFixed(1).padStart(15)}   ${f.mixed.perSecond.toFixed(0).padStart(12)}   ${String(f.invalid).padStart(14)}   ${String(f.duplicates).padStart(10)}\n`,
    );
  }
  process.stdout.write('\n(c) latency: emit (its own transaction) → received, at a steady rate\n');
  process.stdout.write('store      rate/s   events   p50 ms   p90 ms   p99 ms   max ms   not received\n');
  for (const f of rows) {
    const l = f.latency;
    process.stdout.write(
      `${f.store.padEnd(10)} ${String(l.rate).padStart(6)}   ${String(l.n).padStart(6)}   ${String(l.p50).padStart(6)}   ${String(l.p90).padStart(6)}   ${String(l.p99).padStart(6)}   ${String(l.max).padStart(6)}   ${String(l.lost).padStart(12)}\n`,
    );
  }
}

if (process.env[ROLE_ENV]) await receiverMain();
else await main();
