/**
 * Link-data benchmarks: `npm run bench:data [-- options]`. Prints figures; never asserts.
 *
 * For each store (embedded PGlite, PostgreSQL) this file spawns itself as a server child (as
 * bench/api.ts does with bench/server.ts: PGlite is single-process, so whatever touches the
 * embedded store has to run in the child) and drives it over loopback:
 *
 *  (a) POST /api/transactions/ for a year of `bnk100` data (erebor_mx_retail, ~2,000 transactions):
 *      the first call (inserts) and --calls more (update in place), then --calls with save_data:false.
 *      Time per call = request sent to whole answer received. On the fresh store, and again (new link)
 *      once the store holds the seeded transactions.
 *  (b) GET /api/transactions/?link=<random link>&page_size=100 (plus page=2 and amount__gt=500) over
 *      --per-link transactions on each of --links-postgres / --links-embedded links of ONE tenant:
 *      sequential latency (one request at a time, --samples each) and autocannon under concurrency.
 *
 * Seeding: the links are registered through POST /api/links/ (concurrency 8), then the child
 * bulk-inserts accounts (a copy of the bnk100 link's six) and transactions with INSERT … SELECT
 * generate_series, each one a real retrieved bnk100 transaction (round robin) with a new
 * internal_identification, value_date/accounting_date spread over the last 365 days and the amount
 * scaled by a random 0.5–1.5; uuid-v7-like ids; one link's rows stored together (as a retrieval
 * stores them). Then ANALYZE (or VACUUM ANALYZE with --vacuum).
 *
 * Options (argv, or env):
 *   --store embedded|postgres|both   BENCH_STORE           default both (postgres skipped if unreachable)
 *   --duration SEC                   BENCH_DURATION        per autocannon run, default 10
 *   --warmup SEC                     BENCH_WARMUP          unmeasured run before each, default 2 (0: none)
 *   --connections 10,50              BENCH_CONNECTIONS     autocannon connections for page 1 (page 2 and
 *                                                          the filtered list run at the first of them)
 *   --calls N                        BENCH_CALLS           POST calls after the first, default 10
 *   --samples N                      BENCH_SAMPLES         sequential GETs per list query, default 200
 *   --links-postgres N               BENCH_LINKS_POSTGRES  default 1000
 *   --links-embedded N               BENCH_LINKS_EMBEDDED  default 100
 *   --per-link N                     BENCH_PER_LINK        transactions per seeded link, default 1000
 *   --skip-post                      BENCH_SKIP_POST=1     no (a)
 *   --skip-list                      BENCH_SKIP_LIST=1     no seeding and no (b)
 *   --vacuum                         BENCH_VACUUM=1        VACUUM ANALYZE instead of ANALYZE after seeding
 *   --explain                        BENCH_EXPLAIN=1       print EXPLAIN (ANALYZE, BUFFERS) of the SQL the
 *                                                          list endpoint runs (captured from src's own query code)
 * BENCH_CPU_PROFILE=file.cpuprofile records the server child's V8 CPU profile from "listening" to shutdown
 * (for investigating where the time goes; use it with one --store).
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database vinculo_bench_<pid>_… is created from it and dropped at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import {
  CompiledQuery,
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import pg from 'pg';
import { assertLoopback, latencyRecorder, startCpuProfile, whenReady } from './support.js';
import { report } from './report.js';
import { argValue, flag, num } from './options.js';

type StoreName = 'embedded' | 'postgres';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const ROLE_ENV = 'BENCH_LINK_DATA_SERVER';
const DAY_MS = 86_400_000;

// =============================================================================================
// The server child: `BENCH_LINK_DATA_SERVER=1 node --import tsx bench/link-data.ts`
// Prints {"url","id","password","tenantId","store"} on stdout when listening, then answers
// JSON-line commands on stdin ({id, cmd, ...} -> {id, ok, result | error}); stops when stdin closes.
// =============================================================================================

/** Records the SQL that queries built on this Kysely run (compiled exactly as they are executed). */
class CaptureSql implements KyselyPlugin {
  readonly queries: CompiledQuery[] = [];
  constructor(private readonly compile: (node: RootOperationNode, queryId: PluginTransformQueryArgs['queryId']) => CompiledQuery) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.queries.push(this.compile(args.node, args.queryId));
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

async function serverMain(): Promise<void> {
  const env = process.env;
  const log = (m: string) => process.stderr.write(`[bench data server ${process.pid}] ${m}\n`);
  const { loadConfig } = await import('../src/config.js');
  const { createVinculo } = await import('../src/server.js');
  const { findApiKey } = await import('../src/store/queries/tenants.js');
  const data = await import('../src/store/queries/link-data.js');
  const { parseFilters } = await import('../src/filters/index.js');
  const { resourceByName } = await import('../src/resources/definitions.js');

  const databaseUrl = env.BENCH_DATABASE_URL?.trim() || '';
  const dataDir = env.BENCH_DATA_DIR?.trim() || '';
  if (!databaseUrl && !dataDir) throw new Error('the server child needs BENCH_DATA_DIR (embedded) or BENCH_DATABASE_URL');
  const config = loadConfig({
    VINCULO_DATA_DIR: dataDir || undefined,
    DATABASE_URL: databaseUrl,
    VINCULO_MASTER_KEY: env.VINCULO_MASTER_KEY || randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
  });
  // API only: background first loads of the seeded links would compete with what is measured.
  const vinculo = await createVinculo({ config, warn: log, workers: false });
  const db = vinculo.store.db as unknown as Kysely<any>;
  const cpuProfile = env.BENCH_CPU_PROFILE?.trim() || '';
  let stopProfile: (() => Promise<void>) | undefined;
  let closing: Promise<void> | null = null;
  const shutdown = (why: string) => {
    closing ??= (async () => {
      log(`stopping (${why})`);
      await stopProfile?.();
      await vinculo.close().catch((err) => log(`close failed: ${(err as Error).message}`));
      process.exit(0);
    })();
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  setTimeout(() => void shutdown('BENCH_MAX_SECONDS reached'), Number(env.BENCH_MAX_SECONDS ?? 7200) * 1000).unref();

  const key = await vinculo.services.tenants.createKey({ tenant: 'bench' });
  const keyRow = await findApiKey(vinculo.store.db, key.id);
  if (!keyRow) throw new Error('the new API key is not in the store');
  const tenantId = keyRow.tenant_id;

  /** Copies the template link's accounts to every other link of the tenant, then `perLink` transactions each. */
  async function seed(cmd: { template: string; perLink: number; batchLinks: number; vacuum: boolean }) {
    const t0 = performance.now();
    const links = (
      await db.selectFrom('links').select('id').where('tenant_id', '=', tenantId).where('id', '<>', cmd.template).orderBy('created_at').execute()
    ).map((r) => r.id as string);
    const now = new Date();
    const uuid7 = (ms: unknown) =>
      sql`(lpad(to_hex(${ms}), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid`;
    // Columns this seeding does not set itself (added by later migrations) are copied from the template row.
    const extra = async (table: string, known: string[]) =>
      (
        await sql<{ column_name: string }>`
          SELECT column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`.execute(db)
      ).rows
        .map((r) => r.column_name)
        .filter((c) => !known.includes(c));
    const accountExtra = await extra('accounts', ['id', 'tenant_id', 'link_id', 'internal_identification', 'collected_at', 'created_at', 'record_date', 'data']);
    const txExtra = await extra('transactions', ['id', 'tenant_id', 'link_id', 'internal_identification', 'collected_at', 'created_at', 'record_date', 'data', 'account_id']);
    const cols = (names: string[]) => sql.join(names.map((c) => sql.ref(c)));
    const from = (alias: string, names: string[]) => sql.join(names.map((c) => sql.ref(`${alias}.${c}`)));
    const tail = (names: string[], list: ReturnType<typeof sql.join>) => (names.length ? sql`, ${list}` : sql``);
    if (accountExtra.length || txExtra.length) log(`copying from the template: accounts ${accountExtra.join(', ') || '-'}; transactions ${txExtra.join(', ') || '-'}`);
    let accounts = 0;
    let transactions = 0;
    for (let i = 0; i < links.length; i += cmd.batchLinks) {
      const batch = links.slice(i, i + cmd.batchLinks);
      const ids = sql.join(batch.map((id) => sql`${id}::uuid`));
      const baseMs = Date.now();
      const a = await sql`
        INSERT INTO accounts (id, tenant_id, link_id, internal_identification, collected_at, created_at, record_date, data${tail(accountExtra, cols(accountExtra))})
        SELECT ${uuid7(sql`${baseMs}::bigint`)}, l.tenant_id, l.id, a.internal_identification, ${now}, ${now}, a.record_date, a.data${tail(accountExtra, from('a', accountExtra))}
        FROM links l CROSS JOIN accounts a
        WHERE a.link_id = ${cmd.template}::uuid AND l.id IN (${ids})
        ORDER BY l.id, a.internal_identification`.execute(db);
      accounts += Number(a.numAffectedRows ?? 0);
      const t = await sql`
        WITH tpl AS (
          SELECT (row_number() OVER (ORDER BY t.record_date, t.internal_identification) - 1)::int AS k,
                 t.data AS data, acc.internal_identification AS acc${tail(txExtra, from('t', txExtra))}
          FROM transactions t JOIN accounts acc ON acc.id = t.account_id
          WHERE t.link_id = ${cmd.template}::uuid
        ), n AS (SELECT count(*)::int AS n FROM tpl)
        INSERT INTO transactions (id, tenant_id, link_id, internal_identification, collected_at, created_at, record_date, data, account_id${tail(txExtra, cols(txExtra))})
        SELECT ${uuid7(sql`${baseMs}::bigint + g.i`)}, l.tenant_id, l.id, s.iid, ${now}, ${now}, s.day,
               tpl.data || jsonb_build_object(
                 'internal_identification', s.iid,
                 'value_date', to_char(s.day, 'YYYY-MM-DD'),
                 'accounting_date', to_char(s.day, 'YYYY-MM-DD') || substr(tpl.data ->> 'accounting_date', 11),
                 'amount', round((tpl.data ->> 'amount')::numeric * (0.5 + random())::numeric, 2)),
               acc.id${tail(txExtra, from('tpl', txExtra))}
        FROM links l
        CROSS JOIN generate_series(0, ${cmd.perLink - 1}::int) AS g(i)
        CROSS JOIN n
        JOIN tpl ON tpl.k = g.i % n.n
        JOIN accounts acc ON acc.link_id = l.id AND acc.internal_identification = tpl.acc
        CROSS JOIN LATERAL (
          SELECT (current_date - (g.i * 365 / ${cmd.perLink}::int))::date AS day,
                 tpl.acc || '-BENCH-' || lpad(g.i::text, 6, '0') AS iid
        ) s
        WHERE l.id IN (${ids})
        ORDER BY l.id, g.i`.execute(db);
      transactions += Number(t.numAffectedRows ?? 0);
      log(`seeded ${Math.min(i + cmd.batchLinks, links.length)}/${links.length} links (${transactions} transactions) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const insertMs = performance.now() - t0;
    const t1 = performance.now();
    await sql.raw(cmd.vacuum ? 'VACUUM ANALYZE' : 'ANALYZE').execute(db);
    const analyzeMs = performance.now() - t1;
    return { links: links.length, accounts, transactions, insertMs, analyzeMs };
  }

  async function stats() {
    const { rows } = await sql<{ transactions: number; accounts: number; links: number; tx_bytes: number; tx_heap: number; db_bytes: number }>`
      SELECT (SELECT count(*)::int FROM transactions WHERE tenant_id = ${tenantId}::uuid) AS transactions,
             (SELECT count(*)::int FROM accounts WHERE tenant_id = ${tenantId}::uuid) AS accounts,
             (SELECT count(*)::int FROM links WHERE tenant_id = ${tenantId}::uuid) AS links,
             pg_total_relation_size('transactions')::float8 AS tx_bytes,
             pg_relation_size('transactions')::float8 AS tx_heap,
             pg_database_size(current_database())::float8 AS db_bytes`.execute(db);
    return rows[0];
  }

  /**
   * The SQL GET /api/transactions/ runs for `query` (src's own scope/filters/page code, captured),
   * each with its EXPLAIN (ANALYZE, BUFFERS). Run twice; the second (warm) plan is reported.
   */
  async function explain(cmd: { query: Record<string, string>; limit: number; offset: number }) {
    const def = resourceByName('TRANSACTIONS');
    const base = vinculo.store.db;
    const capture = new CaptureSql((node, queryId) => base.getExecutor().compileQuery(node, queryId));
    await data.pageRows(base.withPlugin(capture), def.table, tenantId, parseFilters(def.filters, cmd.query), { limit: cmd.limit, offset: cmd.offset });
    const out: { sql: string; parameters: unknown[]; plan: string }[] = [];
    for (const q of capture.queries) {
      const run = () => base.executeQuery<Record<string, string>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, [...q.parameters]));
      await run();
      const { rows } = await run();
      out.push({ sql: q.sql, parameters: [...q.parameters], plan: rows.map((r) => Object.values(r)[0]).join('\n') });
    }
    return out;
  }

  const url = await vinculo.app.listen({ host: '127.0.0.1', port: 0 });
  if (cpuProfile) stopProfile = await startCpuProfile(cpuProfile, log);
  process.stdout.write(`${JSON.stringify({ url, id: key.id, password: key.password, tenantId, store: vinculo.store.kind })}\n`);

  const handlers: Record<string, (cmd: any) => Promise<unknown>> = { seed, stats, explain };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let cmd: { id: number; cmd: string };
    try {
      cmd = JSON.parse(line);
    } catch {
      return log(`not a command: ${line.slice(0, 100)}`);
    }
    const handler = handlers[cmd.cmd];
    (handler ? handler(cmd) : Promise.reject(new Error(`unknown command ${cmd.cmd}`))).then(
      (result) => process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: true, result })}\n`),
      (err) => process.stdout.write(`${JSON.stringify({ id: cmd.id, ok: false, error: (err as Error).stack ?? String(err) })}\n`),
    );
  });
  rl.on('close', () => void shutdown('parent closed stdin'));
}

// =============================================================================================
// The driver
// =============================================================================================



function driverOptions() {
  const o = {
    store: (argValue('store') ?? process.env.BENCH_STORE ?? 'both') as StoreName | 'both',
    duration: num('duration', 'BENCH_DURATION', 10, 1, 600),
    warmup: num('warmup', 'BENCH_WARMUP', 2, 0, 60),
    connections: (argValue('connections') ?? process.env.BENCH_CONNECTIONS ?? '10,50')
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0),
    calls: Math.round(num('calls', 'BENCH_CALLS', 10, 1, 1000)),
    samples: Math.round(num('samples', 'BENCH_SAMPLES', 200, 1, 100_000)),
    links: {
      postgres: Math.round(num('links-postgres', 'BENCH_LINKS_POSTGRES', 1000, 1, 100_000)),
      embedded: Math.round(num('links-embedded', 'BENCH_LINKS_EMBEDDED', 100, 1, 100_000)),
    },
    perLink: Math.round(num('per-link', 'BENCH_PER_LINK', 1000, 1, 100_000)),
    skipPost: flag('skip-post', 'BENCH_SKIP_POST'),
    skipList: flag('skip-list', 'BENCH_SKIP_LIST'),
    vacuum: flag('vacuum', 'BENCH_VACUUM'),
    explain: flag('explain', 'BENCH_EXPLAIN'),
    adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  };
  if (!['embedded', 'postgres', 'both'].includes(o.store)) throw new Error('--store must be embedded, postgres or both');
  if (!o.connections.length) throw new Error('--connections: a comma-separated list of positive integers');
  return o;
}
type Options = ReturnType<typeof driverOptions>;

