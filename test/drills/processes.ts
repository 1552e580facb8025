import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * Building blocks of the process drills (database-pause, rolling-restart, kill-9): a fresh
 * PostgreSQL database, real server and worker processes on it, timed HTTP calls, and cleanup
 * that runs whatever happens. Each drill is a standalone script: it prints a table and exits
 * non-zero when anything was lost.
 */

export const ROOT = new URL('../..', import.meta.url).pathname;
export const ADMIN_URL = process.env.VINCULO_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
export const KEY_ID = 'drill-key';
export const KEY_PASSWORD = 'drill-password-0123456789';
export const AUTH = `Basic ${Buffer.from(`${KEY_ID}:${KEY_PASSWORD}`).toString('base64')}`;

/** This process's environment without anything that would choose the store or the keys. */
const BASE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|VINCULO_.*|NODE_ENV|PORT|HOST|LOG_LEVEL|NODE_TEST_CONTEXT)$/.test(k)),
);

const cleanups: Array<() => Promise<void> | void> = [];
const children = new Set<ChildProcess>();

/** Runs `fn` as the drill: cleanup always, exit code 1 on a thrown error or a `false` verdict. */
export async function drill(name: string, fn: () => Promise<boolean>): Promise<never> {
  const stop = () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  let ok = false;
  try {
    ok = await fn();
  } catch (err) {
    console.error(`${name}: ${(err as Error).stack ?? err}`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const clean of cleanups.reverse()) await Promise.resolve(clean()).catch((e) => console.error(`cleanup: ${e}`));
  }
  console.log(`${name}: ${ok ? 'PASS (nothing lost)' : 'FAIL'}`);
  process.exit(ok ? 0 : 1);
}

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database (the first server migrates it), dropped at cleanup. Its URL. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = `vinculo_drill_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  onCleanup(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}));
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface Proc {
  name: string;
  child: ChildProcess;
  lines: string[];
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

function launch(name: string, args: string[], env: Record<string, string>): Omit<Proc, 'base'> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...BASE_ENV, VINCULO_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { name, child, lines, exited, alive: () => child.exitCode === null && child.signalCode === null };
}

async function ready(p: Omit<Proc, 'base'>, marker: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const line = p.lines.find((l) => l.includes(marker));
    if (line) return line;
    if (p.child.exitCode !== null || p.child.signalCode !== null) break;
    await sleep(50);
  }
  throw new Error(`${p.name} did not become ready (${marker}):\n${p.lines.slice(-30).join('\n')}`);
}

/** `node --import tsx src/main.ts` on `url`; resolves once it logs `vinculo is ready`. */
export async function startApi(name: string, url: string, env: Record<string, string> = {}): Promise<Proc> {
  const p = launch(name, ['--import', 'tsx', 'src/main.ts'], {
    DATABASE_URL: url,
    PORT: '0',
    HOST: '127.0.0.1',
    VINCULO_SECRET_KEY_ID: KEY_ID,
    VINCULO_SECRET_KEY_PASSWORD: KEY_PASSWORD,
    ...env,
  });
  const line = await ready(p, 'vinculo is ready');
  // The ready line carries the configured port (0); fastify's "Server listening at" has the real one.
  const listening = p.lines.map((l) => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(l)?.[1]).find(Boolean);
  const port = JSON.parse(line).port;
  return { ...p, base: listening ?? `http://127.0.0.1:${port}` };
}

/** `node bin/vinculo.js worker` on `url`; resolves once it logs `vinculo worker is ready`. */
export async function startWorker(name: string, url: string, env: Record<string, string> = {}): Promise<Proc> {
  const p = launch(name, ['bin/vinculo.js', 'worker'], { DATABASE_URL: url, ...env });
  await ready(p, 'vinculo worker is ready');
  return { ...p, base: '' };
}

export interface Answer {
  status: number; // 0: no HTTP answer (connection error or our timeout)
  error?: string;
  body: any;
  headers: Headers | null;
  ms: number;
}

/** One HTTP call with the drill's key; never throws: a connection error is status 0 with `error`. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<Answer> {
  const start = performance.now();
  try {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: r.status, body: parsed, headers: r.headers, ms: performance.now() - start };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const error = e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { status: 0, error, body: null, headers: null, ms: performance.now() - start };
  }
}

/** A connection refused, reset or closed before the answer: what a load balancer retries elsewhere. */
export function connectionError(a: Answer): boolean {
  return a.status === 0 && a.error !== 'timeout';
}

export function table(title: string, rows: Array<[string, string | number]>): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

export function check(failures: string[], ok: boolean, what: string): void {
  if (!ok) failures.push(what);
}
