/**
 * What does VINCULO_RATE_LIMIT cost? `npx tsx bench/rate-limit.ts [options]`
 *
 * Starts the bench server child (bench/server.ts) on a fresh PostgreSQL database, once with the
 * limit off and once with it on at a rate that never triggers (every request still takes a token:
 * one `insert … on conflict do update` on the key's bucket row), alternating for `--rounds`
 * rounds, and drives GET /api/links/{id}/ with autocannon over loopback, all connections with one
 * key (the worst case for the limit: every request updates the same row). Prints req/s and
 * p50/p99 latency of each run, and the median req/s of each setting.
 *
 * Options (argv, or env):
 *   --store postgres|embedded   BENCH_STORE        default postgres (embedded: the in-memory buckets)
 *   --duration SEC              BENCH_DURATION     per run, default 10
 *   --warmup SEC                BENCH_WARMUP       unmeasured run before each, default 2
 *   --connections N             BENCH_CONNECTIONS  default 50
 *   --rounds N                  BENCH_ROUNDS       off/on pairs, default 2
 *   --rate N                    BENCH_RATE         the limit when on, default 1000000 (never reached)
 *   --seed N                    BENCH_SEED         links seeded per run, default 10000
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a database per run is created from it and dropped after it).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { argValue, int, num } from './options.js';
import { assertLoopback, latencyRecorder, whenReady } from './support.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = {
  store: (argValue('store') ?? process.env.BENCH_STORE ?? 'postgres') as 'postgres' | 'embedded',
  duration: num('duration', 'BENCH_DURATION', 10, 1, 600),
  warmup: num('warmup', 'BENCH_WARMUP', 2, 0, 60),
  connections: int('connections', 'BENCH_CONNECTIONS', 50, 1, 1000),
  rounds: int('rounds', 'BENCH_ROUNDS', 2, 1, 20),
  rate: num('rate', 'BENCH_RATE', 1_000_000, 0.5, 1_000_000),
  seed: int('seed', 'BENCH_SEED', 10_000, 1, 10_000_000),
  adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
};
if (!['postgres', 'embedded'].includes(opts.store)) throw new Error('--store must be postgres or embedded');

const cleanups: (() => Promise<void>)[] = [];
async function cleanupAll(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanupAll().finally(() => process.exit(130)));

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: opts.adminUrl, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

interface Info {
  url: string;
  id: string;
  password: string;
  linkId: string;
}

/** A bench server child on its own fresh store; stopped (and its store dropped) by cleanupAll. */
async function startServer(rateLimit: string): Promise<Info> {
  const env: Record<string, string> = {
    BENCH_SEED: String(opts.seed),
    BENCH_RATE_LIMIT: rateLimit,
    VINCULO_MASTER_KEY: randomBytes(32).toString('base64'),
    BENCH_DATABASE_URL: '',
    BENCH_DATA_DIR: '',
  };
  if (opts.store === 'postgres') {
    const name = `vinculo_bench_rl_${process.pid}_${Date.now().toString(36)}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}));
    const u = new URL(opts.adminUrl);
    u.pathname = `/${name}`;
    env.BENCH_DATABASE_URL = u.toString();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-rl-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    env.BENCH_DATA_DIR = dir;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/server.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, BENCH_MAX_SECONDS: '3600' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  });
  const info = await whenReady<Info>(child, 'bench server', 600_000, (m) => (m.url ? (m as Info) : undefined));
  assertLoopback(info.url);
  return info;
}

function run(url: string, headers: Record<string, string>, duration: number) {
  assertLoopback(url);
  return new Promise<{ ok: number; other: number; seconds: number; latencies: Float64Array }>((resolveRun, rejectRun) => {
    const latencies = latencyRecorder(1 << 16);
    const instance = autocannon({ url, headers, connections: opts.connections, duration, timeout: 10 }, (err, result) => {
      if (err) return rejectRun(err);
      const ok = result.statusCodeStats['200']?.count ?? 0;
      const all = Object.values(result.statusCodeStats).reduce((s, { count }) => s + count, 0);
      resolveRun({ ok, other: all - ok + result.errors, seconds: result.duration, latencies: latencies.sorted() });
    });
    instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) => latencies.add(ms));
  });
}

const pct = (s: Float64Array, p: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function measure(rateLimit: string): Promise<number> {
  const info = await startServer(rateLimit);
  try {
    const url = `${info.url}/api/links/${info.linkId}/`;
    const headers = { authorization: `Basic ${Buffer.from(`${info.id}:${info.password}`).toString('base64')}` };
    const probe = await fetch(url, { headers });
    await probe.arrayBuffer();
    if (probe.status !== 200) throw new Error(`probe: ${probe.status}`);
    const limited = probe.headers.get('ratelimit-limit');
    if ((rateLimit === 'off') !== (limited === null)) throw new Error(`RateLimit-Limit ${limited} with the limit ${rateLimit}`);
    if (opts.warmup > 0) await run(url, headers, opts.warmup);
    const r = await run(url, headers, opts.duration);
    const rps = r.ok / r.seconds;
    console.log(
      `  limit ${rateLimit.padEnd(8)} ${rps.toFixed(0).padStart(6)} req/s  p50 ${pct(r.latencies, 50).toFixed(2)} ms  p99 ${pct(r.latencies, 99).toFixed(2)} ms` +
        `${r.other ? `  (${r.other} other answers or errors)` : ''}`,
    );
    return rps;
  } finally {
    await cleanupAll();
  }
}

async function main(): Promise<void> {
  console.log(
    `GET /api/links/{id}/ on ${opts.store}, one key, c=${opts.connections}, ${opts.duration} s per run after ${opts.warmup} s warm-up, ${opts.rounds} round(s)`,
  );
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    off.push(await measure('off'));
    on.push(await measure(String(opts.rate)));
  }
  const a = median(off);
  const b = median(on);
  console.log(`\nmedian: off ${a.toFixed(0)} req/s, on ${b.toFixed(0)} req/s (${(((b - a) / a) * 100).toFixed(1)}%)`);
}

main()
  .then(() => cleanupAll())
  .catch(async (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    await cleanupAll();
    process.exitCode = 1;
  });