// ---- cleanup: every child and every temporary resource goes, also on error or Ctrl-C ---------

const cleanups: (() => Promise<void>)[] = [];
async function cleanupAll(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
}
const activeLoads = new Set<() => void>();
let interrupted = false;

// ---- the server child --------------------------------------------------------------------------

interface ServerInfo {
  url: string;
  id: string;
  password: string;
  tenantId: string;
  store: StoreName;
}

interface Server extends ServerInfo {
  command<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}


async function startServer(env: Record<string, string>, readyTimeoutMs: number): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF], {
    cwd: ROOT,
    env: { ...process.env, ...env, [ROLE_ENV]: '1', BENCH_MAX_SECONDS: '7200' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const soft = setTimeout(() => child.kill('SIGTERM'), 5_000);
    await exited;
    clearTimeout(killer);
    clearTimeout(soft);
  });

  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  child.once('exit', (code, signal) => failAll(new Error(`server child exited (code ${code}, signal ${signal})`)));

  const command = <T>(cmd: string, args: Record<string, unknown> = {}) =>
    new Promise<T>((res, rej) => {
      const id = nextId++;
      pending.set(id, { resolve: res, reject: rej });
      child.stdin!.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
  // Messages with an id answer a command; the one with a url says the server is ready.
  const answer = (msg: any) => {
    if (typeof msg.id !== 'number' || !pending.has(msg.id)) return;
    const p = pending.get(msg.id)!;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`server child: ${msg.error}`));
  };
  return whenReady<Server>(
    child,
    'bench data server',
    readyTimeoutMs,
    (msg) => {
      if (!msg.url || typeof msg.id === 'number') return undefined;
      assertLoopback(msg.url);
      return { ...(msg as ServerInfo), command };
    },
    answer,
  );
}

