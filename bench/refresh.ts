/**
 * Refresh and scheduling benchmarks: `npm run bench:refresh [-- options]`. Prints figures; never asserts.
 *
 * For each store (PostgreSQL, and the embedded PGlite store beside it):
 *
 *  (1) refresh throughput with the sandbox connectors. --links recurrent links (erebor_mx_retail,
 *      one sandbox user each, all bank resources) are registered through POST /api/links/ with the
 *      workers off; their first loads are marked done by SQL (the queued historical-load jobs are
 *      dropped, last_refresh_at = a day ago), so the refresh fetches accounts, owners, balances and
 *      the last 8 days of transactions (1 day + the 7-day look-back) and, the store being empty,
 *      inserts them and writes their webhooks to the outbox (the tenant has no endpoint: nothing is
 *      delivered). Then every link is made due at once (next_refresh_at = now) and the clock runs
 *      until all are refreshed: links/s = links / (made due → last one refreshed), which includes
 *      the scheduler noticing (its pass runs every second) and claiming them.
 *      PostgreSQL: 2 `vinculo worker` processes (bin/vinculo.js worker) do the work, beside this
 *      API-only process. Embedded (single process): the server's own in-process workers.
 *  (2) scheduling 1,000,000 recurrent links. --schedule link rows are inserted by SQL
 *      (INSERT … SELECT generate_series, every column copied from one real registered link, rates
 *      6h/12h/24h/7d/30d in turn); then their next_refresh_at (and a 30d link's day) is computed with
 *      the real scheduling code (src/refresh/schedule.ts `nextSlot` / `firstMonthly`, as a first
 *      load plans it) and written back, --batch links at a time: read ids (keyset on the primary key)
 *      → compute → UPDATE … FROM unnest(ids, times, days). Then the virtual clock moves --advance
 *      seconds and one scheduler pass (`Scheduler.tick`, as each worker runs every second) claims
 *      what came due and sends their refresh jobs (nobody runs them); then 5 passes a second apart,
 *      as a worker runs them: each claims what came due meanwhile (~17 links/s for a million links
 *      over these rates) besides its fixed work (expiries, stale data, webhook retries).
 *
 * Options (argv, or env):
 *   --store embedded|postgres|both   BENCH_STORE              default both (postgres skipped if unreachable)
 *   --links N                        BENCH_LINKS              (1) links, default 500
 *   --workers N                      BENCH_WORKERS            (1) PostgreSQL worker processes, default 2
 *   --schedule N                     BENCH_SCHEDULE           (2) links on PostgreSQL, default 1000000
 *   --schedule-embedded N            BENCH_SCHEDULE_EMBEDDED  (2) links on the embedded store, default 1000000
 *   --batch N                        BENCH_BATCH              (2) links per read/compute/write, default 10000
 *   --advance SEC                    BENCH_ADVANCE            (2) virtual seconds before the measured pass, default 300
 *   --skip-refresh / --skip-schedule                          leave out (1) / (2)
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database vinculo_bench_refresh_<pid>_… is created from it and dropped at the end). The
 * embedded store lives in a temporary directory, removed at the end.
 * BENCH_CPU_PROFILE_DIR=dir: the worker processes write V8 CPU profiles there (node --cpu-prof).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { firstMonthly, MONTHLY, nextSlot, REFRESH_PERIODS } from '../src/refresh/schedule.js';
import { createVinculo, type Vinculo } from '../src/server.js';
import type { Database } from '../src/store/schema.js';
import { argValue, flag, int } from './options.js';
import { benchConfig, Cleanups, copiedColumns, fmt, load, runBench, sleep, startVinculoProcess, withAdmin, type VinculoProcess } from './support.js';
import { report } from './report.js';

type StoreName = 'embedded' | 'postgres';

const DAY_MS = 86_400_000;
const RATES = ['6h', '12h', '24h', '7d', '30d'] as const;

// ---- options -------------------------------------------------------------------------------------



const options = {
  store: (argValue('store') ?? process.env.BENCH_STORE ?? 'both') as StoreName | 'both',
  links: int('links', 'BENCH_LINKS', 500, 1, 100_000),
  workers: int('workers', 'BENCH_WORKERS', 2, 1, 16),
  schedule: {
    postgres: int('schedule', 'BENCH_SCHEDULE', 1_000_000, 1, 10_000_000),
    embedded: int('schedule-embedded', 'BENCH_SCHEDULE_EMBEDDED', 1_000_000, 1, 10_000_000),
  },
  batch: int('batch', 'BENCH_BATCH', 10_000, 100, 100_000),
  advance: int('advance', 'BENCH_ADVANCE', 300, 1, 86_400),
  skipRefresh: flag('skip-refresh', 'BENCH_SKIP_REFRESH'),
  skipSchedule: flag('skip-schedule', 'BENCH_SKIP_SCHEDULE'),
  adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
};
if (!['embedded', 'postgres', 'both'].includes(options.store)) throw new Error('--store must be embedded, postgres or both');

const MASTER_KEY = randomBytes(32).toString('base64');
const log = (m: string): void => void process.stderr.write(`[bench refresh] ${m}\n`);

// ---- cleanup: every child and temporary resource goes, also on error or Ctrl-C -------------------

const cleanups = new Cleanups(log);

const config = (store: { url?: string; dataDir?: string }) => benchConfig(store, MASTER_KEY, { VINCULO_JOB_POLL_SECONDS: '0.5' });

const admin = <T>(fn: (c: pg.Client) => Promise<T>) => withAdmin(options.adminUrl, fn);

// ---- worker processes ------------------------------------------------------------------------------

/** `node bin/vinculo.js worker` on `url`; resolves once it logs that it is ready. */
const startWorker = (url: string): Promise<VinculoProcess> =>
  startVinculoProcess({
    args: ['bin/vinculo.js', 'worker'],
    env: { DATABASE_URL: url, VINCULO_MASTER_KEY: MASTER_KEY, VINCULO_JOB_POLL_SECONDS: '0.5', LOG_LEVEL: 'info' },
    ready: 'vinculo worker is ready',
    cleanups,
    log,
    profileDir: process.env.BENCH_CPU_PROFILE_DIR?.trim() || undefined,
  });

