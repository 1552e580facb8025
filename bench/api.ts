/**
 * HTTP benchmarks: `npm run bench:api [-- options]` (`npm run bench` runs it with the others, bench/all.ts).
 *
 * For each store (embedded PGlite, PostgreSQL) a server child process (bench/server.ts) seeds links
 * and listens on 127.0.0.1; this process drives it with autocannon over loopback and prints
 * requests/s, p50/p99 latency and non-2xx counts for:
 *   hello     bare fastify + the same Basic-auth hook, ~1 KB JSON (the baseline, same run)
 *   detail    GET /api/links/{id}/
 *   list      GET /api/links/?status=valid&page_size=100
 *   register  POST /api/links/ (sandbox erebor_mx_retail, 201)
 * and checks them against the targets. The server runs as `npm start` does (the compiled dist/ when
 * current, `--v8-pool-size=1`) and logs at `info` (one JSON line per request, to /dev/null) unless
 * --log-level says otherwise. The same run measures the references of issue 12's Detail target:
 * Prism mocking Belvo's OpenAPI document (bench/prism.ts; `--no-prism` skips it) on
 * GET /api/links/{id}/, and `hello` (bare fastify) on each store.
 *
 * Options (argv, or env):
 *   --store embedded|postgres|both   BENCH_STORE            default both (postgres skipped if unreachable)
 *   --duration SEC                   BENCH_DURATION         per endpoint, default 10
 *   --warmup SEC                     BENCH_WARMUP           unmeasured run before each endpoint, default 2 (0: none)
 *   --connections N                  BENCH_CONNECTIONS      GET endpoints (and Prism), default 10 (as issue 12)
 *   --post-connections N             BENCH_POST_CONNECTIONS register, default 20
 *   --only hello,detail,list,register  BENCH_ONLY           subset of endpoints
 *   --seed-embedded N                BENCH_SEED_EMBEDDED    default 10000
 *   --seed-postgres N                BENCH_SEED_POSTGRES    default 100000
 *   --vacuum                         BENCH_VACUUM=1         VACUUM ANALYZE instead of ANALYZE after seeding
 *   --strict                         BENCH_STRICT=1         exit 1 when a target is missed
 *   --log-level LEVEL                BENCH_LOG_LEVEL        the server's log level, default info (JSON lines to /dev/null); none: no logger
 *   --no-prism                       BENCH_NO_PRISM=1       no Prism reference
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database is created from it and dropped at the end).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import pg from 'pg';
import { assertLoopback, latencyRecorder, whenReady } from './support.js';
import { argValue, flag, num } from './options.js';
import { PRISM_VERSION, startPrism, type Prism } from './prism.js';
import { report } from './report.js';

type StoreName = 'embedded' | 'postgres';
type EndpointName = 'hello' | 'detail' | 'list' | 'register';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENDPOINTS: readonly EndpointName[] = ['hello', 'detail', 'list', 'register'];

// ---- options -------------------------------------------------------------------------------



const opts = {
  store: (argValue('store') ?? process.env.BENCH_STORE ?? 'both') as StoreName | 'both',
  duration: num('duration', 'BENCH_DURATION', 10, 1, 600),
  warmup: num('warmup', 'BENCH_WARMUP', 2, 0, 60),
  connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 10, 1, 1000)),
  postConnections: Math.round(num('post-connections', 'BENCH_POST_CONNECTIONS', 20, 1, 1000)),
  only: (argValue('only') ?? process.env.BENCH_ONLY ?? ENDPOINTS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as EndpointName[],
  seed: {
    embedded: Math.round(num('seed-embedded', 'BENCH_SEED_EMBEDDED', 10_000, 1, 10_000_000)),
    postgres: Math.round(num('seed-postgres', 'BENCH_SEED_POSTGRES', 100_000, 1, 10_000_000)),
  },
  vacuum: flag('vacuum', 'BENCH_VACUUM'),
  strict: flag('strict', 'BENCH_STRICT'),
  logLevel: argValue('log-level') ?? process.env.BENCH_LOG_LEVEL ?? 'info',
  prism: !flag('no-prism', 'BENCH_NO_PRISM'),
  adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
};
if (!['embedded', 'postgres', 'both'].includes(opts.store)) throw new Error('--store must be embedded, postgres or both');
for (const e of opts.only) if (!ENDPOINTS.includes(e)) throw new Error(`--only: unknown endpoint ${e} (${ENDPOINTS.join(', ')})`);

// ---- cleanup: every child and every temporary resource goes, also on error or Ctrl-C --------

const cleanups: (() => Promise<void>)[] = [];
/** Prism runs across both stores: stopped by `cleanupEverything`, not with each store's child. */
let stopPrism: (() => Promise<void>) | null = null;
async function cleanupEverything(): Promise<void> {
  await cleanupAll();
  const stop = stopPrism;
  stopPrism = null;
  await stop?.().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
}
async function cleanupAll(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the load and cleaning up…`);
    for (const stop of activeLoads) stop();
    void cleanupEverything().finally(() => process.exit(130));
  });
}

// ---- the server child ----------------------------------------------------------------------

interface ServerInfo {
  url: string;
  helloUrl: string;
  id: string;
  password: string;
  linkId: string;
  seeded: number;
  store: StoreName;
  compiled: boolean;
}


async function startServer(env: Record<string, string>, readyTimeoutMs: number): Promise<ServerInfo> {
  // The flags of `npm start` (package.json); bench/server.ts loads the server from dist/ as it does.
  const child: ChildProcess = spawn(process.execPath, ['--v8-pool-size=1', '--import', 'tsx', join(ROOT, 'bench/server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      BENCH_LOG_LEVEL: opts.logLevel === 'none' ? '' : opts.logLevel,
      BENCH_MAX_SECONDS: String(Math.ceil(readyTimeoutMs / 1000) + 3600),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  });

  return whenReady<ServerInfo>(child, 'bench server', readyTimeoutMs, (info) => {
    if (!info.url) return undefined;
    assertLoopback(info.url);
    assertLoopback(info.helloUrl);
    return info as ServerInfo;
  });
}

// ---- load ----------------------------------------------------------------------------------

interface Load {
  name: EndpointName;
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  expect: number;
  connections: number;
}

interface Measured {
  store: StoreName;
  name: EndpointName;
  /** Detail only: Prism on the same request, measured right after it. */
  prism?: Measured;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  codes: string;
}

const activeLoads = new Set<() => void>();

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One autocannon run, bounded: it stops itself after `duration` s, and is stopped at duration + 30 s anyway. */
function hammer(load: Load, headers: Record<string, string>, duration: number): Promise<{ result: Result; latencies: Float64Array }> {
  assertLoopback(load.url);
  return new Promise((resolveRun, rejectRun) => {
    // autocannon's histogram has 1 ms resolution: keep every response time to get sub-ms p50/p99.
    const latencies = latencyRecorder(1 << 16);
    const instance = autocannon(
      {
        url: load.url,
        method: load.method,
        body: load.body,
        headers,
        connections: load.connections,
        duration,
        timeout: 10,
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
    const guard = setTimeout(stop, (duration + 30) * 1000);
  });
}

async function measure(store: StoreName, load: Load, headers: Record<string, string>): Promise<Measured> {
  if (opts.warmup > 0) await hammer(load, headers, opts.warmup);
  const { result, latencies } = await hammer(load, headers, opts.duration);
  const codes = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}×${count}`)
    .join(' ');
  const ok = result.statusCodeStats[String(load.expect)]?.count ?? 0;
  return {
    store,
    name: load.name,
    connections: load.connections,
    rps: ok / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ok,
    // "non-2xx" here: anything but the expected status (200, or 201 for register).
    non2xx: Object.entries(result.statusCodeStats).reduce((s, [c, { count }]) => (c === String(load.expect) ? s : s + count), 0),
    errors: result.errors + result.timeouts,
    timeouts: result.timeouts,
    codes,
  };
}