// ---- PostgreSQL admin --------------------------------------------------------------------------

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// ---- measuring ---------------------------------------------------------------------------------

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

function fmt(n: number | undefined, digits = 1): string {
  return n !== undefined && Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
}
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
/** The machine's 1-minute load average: other processes' load shows in every latency here. */
const load = () => `load ${loadavg()[0].toFixed(1)}`;

interface Row {
  store: StoreName;
  what: string;
  load: string;
  p50?: number;
  p95?: number;
  p99?: number;
  first?: number;
  rps?: number;
  target?: string;
  /** true: met, false: missed, undefined: no target. */
  met?: boolean;
  note?: string;
}

interface Call {
  ms: number;
  status: number;
  bytes: number;
  text: string;
}

async function call(url: string, init: RequestInit): Promise<Call> {
  const t0 = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  const buf = await res.arrayBuffer();
  const ms = performance.now() - t0;
  return { ms, status: res.status, bytes: buf.byteLength, text: Buffer.from(buf).toString('utf8') };
}

function expectStatus(c: Call, expect: number, label: string): void {
  if (c.status !== expect) throw new Error(`${label}: expected ${expect}, got ${c.status}: ${c.text.slice(0, 400)}`);
}

/** One autocannon run; each request asks for `path()` (a fresh path per request). */
function hammer(
  origin: string,
  path: () => string,
  headers: Record<string, string>,
  connections: number,
  duration: number,
): Promise<{ result: Result; latencies: Float64Array }> {
  assertLoopback(origin);
  return new Promise((resolveRun, rejectRun) => {
    const latencies = latencyRecorder(1 << 14);
    const instance = autocannon(
      {
        url: origin,
        headers,
        connections,
        duration,
        timeout: 30,
        requests: [
          {
            method: 'GET',
            path: path(),
            setupRequest: (req) => {
              req.path = path();
              return req;
            },
          },
        ],
      },
      (err, result) => {
        clearTimeout(guard);
        activeLoads.delete(stop);
        if (err) return rejectRun(err);
        resolveRun({ result, latencies: latencies.sorted() });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.add(ms));
    const stop = () => instance.stop();
    activeLoads.add(stop);
    const guard = setTimeout(stop, (duration + 60) * 1000);
  });
}

// ---- one store ---------------------------------------------------------------------------------

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

async function postBench(opts: Options, s: Server, headers: Record<string, string>, label: string, rows: Row[]): Promise<string> {
  const reg = await call(`${s.url}/api/links/`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ institution: 'erebor_mx_retail', username: 'bnk100', password: 'bench-password' }),
  });
  expectStatus(reg, 201, 'register bnk100');
  const link = JSON.parse(reg.text).id as string;
  const body = (saveData: boolean) => JSON.stringify({ link, date_from: daysAgo(365), date_to: today(), save_data: saveData });
  const post = (saveData: boolean) => call(`${s.url}/api/transactions/`, { method: 'POST', headers, body: body(saveData) });

  const first = await post(true);
  expectStatus(first, 201, 'POST /api/transactions/ (first)');
  const objects = (JSON.parse(first.text) as unknown[]).length;
  console.log(`  [${label}] first POST: ${objects} transactions, ${mb(first.bytes)} answer, ${fmt(first.ms)} ms`);
  const saved: number[] = [];
  for (let i = 0; i < opts.calls && !interrupted; i++) {
    const c = await post(true);
    expectStatus(c, 201, 'POST /api/transactions/');
    saved.push(c.ms);
  }
  const unsaved: number[] = [];
  for (let i = 0; i < opts.calls && !interrupted; i++) {
    const c = await post(false);
    expectStatus(c, 200, 'POST /api/transactions/ save_data:false');
    unsaved.push(c.ms);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const target = s.store === 'postgres' ? 150 : 400;
  const p50 = median(saved);
  console.log(
    `  [${label}] save_data:true  first ${fmt(first.ms)} ms; next ${saved.length}: median ${fmt(p50)} ms, p95 ${fmt(percentile(sorted(saved), 95))} ms  (${saved.map((x) => x.toFixed(0)).join(' ')})`,
  );
  console.log(
    `  [${label}] save_data:false ${unsaved.length}: median ${fmt(median(unsaved))} ms, p95 ${fmt(percentile(sorted(unsaved), 95))} ms  (${unsaved.map((x) => x.toFixed(0)).join(' ')})`,
  );
  rows.push({
    store: s.store,
    what: `POST transactions, 1 year bnk100, save_data:true [${label}]`,
    load: `1+${saved.length} sequential`,
    first: first.ms,
    p50,
    p95: percentile(sorted(saved), 95),
    target: `≤ ${target} ms`,
    met: Math.max(first.ms, p50) <= target,
    note: `${objects} txns, ${mb(first.bytes)}; ${load()}`,
  });
  rows.push({
    store: s.store,
    what: `POST transactions, 1 year bnk100, save_data:false [${label}]`,
    load: `${unsaved.length} sequential`,
    p50: median(unsaved),
    p95: percentile(sorted(unsaved), 95),
    target: `≤ ${target} ms`,
    met: median(unsaved) <= target,
    note: load(),
  });
  return link;
}

