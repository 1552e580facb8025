/**
 * `npm run bench:start`: the README's start command, timed as a user sees it (issue 12, Start).
 *
 * Spawns `npm start` itself (whatever it runs) in the repository with PORT on a free port and
 * VINCULO_DATA_DIR on a temporary folder, then measures:
 *   - time from the spawn to the first 200 of GET /healthz (no key) and of GET /api/institutions/
 *     (the key the server creates at start, VINCULO_SECRET_KEY_ID/PASSWORD);
 *   - peak resident memory, sampled every 50 ms from /proc: the server process (the process tree's
 *     node that listens; VmHWM, its own high-water mark) and the whole tree (npm, sh, node…);
 *   - resident memory after start: the server process `--settle` seconds (default 2) after its first answer.
 * Each run starts on a fresh data dir, then a second time on the same dir; `--runs` (default 3)
 * runs, the table shows medians. The reference, in the same run: a bare fastify hello server
 * started by `node` (no npm, no store), the floor of any Node HTTP server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { int, num } from './options.js';
import { fmt, freePort, load, sleep } from './support.js';
import { report } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const runs = int('runs', 'BENCH_RUNS', 3, 1, 20);
const settleSeconds = num('settle', 'BENCH_SETTLE_SECONDS', 2, 0, 60);
const timeoutMs = num('timeout', 'BENCH_TIMEOUT_SECONDS', 60, 5, 600) * 1000;
const KEY = { id: 'bench-start-key', password: 'bench-start-password' };
const log = (m: string) => process.stderr.write(`${m}\n`);

interface Sample {
  /** ms from spawn to the first 200 of each request. */
  healthz: number;
  api: number;
  /** MB: the server process's VmHWM, the tree's largest sampled sum, the server's RSS after settling. */
  peakServer: number;
  peakTree: number;
  /** CPU seconds (user + system) the process tree had used at the first answer: less sensitive to a loaded machine than the wall time. */
  cpu: number;
  rssAfter: number;
  treeAfter: number;
}

/** pid → parent pid, for every process now. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(name), ppid);
    } catch {
      /* gone */
    }
  }
  return map;
}

function tree(root: number): number[] {
  const map = parents();
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of map) if (ppid === out[i]) out.push(pid);
  return out;
}

/** kB figures from /proc/<pid>/status, or null when the process is gone. */
function status(pid: number): { rss: number; hwm: number; name: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), name: /^Name:\s+(\S+)/m.exec(text)?.[1] ?? '' };
  } catch {
    return null;
  }
}

/** CPU seconds (utime + stime) of these processes so far. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
    } catch {
      /* gone */
    }
  }
  return ticks / 100; // USER_HZ
}

/** The tree's node process that has no node descendant: the server (npm → sh → node, or tsx's child). */
function serverPid(pids: number[]): number | null {
  const nodes = pids.filter((p) => status(p)?.name === 'node' || status(p)?.name === 'MainThread');
  return nodes.length ? nodes[nodes.length - 1] : null;
}

async function firstOk(url: string, headers: Record<string, string>, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`no 200 from ${url}`);
    await sleep(20);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    /* gone */
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 30_000);
  await exited;
  clearTimeout(timer);
  // npm may exit before its child: wait for the whole group to be gone.
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(-child.pid!, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
}