// ---- (1) refresh throughput ------------------------------------------------------------------------

interface Seeded {
  tenantId: string;
  ids: string[];
}

/** Registers `n` recurrent links through the API (workers off), then marks their first load done. */
async function seedLinks(v: Vinculo, n: number): Promise<Seeded> {
  const key = await v.services.tenants.createKey({ tenant: 'bench-refresh' });
  const authorization = `Basic ${Buffer.from(`${key.id}:${key.password}`).toString('base64')}`;
  const ids: string[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        const res = await v.app.inject({
          method: 'POST',
          url: '/api/links/',
          headers: { authorization, 'content-type': 'application/json' },
          payload: JSON.stringify({ institution: 'erebor_mx_retail', username: `bench_user_${i}`, password: 'bench-pass', refresh_rate: '24h' }),
        });
        if (res.statusCode !== 201) throw new Error(`POST /api/links/ → ${res.statusCode}: ${res.body}`);
        ids.push(JSON.parse(res.body).id);
      }
    }),
  );
  log(`registered ${n} links in ${fmt((performance.now() - t0) / 1000)} s`);
  const db = v.store.db;
  const tenantId = (await db.selectFrom('links').select('tenant_id').where('id', '=', ids[0]).executeTakeFirstOrThrow()).tenant_id;
  // Their first loads "ran": nobody will (the queued jobs go), and the data since a day ago is new.
  await sql`delete from pgboss.job where name = 'historical-load'`.execute(db);
  const dayAgo = new Date((await v.services.clock!.now(tenantId)).getTime() - DAY_MS);
  await db.updateTable('links').set({ last_refresh_at: dayAgo, next_refresh_at: null }).where('tenant_id', '=', tenantId).execute();
  return { tenantId, ids };
}

interface RefreshFigures {
  links: number;
  workers: string;
  seconds: number;
  perSecond: number;
  /** From the first link refreshed to the last (without the scheduler's pick-up delay). */
  steadyPerSecond: number;
  firstAfterMs: number;
  jobP50: number;
  jobP95: number;
  outcomes: string;
  load: string;
}