async function registerMany(s: Server, headers: Record<string, string>, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count && !interrupted) {
      const i = next++;
      const c = await call(`${s.url}/api/links/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ institution: 'erebor_mx_retail', username: `bench_user_${i}`, password: 'bench-password' }),
      });
      expectStatus(c, 201, `register link ${i}`);
      ids.push(JSON.parse(c.text).id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

interface ListQuery {
  name: string;
  params: Record<string, string>;
  limit: number;
  offset: number;
}
const LIST_QUERIES: ListQuery[] = [
  { name: 'page 1', params: { page_size: '100' }, limit: 100, offset: 0 },
  { name: 'page 2', params: { page_size: '100', page: '2' }, limit: 100, offset: 100 },
  { name: 'amount__gt=500', params: { page_size: '100', amount__gt: '500' }, limit: 100, offset: 0 },
];
const listPath = (link: string, q: ListQuery) => `/api/transactions/?${new URLSearchParams({ link, ...q.params })}`;

async function listBench(opts: Options, s: Server, headers: Record<string, string>, links: string[], rows: Row[]): Promise<void> {
  const pick = () => links[Math.floor(Math.random() * links.length)];
  const listTarget = s.store === 'postgres' ? 50 : undefined;

  // One request each first: right answers (and their size).
  for (const q of LIST_QUERIES) {
    const c = await call(`${s.url}${listPath(pick(), q)}`, { headers });
    expectStatus(c, 200, `GET ${q.name}`);
    const body = JSON.parse(c.text) as { count: number; results: unknown[] };
    console.log(`  check GET ${q.name.padEnd(15)} 200  count ${body.count}, ${body.results.length} results, ${(c.bytes / 1024).toFixed(0)} KB`);
  }

  // Sequential: one request at a time, random link each.
  for (const q of LIST_QUERIES) {
    const ms: number[] = [];
    for (let i = 0; i < Math.min(20, opts.samples); i++) await call(`${s.url}${listPath(pick(), q)}`, { headers }); // warm-up
    for (let i = 0; i < opts.samples && !interrupted; i++) {
      const c = await call(`${s.url}${listPath(pick(), q)}`, { headers });
      expectStatus(c, 200, `GET ${q.name}`);
      ms.push(c.ms);
    }
    ms.sort((a, b) => a - b);
    const m = { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99) };
    console.log(`  GET ${q.name.padEnd(15)} sequential ×${ms.length}: p50 ${fmt(m.p50, 2)} ms  p95 ${fmt(m.p95, 2)} ms  p99 ${fmt(m.p99, 2)} ms  (${load()})`);
    rows.push({
      store: s.store,
      what: `GET transactions ?link&page_size=100 ${q.name}`,
      load: `sequential ×${ms.length}`,
      ...m,
      rps: 1000 / (ms.reduce((a, b) => a + b, 0) / ms.length),
      target: listTarget ? `p99 ≤ ${listTarget} ms` : undefined,
      met: listTarget ? m.p99 <= listTarget : undefined,
      note: load(),
    });
  }

  // Under concurrency (autocannon): page 1 at every --connections, page 2 and filtered at the first.
  const runs: { q: ListQuery; c: number }[] = [
    ...opts.connections.map((c) => ({ q: LIST_QUERIES[0], c })),
    ...LIST_QUERIES.slice(1).map((q) => ({ q, c: opts.connections[0] })),
  ];
  for (const { q, c } of runs) {
    if (interrupted) break;
    process.stdout.write(`  GET ${q.name.padEnd(15)} autocannon c=${c} ${opts.duration}s, random link… `);
    const path = () => listPath(pick(), q);
    if (opts.warmup > 0) await hammer(s.url, path, headers, c, opts.warmup);
    const { result, latencies } = await hammer(s.url, path, headers, c, opts.duration);
    const ok = result.statusCodeStats['200']?.count ?? 0;
    const other = Object.entries(result.statusCodeStats).reduce((n, [code, { count }]) => (code === '200' ? n : n + count), 0);
    const m = { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) };
    const rps = ok / result.duration;
    const errors = result.errors + result.timeouts;
    console.log(
      `${fmt(rps, 0)} req/s  p50 ${fmt(m.p50, 2)} ms  p95 ${fmt(m.p95, 2)} ms  p99 ${fmt(m.p99, 2)} ms` +
        `${other ? `  non-200 ${other}` : ''}${errors ? `  errors ${errors}` : ''}  (${load()})`,
    );
    rows.push({
      store: s.store,
      what: `GET transactions ?link&page_size=100 ${q.name}`,
      load: `autocannon c=${c}`,
      ...m,
      rps,
      target: listTarget ? `p99 ≤ ${listTarget} ms` : undefined,
      met: listTarget ? m.p99 <= listTarget && other === 0 && errors === 0 : undefined,
      note: `${other || errors ? `non-200 ${other}, errors ${errors}; ` : ''}${load()}`,
    });
  }

  if (opts.explain) {
    const link = pick();
    for (const q of LIST_QUERIES) {
      const { page_size: _s, page: _p, ...filters } = q.params;
      const plans = await s.command<{ sql: string; parameters: unknown[]; plan: string }[]>('explain', {
        query: { link, ...filters },
        limit: q.limit,
        offset: q.offset,
      });
      console.log(`\n  EXPLAIN (ANALYZE, BUFFERS) — ${s.store}, GET ${q.name} (link ${link}), warm run:`);
      for (const p of plans) {
        console.log(`    SQL: ${p.sql}\n    params: ${JSON.stringify(p.parameters)}`);
        console.log(p.plan.replace(/^/gm, '      '));
      }
    }
  }
}

async function benchStore(opts: Options, store: StoreName, rows: Row[]): Promise<void> {
  const env: Record<string, string> = { VINCULO_MASTER_KEY: randomBytes(32).toString('base64') };
  if (store === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-data-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    env.BENCH_DATA_DIR = dir;
    env.BENCH_DATABASE_URL = '';
  } else {
    const name = `vinculo_bench_${process.pid}_${Date.now().toString(36)}`;
    await admin(opts.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    cleanups.push(() => admin(opts.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}));
    const u = new URL(opts.adminUrl);
    u.pathname = `/${name}`;
    env.BENCH_DATABASE_URL = u.toString();
    env.BENCH_DATA_DIR = '';
    console.log(`\n== postgres: database ${name}`);
  }
  console.log(`\n== ${store}: starting the server child…`);
  const t0 = Date.now();
  const s = await startServer(env, 300_000);
  console.log(`  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${s.url}`);
  const auth = `Basic ${Buffer.from(`${s.id}:${s.password}`).toString('base64')}`;
  const headers = { authorization: auth, 'content-type': 'application/json' };
  const getHeaders = { authorization: auth };

  // (a) on the fresh store; its link is also the seeding template.
  let template: string | undefined;
  if (!opts.skipPost) template = await postBench(opts, s, headers, 'fresh store', rows);
  if (opts.skipList || interrupted) return void (await cleanupAll());
  if (!template) {
    // --skip-post: the template still needs one stored retrieval.
    const reg = await call(`${s.url}/api/links/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ institution: 'erebor_mx_retail', username: 'bnk100', password: 'bench-password' }),
    });
    expectStatus(reg, 201, 'register bnk100');
    template = JSON.parse(reg.text).id as string;
    const c = await call(`${s.url}/api/transactions/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ link: template, date_from: daysAgo(365), date_to: today() }),
    });
    expectStatus(c, 201, 'POST /api/transactions/ (template)');
  }

  // Seeding: links through the API, accounts and transactions with SQL.
  const linkCount = opts.links[store];
  console.log(`  seeding: ${linkCount} links via POST /api/links/ (concurrency 8)…`);
  const tReg = performance.now();
  const links = await registerMany(s, headers, linkCount, 8);
  const regMs = performance.now() - tReg;
  console.log(`  registered ${links.length} links in ${fmt(regMs / 1000, 1)} s (${fmt(links.length / (regMs / 1000), 0)}/s)`);
  console.log(`  seeding: ${opts.perLink} transactions per link with INSERT … SELECT generate_series…`);
  const seeded = await s.command<{ links: number; accounts: number; transactions: number; insertMs: number; analyzeMs: number }>('seed', {
    template,
    perLink: opts.perLink,
    batchLinks: store === 'postgres' ? 100 : 10,
    vacuum: opts.vacuum,
  });
  const st = await s.command<{ transactions: number; accounts: number; links: number; tx_bytes: number; tx_heap: number; db_bytes: number }>('stats');
  console.log(
    `  seeded ${seeded.transactions.toLocaleString('en-US')} transactions and ${seeded.accounts} accounts on ${seeded.links} links in ` +
      `${fmt(seeded.insertMs / 1000, 1)} s; ${opts.vacuum ? 'VACUUM ANALYZE' : 'ANALYZE'} ${fmt(seeded.analyzeMs / 1000, 1)} s`,
  );
  console.log(
    `  tenant now holds ${st.links} links, ${st.accounts} accounts, ${st.transactions.toLocaleString('en-US')} transactions; ` +
      `transactions table ${mb(st.tx_bytes)} (heap ${mb(st.tx_heap)}), database ${mb(st.db_bytes)}`,
  );
  rows.push({
    store,
    what: `seeding: ${links.length} links (API) + ${seeded.transactions.toLocaleString('en-US')} txns (SQL) + ANALYZE`,
    load: '',
    note: `register ${fmt(regMs / 1000)} s, insert ${fmt(seeded.insertMs / 1000)} s, analyze ${fmt(seeded.analyzeMs / 1000)} s`,
  });

  // (b) lists.
  await listBench(opts, s, getHeaders, links, rows);

  // (a) again, with the seeded table (a new link: first call inserts).
  if (!opts.skipPost && !interrupted) await postBench(opts, s, headers, `${st.transactions.toLocaleString('en-US')} txns stored`, rows);

  await cleanupAll();
}

function printTable(opts: Options, rows: Row[]): void {
  const header = ['store', 'measurement', 'load', 'first ms', 'p50 ms', 'p95 ms', 'p99 ms', 'req/s', 'target', 'result', 'note'];
  const cells = rows.map((r) => [
    r.store,
    r.what,
    r.load,
    r.first === undefined ? '' : fmt(r.first),
    r.p50 === undefined ? '' : fmt(r.p50, 2),
    r.p95 === undefined ? '' : fmt(r.p95, 2),
    r.p99 === undefined ? '' : fmt(r.p99, 2),
    r.rps === undefined ? '' : fmt(r.rps, 0),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const right = new Set([3, 4, 5, 6, 7]);
  const line = (c: string[]) => c.map((x, i) => (right.has(i) ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(
    `\nResults (autocannon ${opts.duration} s after ${opts.warmup} s warm-up; sequential ×${opts.samples}; POST 1+${opts.calls} and ${opts.calls}; ` +
      `seeded ${opts.perLink}/link: postgres ${opts.links.postgres} links, embedded ${opts.links.embedded} links)`,
  );
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  // The summary (bench/all.ts) takes the rows that have a target.
  for (const r of rows.filter((x) => x.target !== undefined)) {
    const rate = r.rps === undefined ? '' : `${fmt(r.rps, 0)} req/s, `;
    report({
      area: r.what.startsWith('POST') ? 'Retrieve' : 'Lists',
      what: `${r.store}: ${r.what}, ${r.load}, ${(opts.perLink * opts.links[r.store as 'postgres' | 'embedded']).toLocaleString('en-US')} transactions stored`,
      figure: `${rate}p50 ${fmt(r.p50 ?? NaN, 2)} / p99 ${fmt(r.p99 ?? NaN, 2)} ms`,
      target: r.target,
      met: r.met ?? null,
    });
  }
  console.log('POST target applies to the first call and the median of the rest. Figures only: nothing is asserted (exit code 0).');
  console.log(`This machine: ${cpus().length} CPUs; load = 1-minute load average when the figure was taken (the load generator shares the CPUs).`);
}

async function driverMain(): Promise<number> {
  const opts = driverOptions();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\n${signal}: stopping the load and cleaning up…`);
      for (const stop of activeLoads) stop();
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  const stores: StoreName[] = opts.store === 'both' ? ['postgres', 'embedded'] : [opts.store];
  const rows: Row[] = [];
  for (const store of stores) {
    if (interrupted) break;
    if (store === 'postgres') {
      const problem = await admin(opts.adminUrl, (c) => c.query('select 1')).then(
        () => null,
        (err) => (err as Error).message || String(err),
      );
      if (problem) {
        console.log(`\n== postgres: skipped, not reachable at ${opts.adminUrl} (${problem})`);
        continue;
      }
    }
    await benchStore(opts, store, rows);
  }
  if (!rows.length) {
    console.log('nothing was measured');
    return 1;
  }
  printTable(opts, rows);
  return 0;
}

if (process.env[ROLE_ENV] === '1') {
  serverMain().catch((err) => {
    process.stderr.write(`[bench data server ${process.pid}] failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
} else {
  const t0 = Date.now();
  driverMain()
    .then(async (code) => {
      await cleanupAll();
      console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      process.exit(code);
    })
    .catch(async (err) => {
      console.error(`bench failed: ${(err as Error).stack ?? err}`);
      await cleanupAll();
      process.exit(1);
    });
}
