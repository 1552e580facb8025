/** What the benchmark scripts share: server children, CPU profiles, latency recording, store set-up and clean-up. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/store/schema.js';
import { loadConfig, type Config } from '../src/config.js';

/** Benchmarks load only this machine's loopback, never a remote host. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1') throw new Error(`refusing to load ${url}: only 127.0.0.1 is a target`);
}

/**
 * Reads a server child's stdout, one JSON message per line (other lines are echoed to stderr as
 * `[label stdout]`): every message goes to `onMessage`, and the promise resolves with the first
 * one `ready` accepts. Rejects if the child fails or exits first, or after `timeoutMs`.
 */
export function whenReady<T>(
  child: ChildProcess,
  label: string,
  timeoutMs: number,
  ready: (msg: any) => T | undefined,
  onMessage: (msg: any) => void = () => {},
): Promise<T> {
  return new Promise<T>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => rejectReady(new Error(`${label} not ready after ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rejectReady(new Error(`${label} exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      rejectReady(err);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: any;
      try {
        msg = JSON.parse(line);
      } catch {
        process.stderr.write(`[${label} stdout] ${line}\n`);
        return;
      }
      onMessage(msg);
      const value = ready(msg);
      if (value !== undefined) {
        clearTimeout(timer);
        resolveReady(value);
      }
    });
  });
}

/** A V8 CPU profile of this process, written to `path` on stop (open it in Chrome DevTools). */
export async function startCpuProfile(path: string, log: (m: string) => void): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    log(`CPU profile written to ${path}`);
  };
}

/** Per-request latencies of a load run (autocannon keeps only a histogram), grown as needed. */
export function latencyRecorder(initial = 1 << 14) {
  let values = new Float64Array(initial);
  let n = 0;
  return {
    add(ms: number): void {
      if (n === values.length) {
        const bigger = new Float64Array(values.length * 2);
        bigger.set(values);
        values = bigger;
      }
      values[n++] = ms;
    },
    sorted: (): Float64Array => values.slice(0, n).sort(),
  };
}

// ---- what the store benchmarks share (bench/refresh.ts, bench/scheduler-tenants.ts) ------------

/** Temporary resources (databases, folders, servers, children) released last-in first-out, also on Ctrl-C. */
export class Cleanups {
  private readonly items: (() => Promise<void>)[] = [];

  constructor(private readonly log: (m: string) => void) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`${signal}: cleaning up`);
        void this.all().finally(() => process.exit(130));
      });
    }
  }

  push(fn: () => Promise<void>): void {
    this.items.push(fn);
  }

  async all(): Promise<void> {
    while (this.items.length) await this.items.pop()!().catch((err) => this.log(`cleanup: ${(err as Error).message}`));
  }
}

/** Runs a benchmark's `main`, then its clean-ups, also when it fails (exit 1 after logging why). */
export function runBench(main: () => Promise<void>, cleanups: Cleanups, log: (m: string) => void): void {
  main().then(
    async () => {
      await cleanups.all();
      process.exit(0);
    },
    async (err) => {
      log(`failed: ${(err as Error).stack ?? err}`);
      await cleanups.all();
      process.exit(1);
    },
  );
}

/** A silent server's config on a PostgreSQL `url` or an embedded `dataDir`. */
export function benchConfig(store: { url?: string; dataDir?: string }, masterKey: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: store.url,
    VINCULO_DATA_DIR: store.dataDir ?? join(tmpdir(), 'vinculo-bench-unused'),
    VINCULO_MASTER_KEY: masterKey,
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** Runs `fn` with a connection to the PostgreSQL admin database (to create and drop bench databases). */
export async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export const fmt = (n: number | undefined, digits = 1) =>
  n !== undefined && Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const load = () => loadavg()[0].toFixed(1);

/** A port free on 127.0.0.1 now (for a server the bench starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

// ---- Vinculo processes a benchmark starts (`vinculo worker`, `npm start`'s server) ---------------

/** The repository root: where bin/ lives. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface VinculoProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` in the repository with `env` on top of this process's environment minus
 * every Vinculo variable (so nothing of the caller's own set-up leaks in); resolves once its log
 * has a line containing `ready`. Its output goes to a file, as a deployment's log would, not to a
 * pipe this process reads: Node writes to pipes synchronously, so a child logging one line per
 * request or job would wait on this process (busy generating load) to read them. The file's error
 * lines are passed to `log` when the child exits early; `stop` (also registered with `cleanups`)
 * sends SIGTERM and, after 30 s, SIGKILL. `profileDir`: node --cpu-prof into it.
 */
export async function startVinculoProcess(options: {
  args: string[];
  env: Record<string, string>;
  ready: string;
  cleanups: Cleanups;
  log: (m: string) => void;
  profileDir?: string;
}): Promise<VinculoProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|VINCULO_.*|NODE_ENV|LOG_LEVEL|PORT|HOST)$/.test(k)));
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-child-'));
  const logPath = join(dir, 'output.log');
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...profile, ...options.args], { cwd: ROOT, env: { ...inherited, ...options.env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const output = () => readFileSync(logPath, 'utf8');
  const errors = () => output().split('\n').filter((l) => /"level":(50|60)/.test(l) || (l && !l.startsWith('{')));
  const deadline = Date.now() + 60_000;
  while (!output().includes(options.ready)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.args.join(' ')} exited before it was ready:\n${output().slice(-5000)}`);
    if (Date.now() > deadline) throw new Error(`${options.args.join(' ')} not ready after 60 s:\n${output().slice(-5000)}`);
    await sleep(50);
  }
  const stopOnce = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    }
    const bad = errors();
    if (bad.length) options.log(`${options.args.join(' ')} ${child.pid} logged ${bad.length} error lines, e.g.: ${bad[0].slice(0, Number(process.env.BENCH_LOG_CHARS ?? 300))}`);
    rmSync(dir, { recursive: true, force: true });
  };
  // Stopped by the bench and again by the clean-ups: the second call waits for the first.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopOnce());
  options.cleanups.push(stop);
  return { child, stop };
}

// ---- copies of a link (bench/refresh.ts, bench/moonshot.ts) --------------------------------------------

/** The columns of `links` the copy takes from the template row as they are. */
export async function copiedColumns(db: Kysely<Database>): Promise<string[]> {
  const own = ['id', 'refresh_rate', 'next_refresh_at', 'last_refresh_at', 'refresh_day', 'refresh_attempts', 'created_at', 'updated_at'];
  const r = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = 'links' order by ordinal_position`.execute(db);
  return r.rows.map((c) => c.column_name).filter((c) => !own.includes(c));
}

// ---- CPU by process (/proc; bench/moonshot.ts, bench/ofb.ts) ----------------------------------------

export const TICKS_PER_SECOND = 100;

export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** Every PostgreSQL process of the cluster (the server's backends are the only busy ones). */
export function postgresTicks(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuTicks(Number(entry));
    } catch {
      /* gone */
    }
  }
  return total;
}