async function measure(label: string, command: string, args: string[], env: Record<string, string>, port: number, auth: boolean): Promise<Sample> {
  const t0 = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: stopped as a whole
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let peakTree = 0;
  let peakServer = 0;
  const sampler = setInterval(() => {
    const pids = tree(child.pid!);
    let sum = 0;
    for (const pid of pids) sum += status(pid)?.rss ?? 0;
    peakTree = Math.max(peakTree, sum);
    const server = serverPid(pids);
    if (server) peakServer = Math.max(peakServer, status(server)?.hwm ?? 0);
  }, 50);
  try {
    const deadline = Date.now() + timeoutMs;
    const base = `http://127.0.0.1:${port}`;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${label}: exited (code ${code}) before answering\n${stderr}`))),
    );
    await Promise.race([firstOk(`${base}/healthz`, {}, deadline), exited]);
    const healthz = performance.now() - t0;
    const cpu = cpuSeconds(tree(child.pid!));
    let api = healthz;
    if (auth) {
      const basic = `Basic ${Buffer.from(`${KEY.id}:${KEY.password}`).toString('base64')}`;
      await Promise.race([firstOk(`${base}/api/institutions/`, { authorization: basic }, deadline), exited]);
      api = performance.now() - t0;
    }
    await sleep(settleSeconds * 1000);
    const pids = tree(child.pid!);
    const server = serverPid(pids);
    const s = server ? status(server) : null;
    let treeAfter = 0;
    for (const pid of pids) treeAfter += status(pid)?.rss ?? 0;
    if (s) peakServer = Math.max(peakServer, s.hwm);
    return { healthz, api, cpu, peakServer: peakServer / 1024, peakTree: peakTree / 1024, rssAfter: (s?.rss ?? 0) / 1024, treeAfter: treeAfter / 1024 };
  } finally {
    clearInterval(sampler);
    await stop(child);
  }
}

const HELLO = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  log(`bench:start — ${runs} run(s), ${cpus().length} cores, load ${load()}; npm start in ${ROOT}`);
  const results: Record<'fresh' | 'second' | 'hello', Sample[]> = { fresh: [], second: [], hello: [] };
  const helloFile = join(ROOT, 'node_modules', '.bench-start-hello.mjs'); // resolves fastify from the project
  writeFileSync(helloFile, HELLO);
  try {
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-start-'));
      const env = {
        VINCULO_DATA_DIR: join(dir, 'data'),
        VINCULO_SECRET_KEY_ID: KEY.id,
        VINCULO_SECRET_KEY_PASSWORD: KEY.password,
        LOG_LEVEL: 'warn',
      };
      try {
        for (const phase of ['fresh', 'second'] as const) {
          const s = await measure(`npm start (${phase})`, 'npm', ['start', '--silent'], env, await freePort(), true);
          results[phase].push(s);
          log(`run ${i + 1} ${phase}: /healthz ${fmt(s.healthz / 1000, 2)} s (CPU ${fmt(s.cpu, 2)} s), /api/institutions/ ${fmt(s.api / 1000, 2)} s, peak ${fmt(s.peakServer, 0)} MB (tree ${fmt(s.peakTree, 0)}), after ${fmt(s.rssAfter, 0)} MB`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const h = await measure('hello', process.execPath, [helloFile], {}, await freePort(), false);
      results.hello.push(h);
      log(`run ${i + 1} hello: ${fmt(h.healthz / 1000, 2)} s, peak ${fmt(h.peakServer, 0)} MB`);
    }
  } finally {
    rmSync(helloFile, { force: true });
  }

  const row = (name: string, xs: Sample[]) => {
    const m = (k: keyof Sample) => median(xs.map((x) => x[k]));
    return `| ${name} | ${fmt(m('healthz') / 1000, 2)} s | ${fmt(m('cpu'), 2)} s | ${fmt(m('api') / 1000, 2)} s | ${fmt(m('peakServer'), 0)} MB | ${fmt(m('peakTree'), 0)} MB | ${fmt(m('rssAfter'), 0)} MB | ${fmt(m('treeAfter'), 0)} MB |`;
  };
  console.log(`\nStart, median of ${runs} (${cpus().length} cores, load ${load()}); memory: the server process (and the whole npm process tree)`);
  console.log('| | first 200, /healthz | CPU used by then | first 200, /api/institutions/ | peak RSS | peak RSS, tree | RSS after start | tree after start |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(row('`npm start`, fresh data dir (target 3 s)', results.fresh));
  console.log(row('`npm start`, existing data dir (target 1.5 s)', results.second));
  console.log(row('reference: bare fastify, `node hello.mjs`', results.hello));
  console.log(`RSS after start = ${settleSeconds} s after the first answer (target ≤ 150 MB).`);

  const med = (xs: Sample[], k: keyof Sample) => median(xs.map((x) => x[k]));
  const hello = `bare fastify (node hello.mjs): ${fmt(med(results.hello, 'healthz') / 1000, 2)} s, ${fmt(med(results.hello, 'rssAfter'), 0)} MB`;
  for (const [which, xs, seconds] of [['fresh', results.fresh, 3], ['existing', results.second, 1.5]] as const) {
    const first = med(xs, 'healthz') / 1000;
    const rss = med(xs, 'rssAfter');
    report({
      area: 'Start',
      what: `npm start to the first answer, ${which} data dir (median of ${runs})`,
      figure: `${fmt(first, 2)} s`,
      reference: hello,
      target: `≤ ${seconds} s`,
      met: first <= seconds,
    });
    report({ area: 'Start', what: `resident memory after start, ${which} data dir`, figure: `${fmt(rss, 0)} MB`, reference: hello, target: '≤ 150 MB', met: rss <= 150 });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