async function probe(url: string, init: RequestInit, expect: number, label: string): Promise<void> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${label}: expected ${expect}, got ${res.status}: ${text.slice(0, 300)}`);
  console.log(`  check ${label.padEnd(8)} ${res.status}  ${text.length} bytes`);
}

async function benchStore(store: StoreName, prism: Prism | null): Promise<Measured[]> {
  const seed = opts.seed[store];
  const env: Record<string, string> = {
    BENCH_SEED: String(seed),
    VINCULO_MASTER_KEY: randomBytes(32).toString('base64'),
    BENCH_VACUUM: opts.vacuum ? '1' : '',
  };
  if (store === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    env.BENCH_DATA_DIR = dir;
    env.BENCH_DATABASE_URL = '';
  } else {
    const name = `vinculo_bench_${process.pid}_${Date.now().toString(36)}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}));
    const u = new URL(opts.adminUrl);
    u.pathname = `/${name}`;
    env.BENCH_DATABASE_URL = u.toString();
    env.BENCH_DATA_DIR = '';
  }

  console.log(`\n== ${store}: starting the server child, seeding ${seed.toLocaleString('en-US')} links…`);
  const t0 = Date.now();
  const info = await startServer(env, 600_000);
  console.log(
    `  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${info.url} (hello at ${info.helloUrl}); ` +
      `${info.compiled ? 'compiled dist/' : 'TypeScript through tsx (no current build)'}, log level ${opts.logLevel}`,
  );

  const auth = `Basic ${Buffer.from(`${info.id}:${info.password}`).toString('base64')}`;
  const register = JSON.stringify({ institution: 'erebor_mx_retail', username: 'bench_user', password: 'pass_valid' });
  const loads: Record<EndpointName, Load> = {
    hello: { name: 'hello', url: `${info.helloUrl}/hello`, method: 'GET', expect: 200, connections: opts.connections },
    detail: { name: 'detail', url: `${info.url}/api/links/${info.linkId}/`, method: 'GET', expect: 200, connections: opts.connections },
    list: { name: 'list', url: `${info.url}/api/links/?status=valid&page_size=100`, method: 'GET', expect: 200, connections: opts.connections },
    register: { name: 'register', url: `${info.url}/api/links/`, method: 'POST', body: register, expect: 201, connections: opts.postConnections },
  };
  // One request each first: right answers, and the key's scrypt check is cached before the load.
  for (const name of opts.only) {
    const l = loads[name];
    const headers: Record<string, string> = { authorization: auth };
    if (l.body) headers['content-type'] = 'application/json';
    await probe(l.url, { method: l.method, headers, body: l.body }, l.expect, name);
  }

  const out: Measured[] = [];
  for (const name of opts.only) {
    if (interrupted) break;
    const l = loads[name];
    const headers: Record<string, string> = { authorization: auth };
    if (l.body) headers['content-type'] = 'application/json';
    process.stdout.write(`  ${name.padEnd(8)} ${l.method} ${new URL(l.url).pathname}${new URL(l.url).search}  c=${l.connections} ${opts.duration}s… `);
    const m = await measure(store, l, headers);
    out.push(m);
    console.log(`${fmt(m.rps, 0)} req/s  p50 ${fmt(m.p50, 2)} ms  p99 ${fmt(m.p99, 2)} ms  ${m.codes}${m.errors ? `  errors ${m.errors} (timeouts ${m.timeouts})` : ''}`);
    if (name === 'detail' && prism && !interrupted) {
      const p: Load = { ...l, url: `${prism.url}/api/links/${info.linkId}/` };
      process.stdout.write(`  prism    GET /api/links/{id}/  c=${l.connections} ${opts.duration}s… `);
      m.prism = await measure(store, p, headers);
      console.log(`${fmt(m.prism.rps, 0)} req/s  p50 ${fmt(m.prism.p50, 2)} ms  p99 ${fmt(m.prism.p99, 2)} ms  ${m.prism.codes}`);
    }
  }
  // Stop this store's child (and drop its database / data dir) before the next store runs.
  await cleanupAll();
  return out;
}

