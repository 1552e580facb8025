/**
 * `npm run bench`: every headline figure (issue 12 performance, issue 13 Open Finance) in one table, each next to its reference
 * measured in the same run. Runs, one after the other (never two at once: 2 cores), the
 * benchmarks that measure them, with the settings their targets name:
 *   start    bench/start.ts (3 runs: fresh and existing data dir, bare fastify hello)
 *   http     bench/api.ts (both stores: detail with Prism and bare fastify, list, register)
 *   lists    bench/link-data.ts --store postgres --skip-post (1,000,000 transactions)
 *   refresh  bench/refresh.ts --store postgres --links 1000 --skip-schedule (2 worker processes)
 *   moonshot bench/moonshot.ts (100,000 links at 6h with the clock ×10 = a million links' 46.3
 *            refreshes/s, one virtual hour, 2 workers, the API under 50 req/s; ~10 minutes)
 *   ofb      bench/ofb.ts (500 Open Finance Brasil consent links refreshed at once against the
 *            local mock bank, TLS and JOSE included, 2 workers on PostgreSQL)
 * Each writes its own tables to a log (its path is printed) and records its figures through
 * bench/report.ts; this prints them with the machine they ran on. Prints figures; never asserts.
 *
 * Options: --only start,http,lists,refresh,moonshot,ofb (BENCH_ONLY) to run a subset.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue } from './options.js';
import type { Figure } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STEPS = {
  start: ['bench/start.ts', '--runs', '3'],
  http: ['bench/api.ts'],
  lists: ['bench/link-data.ts', '--store', 'postgres', '--skip-post'],
  refresh: ['bench/refresh.ts', '--store', 'postgres', '--links', '1000', '--skip-schedule'],
  moonshot: ['bench/moonshot.ts'],
  ofb: ['bench/ofb.ts'],
} as const;
type Step = keyof typeof STEPS;

const only = (argValue('only') ?? process.env.BENCH_ONLY ?? Object.keys(STEPS).join(',')).split(',').map((s) => s.trim()) as Step[];
for (const s of only) if (!(s in STEPS)) throw new Error(`--only: unknown step ${s} (${Object.keys(STEPS).join(', ')})`);

const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-'));
const reportFile = join(dir, 'figures.jsonl');
const logFile = join(dir, 'bench.log');
const log = createWriteStream(logFile);
const started = new Date();
const loadBefore = loadavg()[0];

function run(step: Step): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...STEPS[step]], { cwd: ROOT, env: { ...process.env, BENCH_REPORT: reportFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const failed: string[] = [];
for (const step of only) {
  const t = performance.now();
  process.stderr.write(`bench: ${step} (${STEPS[step].join(' ')})… `);
  log.write(`\n===== ${step}: ${STEPS[step].join(' ')}\n`);
  const code = await run(step);
  process.stderr.write(`${code === 0 ? 'done' : `exit ${code}`} in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  if (code !== 0) failed.push(step);
}
log.end();

const figures: Figure[] = existsSync(reportFile)
  ? readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Figure)
  : [];
const cell = (s: string | undefined) => (s ?? '').replaceAll('|', '\\|');
const cpu = cpus();
console.log(`\nVinculo benchmarks, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ` +
  `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}, PostgreSQL on 127.0.0.1; load ${loadBefore.toFixed(1)} before the run, the load generators sharing the machine.`);
console.log('| area | measurement | figure | reference, same run | target | met |');
console.log('|---|---|---|---|---|---|');
for (const f of figures) {
  console.log(`| ${f.area} | ${cell(f.what)} | ${cell(f.figure)} | ${cell(f.reference)} | ${cell(f.target)} | ${f.met === true ? 'yes' : f.met === false ? '**no**' : ''} |`);
}
console.log(`\nEach benchmark's own tables: ${logFile}`);
if (failed.length) console.log(`Did not finish: ${failed.join(', ')} (see the log).`);
rmSync(reportFile, { force: true });