/** Makes every link due now and waits until all are refreshed; `db` is only polled. */
async function measureRefresh(v: Vinculo, seeded: Seeded, workers: string): Promise<RefreshFigures> {
  const db = v.store.db;
  const n = seeded.ids.length;
  const due = await v.services.clock!.now(seeded.tenantId);
  const t0 = performance.now();
  await db.updateTable('links').set({ next_refresh_at: due }).where('tenant_id', '=', seeded.tenantId).execute();
  let first = 0;
  let lastLog = t0;
  for (;;) {
    const { done } = await db
      .selectFrom('links')
      .select((eb) => eb.fn.countAll<number>().as('done'))
      .where('tenant_id', '=', seeded.tenantId)
      .where('last_refresh_at', '>=', due)
      .executeTakeFirstOrThrow();
    const now = performance.now();
    if (Number(done) > 0 && !first) first = now;
    if (Number(done) >= n) break;
    if (now - lastLog > 5000) {
      log(`  ${done}/${n} refreshed after ${fmt((now - t0) / 1000)} s`);
      lastLog = now;
    }
    if (now - t0 > 15 * 60_000) throw new Error(`only ${done}/${n} links refreshed after 15 minutes`);
    await sleep(50);
  }
  const end = performance.now();
  // The last jobs complete just after their link's update: let them, for the outcome counts.
  for (let i = 0; i < 100; i++) {
    const r = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'link-refresh' and state in ('created', 'active')`.execute(db);
    if (!r.rows[0].n) break;
    await sleep(100);
  }
  const jobs = (
    await sql<{ state: string; output: unknown; ms: number | null }>`
      select state, output, extract(epoch from (completed_on - started_on)) * 1000 as ms
      from pgboss.job where name = 'link-refresh'`.execute(db)
  ).rows;
  const ms = jobs
    .filter((j) => j.state === 'completed' && j.ms !== null)
    .map((j) => Number(j.ms))
    .sort((a, b) => a - b);
  const pct = (p: number) => (ms.length ? ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] : NaN);
  const outcomes = new Map<string, number>();
  for (const j of jobs) {
    const k = j.state === 'completed' ? String((j.output as { value?: unknown })?.value ?? j.output) : j.state;
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  }
  return {
    links: n,
    workers,
    seconds: (end - t0) / 1000,
    perSecond: n / ((end - t0) / 1000),
    steadyPerSecond: n / Math.max(0.001, (end - first) / 1000),
    firstAfterMs: first - t0,
    jobP50: pct(50),
    jobP95: pct(95),
    outcomes: [...outcomes].map(([k, c]) => `${k} ${c}`).join(', '),
    load: load(),
  };
}

// ---- (2) scheduling a million links -------------------------------------------------------------------

interface ScheduleFigures {
  links: number;
  insertSeconds: number;
  scheduleSeconds: number;
  readSeconds: number;
  computeSeconds: number;
  writeSeconds: number;
  perSecond: number;
  tickClaimed: number;
  tickMs: number;
  /** Passes a second apart afterwards, as a worker runs them: median ms, links claimed per pass. */
  steadyTickMs: number;
  steadyClaimed: number;
  load: string;
}

async function scheduleMillion(v: Vinculo, template: string, count: number): Promise<ScheduleFigures> {
  const db = v.store.db;
  const clock = v.services.clock!;
  const tenantId = (await db.selectFrom('links').select('tenant_id').where('id', '=', template).executeTakeFirstOrThrow()).tenant_id;
  const cols = await copiedColumns(db);
  const list = sql.join(cols.map((c) => sql.ref(c)));
  const fromTemplate = sql.join(cols.map((c) => sql.ref(`t.${c}`)));
  const rates = sql.raw(`array[${RATES.map((r) => `'${r}'`).join(',')}]`);

  // Insert: chunks of 100,000 (one statement each); unscheduled, as a link is before its first load.
  let t = performance.now();
  const chunk = 100_000;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    await sql`
      insert into links (id, refresh_rate, next_refresh_at, last_refresh_at, refresh_day, refresh_attempts, created_at, updated_at, ${list})
      select gen_random_uuid(), (${rates})[1 + (g % 5)], null, null, null, 0, now(), now(), ${fromTemplate}
      from links t cross join generate_series(${start}::int, ${start + n - 1}::int) as g
      where t.id = ${template}::uuid`.execute(db);
    if ((start / chunk) % 5 === 4) log(`  inserted ${start + n}`);
  }
  await sql`analyze links`.execute(db);
  const insertSeconds = (performance.now() - t) / 1000;
  log(`inserted ${count} links in ${fmt(insertSeconds)} s`);

  // Schedule: read → compute (the real code) → write, a batch at a time.
  let read = 0;
  let compute = 0;
  let write = 0;
  let scheduled = 0;
  let last = '00000000-0000-0000-0000-000000000000';
  const now = await clock.now(tenantId);
  const t0 = performance.now();
  for (;;) {
    t = performance.now();
    const rows = (
      await sql<{ id: string; refresh_rate: string }>`
        select id, refresh_rate from links
        where id > ${last}::uuid and access_mode = 'recurrent' and next_refresh_at is null
        order by id limit ${options.batch}`.execute(db)
    ).rows;
    read += performance.now() - t;
    if (!rows.length) break;
    last = rows[rows.length - 1].id;

    t = performance.now();
    const ids: string[] = [];
    const ats: string[] = [];
    const days: (number | null)[] = [];
    for (const row of rows) {
      // As Refreshes plans a link after its first load (firstPlan).
      ids.push(row.id);
      if (row.refresh_rate === MONTHLY) {
        const plan = firstMonthly(row.id, now);
        ats.push(plan.at.toISOString());
        days.push(plan.day);
      } else {
        ats.push(nextSlot(row.id, REFRESH_PERIODS[row.refresh_rate ?? '7d'], now).toISOString());
        days.push(null);
      }
    }
    compute += performance.now() - t;

    t = performance.now();
    await sql`
      update links set next_refresh_at = u.at, refresh_day = u.day, refresh_attempts = 0
      from unnest(${ids}::uuid[], ${ats}::timestamptz[], ${days}::smallint[]) as u(id, at, day)
      where links.id = u.id`.execute(db);
    write += performance.now() - t;
    scheduled += rows.length;
    if (scheduled % 200_000 < options.batch) log(`  scheduled ${scheduled}`);
  }
  const scheduleSeconds = (performance.now() - t0) / 1000;
  log(`scheduled ${scheduled} links in ${fmt(scheduleSeconds)} s`);
  await sql`analyze links`.execute(db);

  // One scheduler pass after --advance virtual seconds: claims what came due and sends its jobs.
  await clock.advance(tenantId, options.advance);
  t = performance.now();
  const tick = await v.services.scheduler.tick();
  const tickMs = performance.now() - t;
  log(`pass after ${options.advance} s: claimed ${tick.refreshJobs.length} in ${fmt(tickMs, 0)} ms`);
  // Then passes a second apart, as every worker runs them (the clock runs on: what came due since).
  const steady: { ms: number; claimed: number }[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(1000);
    t = performance.now();
    const r = await v.services.scheduler.tick();
    steady.push({ ms: performance.now() - t, claimed: r.refreshJobs.length });
  }
  log(`passes a second apart: ${steady.map((p) => `${p.claimed} in ${fmt(p.ms, 0)} ms`).join(', ')}`);
  const sorted = steady.map((p) => p.ms).sort((a, b) => a - b);

  return {
    links: scheduled,
    insertSeconds,
    scheduleSeconds,
    readSeconds: read / 1000,
    computeSeconds: compute / 1000,
    writeSeconds: write / 1000,
    perSecond: scheduled / scheduleSeconds,
    tickClaimed: tick.refreshJobs.length,
    tickMs,
    steadyTickMs: sorted[Math.floor(sorted.length / 2)],
    steadyClaimed: steady.slice(1).reduce((n, p) => n + p.claimed, 0) / (steady.length - 1),
    load: load(),
  };
}

// ---- per store ------------------------------------------------------------------------------------

interface StoreFigures {
  store: StoreName;
  refresh?: RefreshFigures;
  schedule?: ScheduleFigures;
}

async function runPostgres(): Promise<StoreFigures> {
  const name = `vinculo_bench_refresh_${process.pid}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => log(`dropped ${name}`)));
  const u = new URL(options.adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  log(`PostgreSQL: database ${name}`);

  const api = await createVinculo({ config: config({ url }), workers: false, warn: log });
  cleanups.push(() => api.close());
  const figures: StoreFigures = { store: 'postgres' };
  const seeded = await seedLinks(api, options.links);
  if (!options.skipRefresh) {
    const workers = await Promise.all(Array.from({ length: options.workers }, () => startWorker(url)));
    log(`${workers.length} worker processes ready`);
    figures.refresh = await measureRefresh(api, seeded, `${workers.length} processes`);
    log(`refreshed ${figures.refresh.links} links in ${fmt(figures.refresh.seconds, 2)} s`);
    await Promise.all(workers.map((w) => w.stop()));
  }
  if (!options.skipSchedule) figures.schedule = await scheduleMillion(api, seeded.ids[0], options.schedule.postgres);
  return figures;
}