// ---- PostgreSQL admin ------------------------------------------------------------------------

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: opts.adminUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function postgresProblem(): Promise<string | null> {
  try {
    await admin((c) => c.query('select 1'));
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

// ---- report --------------------------------------------------------------------------------

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
}

interface Verdict {
  target: string;
  pass: boolean | null;
}

function verdict(m: Measured, all: Measured[]): Verdict | null {
  const clean = m.non2xx === 0 && m.errors === 0;
  const v = (target: string, pass: boolean): Verdict => ({ target: clean ? target : `${target}; no non-2xx/errors`, pass: pass && clean });
  const hello = all.find((x) => x.store === m.store && x.name === 'hello');
  if (m.store === 'postgres') {
    if (m.name === 'detail') {
      if (!hello) return { target: '≥ 40% of hello (hello not run)', pass: null };
      return v('≥ 40% of hello', m.rps >= 0.4 * hello.rps);
    }
    if (m.name === 'list') return v('p99 ≤ 25 ms', m.p99 <= 25);
    if (m.name === 'register') return v('≥ 300 req/s', m.rps >= 300);
  } else {
    if (m.name === 'detail') {
      if (m.prism) return v('≥ 2.5× Prism', m.rps >= 2.5 * m.prism.rps);
      return v('≥ 2,000 req/s (no Prism)', m.rps >= 2000);
    }
    if (m.name === 'list') return v('p99 ≤ 50 ms', m.p99 <= 50);
  }
  return null;
}

const ENDPOINT_LABEL: Record<EndpointName, string> = {
  hello: 'bare fastify',
  detail: 'GET /api/links/{id}/',
  list: 'GET /api/links/?status=valid&page_size=100',
  register: 'POST /api/links/',
};

function printTable(all: Measured[]): boolean {
  const header = ['store', 'endpoint', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'Prism req/s', 'bare req/s', 'vs Prism', '% of bare', 'non-2xx', 'errors', 'target', 'result'];
  const rows = all.map((m) => {
    const v = verdict(m, all);
    const hello = all.find((x) => x.store === m.store && x.name === 'hello');
    const prism = m.prism && m.prism.non2xx === 0 && m.prism.errors === 0 ? m.prism : undefined;
    return [
      m.store,
      m.name,
      String(m.connections),
      fmt(m.rps, 0),
      fmt(m.p50, 2),
      fmt(m.p99, 2),
      m.prism ? `${fmt(m.prism.rps, 0)}${prism ? '' : '!'}` : '',
      hello && m.name !== 'hello' ? fmt(hello.rps, 0) : '',
      prism ? `${fmt(m.rps / prism.rps, 1)}×` : '',
      hello && m.name !== 'hello' ? `${fmt((m.rps / hello.rps) * 100, 0)} %` : '',
      String(m.non2xx),
      String(m.errors),
      v?.target ?? '',
      v ? (v.pass === null ? '?' : v.pass ? 'PASS' : 'MISS') : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(`\nResults (${opts.duration} s per endpoint after ${opts.warmup} s warm-up; GET c=${opts.connections}, POST c=${opts.postConnections}; ` +
    `seeded: embedded ${opts.seed.embedded.toLocaleString('en-US')}, postgres ${opts.seed.postgres.toLocaleString('en-US')} links; ` +
    `server log level ${opts.logLevel}; ${cpus().length} CPUs, load ${loadavg()[0].toFixed(1)})`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  all.forEach((m, i) => {
    const [, , , rps, p50, p99, prism, bare, vsPrism, ofBare, , , target, result] = rows[i];
    if (m.name === 'hello') return;
    report({
      area: m.name === 'list' ? 'Lists' : m.name === 'detail' ? 'Detail' : 'HTTP',
      what: `${m.store}: ${ENDPOINT_LABEL[m.name]}, c=${m.connections}, ${opts.seed[m.store].toLocaleString('en-US')} links stored`,
      figure: `${rps} req/s, p50 ${p50} / p99 ${p99} ms`,
      reference: [prism && `Prism ${prism} req/s (${vsPrism})`, bare && `bare fastify ${bare} req/s (${ofBare})`].filter(Boolean).join('; '),
      target,
      met: result === 'PASS' ? true : result === 'MISS' ? false : null,
    });
  });
  console.log('bare = hello: bare fastify + the same Basic-auth hook, ~1 KB JSON, same server process. ' +
    `Prism = @stoplight/prism-cli ${PRISM_VERSION} mocking spec/belvo/belvo-openapi-1.35.0.yaml, same request, measured right after detail (!: it answered errors).`);
  return rows.every((r) => r[13] !== 'MISS');
}

// ---- main ----------------------------------------------------------------------------------

async function openPrism(): Promise<Prism | null> {
  if (!opts.prism || !opts.only.includes('detail')) return null;
  console.log(`== prism: starting @stoplight/prism-cli ${PRISM_VERSION} (npm exec; the first run downloads it)…`);
  const t0 = Date.now();
  // Any id and any key: Prism checks that Basic credentials are present, not what they are.
  const probe = `/api/links/${randomUUID()}/`;
  const started = await startPrism(ROOT, probe, { authorization: `Basic ${Buffer.from('id:password').toString('base64')}` });
  if ('problem' in started) {
    console.log(`  prism skipped: ${started.problem}`);
    return null;
  }
  stopPrism = started.stop; // kept across the stores, stopped at the end
  console.log(`  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${started.url}`);
  return started;
}

async function main(): Promise<number> {
  const stores: StoreName[] = opts.store === 'both' ? ['embedded', 'postgres'] : [opts.store];
  const all: Measured[] = [];
  const prism = await openPrism();
  for (const store of stores) {
    if (interrupted) break;
    if (store === 'postgres') {
      const problem = await postgresProblem();
      if (problem) {
        console.log(`\n== postgres: skipped, not reachable at ${opts.adminUrl} (${problem})`);
        continue;
      }
    }
    all.push(...(await benchStore(store, prism)));
  }
  if (!all.length) {
    console.log('nothing was measured');
    return 1;
  }
  const ok = printTable(all);
  return opts.strict && !ok ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanupEverything();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    await cleanupEverything();
    process.exit(1);
  });
