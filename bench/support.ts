/** What the benchmark scripts share: server children, CPU profiles, latency recording, store set-up and clean-up. */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
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