async function runEmbedded(): Promise<StoreFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vinculo-bench-refresh-'));
  cleanups.push(async () => void rmSync(dataDir, { recursive: true, force: true }));
  const cfg = config({ dataDir });
  const figures: StoreFigures = { store: 'embedded' };
  // The store is single-process: seed with the workers off, then reopen it with them on.
  let v = await createVinculo({ config: cfg, workers: false, warn: log });
  const seeded = await seedLinks(v, options.links);
  await v.close();
  if (!options.skipRefresh) {
    v = await createVinculo({ config: cfg, workers: true, warn: log });
    figures.refresh = await measureRefresh(v, seeded, 'in-process');
    log(`refreshed ${figures.refresh.links} links in ${fmt(figures.refresh.seconds, 2)} s`);
    await v.close();
  }
  if (!options.skipSchedule) {
    v = await createVinculo({ config: cfg, workers: false, warn: log });
    try {
      figures.schedule = await scheduleMillion(v, seeded.ids[0], options.schedule.embedded);
    } finally {
      await v.close();
    }
  }
  return figures;
}

async function postgresReachable(): Promise<string | null> {
  try {
    await admin((c) => c.query('select 1'));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---- main -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  log(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${load()}; ${JSON.stringify({ ...options, adminUrl: undefined })}`);
  const results: StoreFigures[] = [];
  if (options.store !== 'embedded') {
    const problem = await postgresReachable();
    if (problem) log(`PostgreSQL skipped: not reachable at ${options.adminUrl} (${problem})`);
    else {
      results.push(await runPostgres());
      await cleanups.all();
    }
  }
  if (options.store !== 'postgres') {
    results.push(await runEmbedded());
    await cleanups.all();
  }

  const out: string[] = [''];
  out.push('(1) refresh throughput, sandbox connectors (erebor_mx_retail, one user per link)');
  out.push('| store | links | workers | made due → all refreshed | links/s | links/s after the first | job p50 / p95 ms | outcomes | load |');
  out.push('|---|---:|---|---:|---:|---:|---:|---|---:|');
  for (const r of results) {
    const f = r.refresh;
    if (!f) continue;
    out.push(
      `| ${r.store} | ${f.links} | ${f.workers} | ${fmt(f.seconds, 2)} s | ${fmt(f.perSecond)} | ${fmt(f.steadyPerSecond)} | ${fmt(f.jobP50, 0)} / ${fmt(f.jobP95, 0)} | ${f.outcomes} | ${f.load} |`,
    );
  }
  out.push('');
  out.push(`(2) scheduling recurrent links (rates 6h/12h/24h/7d/30d in turn; batches of ${options.batch}; pass after ${options.advance} virtual s)`);
  out.push('| store | links | insert (SQL) | schedule: total | read / compute / write | links/s | pass: claimed | pass ms | 1/s passes: median ms (claimed) | load |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const f = r.schedule;
    if (!f) continue;
    out.push(
      `| ${r.store} | ${f.links.toLocaleString('en-US')} | ${fmt(f.insertSeconds)} s | ${fmt(f.scheduleSeconds)} s | ${fmt(f.readSeconds)} / ${fmt(f.computeSeconds)} / ${fmt(f.writeSeconds)} s | ${fmt(f.perSecond, 0)} | ${f.tickClaimed} | ${fmt(f.tickMs, 0)} | ${fmt(f.steadyTickMs, 0)} (${fmt(f.steadyClaimed)}) | ${f.load} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  for (const r of results) {
    const f = r.refresh;
    if (f && r.store === 'postgres') {
      report({
        area: 'Refresh',
        what: `postgres: full refreshes (sandbox, all resources) of ${f.links} links, ${f.workers}`,
        figure: `${fmt(f.perSecond)} refreshes/s (${fmt(f.steadyPerSecond)} after the first second)`,
        target: '≥ 100 refreshes/s',
        met: f.perSecond >= 100,
      });
    }
  }
}

runBench(main, cleanups, log);
