/**
 * The scheduler's pass over many tenants, each on its own sandbox clock:
 * `npm run bench:scheduler [-- options]`. Prints figures; never asserts.
 *
 * Every tenant has a virtual clock (tenants.clock_offset_ms: real time + offset). One scheduler
 * pass (`Scheduler.tick`, src/refresh/scheduler.ts) serves them all: `claimDueRefreshes`
 * (src/store/queries/refresh.ts) claims the links due in real time (one index range) plus, for
 * every tenant whose clock runs ahead, the links due on its clock (a lateral probe per tenant),
 * and the housekeeping queries (expired credentials, stale data, expired MFA sessions, abandoned
 * links) add each tenant's offset in SQL. This measures that pass with --tenants tenants.
 *
 * For each store (PostgreSQL, and the embedded PGlite store beside it):
 *  - setup: tenant `bench-0` gets an API key (Tenants.createKey) and one real recurrent link is
 *    registered through POST /api/links/ (workers off); the other tenants (`bench-1` …) are
 *    inserted by SQL; then --links-per-tenant × --tenants links are cloned from the registered one
 *    by SQL (INSERT … SELECT generate_series, every other column copied), round-robin over the
 *    tenants, refresh_rate 24h, and the template link is deleted. `analyze`.
 *  - before each scenario every link's next_refresh_at is spread uniformly over the next 24 h of
 *    real time (a fraction of 24 h taken from the link's random uuid, so the spread is the same in
 *    every scenario), the previous scenario's queued refresh jobs are deleted, the tenants' offsets
 *    are set by SQL, and links/tenants/pgboss.job are vacuumed and analyzed. Links come due in real
 *    time at --tenants × --links-per-tenant / 86,400 per second (~1.2/s for 100,000). Then: a first pass `tick(true)` (claims + housekeeping + webhook retries; the
 *    claimed refresh jobs go to the queue, where nobody runs them), then --passes passes
 *    --interval ms apart `tick()` (as a worker runs them every second: they claim what came due
 *    meanwhile; housekeeping runs only every 30 s, so not in these), then the housekeeping alone
 *    (the four queries `tick` runs, median of 3).
 *    Scenarios:
 *      (a) offset 0          every tenant on real time: only the index range has work.
 *      (b) offsets 1–60 s    every tenant ahead by 1–60 s (hash of its id): 1,000 lateral probes,
 *                            few links due (~0.035 per tenant at 100 links/tenant).
 *      (b') offsets 1–60 min every tenant ahead by 1–60 min: a few links per tenant come due
 *                            (~2 at 100 links/tenant), claimed 500 per transaction.
 *      (c) one tenant +24 h  tenant bench-1 ahead by a day (all its links due at once), the others
 *                            at 0. The claim takes 500 links per transaction (CLAIM_BATCH in
 *                            scheduler.ts) and the pass loops while a batch is full: with 100
 *                            links per tenant one batch holds them (b' is the scenario that
 *                            loops); --links-per-tenant above 500 makes (c) loop too.
 *    Each claimed link is one pg-boss send (one INSERT) in the claiming transaction: a first pass
 *    that claims thousands of links costs about that many round trips.
 *  - for reference, once (in scenario b's state, after its passes): the naive alternative, a
 *    polling loop of one query per tenant (`select id from links where tenant_id = $1 and
 *    next_refresh_at <= now + offset order by next_refresh_at limit 500`, offsets read once):
 *    read-only (it claims nothing), so a lower bound of that design.
 *
 * Options (argv, or env):
 *   --store embedded|postgres|both   BENCH_STORE                 default both (postgres skipped if unreachable)
 *   --tenants N                      BENCH_TENANTS               default 1000
 *   --links-per-tenant N             BENCH_LINKS_PER_TENANT      PostgreSQL, default 100 (100,000 links)
 *   --links-per-tenant-embedded N    BENCH_LINKS_PER_TENANT_EMBEDDED  embedded store, default 100 (the whole run on
 *                                                                both stores takes ~2 min on 2 cores; lower it if
 *                                                                PGlite is slow on your machine)
 *   --passes N                       BENCH_PASSES                passes after the first, default 5
 *   --interval MS                    BENCH_INTERVAL              between passes, default 1000
 *   --explain                        BENCH_EXPLAIN=1             print EXPLAIN (ANALYZE, BUFFERS) of the claim
 *                                                                query per scenario, just before its first pass (in a
 *                                                                rolled-back transaction: the first pass then runs warm)
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database vinculo_bench_sched_<pid>_… is created from it and dropped at the end). The
 * embedded store lives in a temporary directory, removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RawNode,
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
import { CLAIM_BATCH, CLAIM_GUARD_MS } from '../src/refresh/scheduler.js';
import { createVinculo, type Vinculo } from '../src/server.js';
import { claimDueRefreshes, deleteAbandonedLinks, deleteExpiredMfaSessions, deleteStaleData, expireCredentials, STALE_TABLES } from '../src/store/queries/refresh.js';
import { RETENTION_BATCH } from '../src/retention/service.js';
import type { Database } from '../src/store/schema.js';
import { argValue, flag, int } from './options.js';
import { benchConfig, Cleanups, fmt, load, runBench, sleep, withAdmin } from './support.js';

type StoreName = 'embedded' | 'postgres';
type Db = Kysely<Database>;

const DAY_MS = 86_400_000;
// As the scheduler's default (VINCULO_UNCONFIRMED_LINK_DAYS).
const ABANDONED_LINK_MS = 7 * DAY_MS;

// ---- options -------------------------------------------------------------------------------------

const options = {
  store: (argValue('store') ?? process.env.BENCH_STORE ?? 'both') as StoreName | 'both',
  tenants: int('tenants', 'BENCH_TENANTS', 1000, 2, 100_000),
  linksPerTenant: {
    postgres: int('links-per-tenant', 'BENCH_LINKS_PER_TENANT', 100, 1, 10_000),
    embedded: int('links-per-tenant-embedded', 'BENCH_LINKS_PER_TENANT_EMBEDDED', 100, 1, 10_000),
  },
  passes: int('passes', 'BENCH_PASSES', 5, 1, 100),
  interval: int('interval', 'BENCH_INTERVAL', 1000, 0, 60_000),
  explain: flag('explain', 'BENCH_EXPLAIN'),
  adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
};
if (!['embedded', 'postgres', 'both'].includes(options.store)) throw new Error('--store must be embedded, postgres or both');

const MASTER_KEY = randomBytes(32).toString('base64');
const log = (m: string): void => void process.stderr.write(`[bench scheduler] ${m}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const machine = () => `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;

// ---- cleanup: every temporary resource goes, also on error or Ctrl-C -----------------------------

const cleanups = new Cleanups(log);

const config = (store: { url?: string; dataDir?: string }) => benchConfig(store, MASTER_KEY);

const admin = <T>(fn: (c: pg.Client) => Promise<T>) => withAdmin(options.adminUrl, fn);

// ---- setup ----------------------------------------------------------------------------------------

/** The columns of `links` the copy takes from the template row as they are (as bench/refresh.ts). */
async function copiedColumns(db: Db): Promise<string[]> {
  const own = ['id', 'tenant_id', 'refresh_rate', 'next_refresh_at', 'last_refresh_at', 'refresh_day', 'refresh_attempts', 'created_at', 'updated_at'];
  const r = await sql<{ column_name: string }>`
    select column_name from information_schema.columns
    where table_schema = current_schema() and table_name = 'links' order by ordinal_position`.execute(db);
  return r.rows.map((c) => c.column_name).filter((c) => !own.includes(c));
}

/** A link's place in the day, in [0, 1): its uuid's first 32 bits (random: gen_random_uuid). */
const dayFraction = (id: string) => sql`(('x' || substr(${sql.ref(id)}::text, 1, 8))::bit(32)::bigint::double precision / 4294967296.0)`;

interface Seeded {
  links: number;
  setupSeconds: number;
}

/** One API-registered template link in tenant bench-0, 1..N-1 tenants and the cloned links by SQL. */
async function seed(v: Vinculo, tenants: number, perTenant: number): Promise<Seeded> {
  const db = v.store.db;
  const t0 = performance.now();
  const key = await v.services.tenants.createKey({ tenant: 'bench-0' });
  const res = await v.app.inject({
    method: 'POST',
    url: '/api/links/',
    headers: { authorization: `Basic ${Buffer.from(`${key.id}:${key.password}`).toString('base64')}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ institution: 'erebor_mx_retail', username: 'user_valid', password: 'pass_valid', access_mode: 'recurrent' }),
  });
  if (res.statusCode !== 201) throw new Error(`POST /api/links/ → ${res.statusCode}: ${res.body}`);
  const template = JSON.parse(res.body).id as string;

  // Tenants bench-1 … as Tenants.createKey makes them (a random 32-byte user_id_key), without keys.
  await sql`
    insert into tenants (id, name, user_id_key)
    select gen_random_uuid(), 'bench-' || g, encode(decode(md5(random()::text) || md5(random()::text), 'hex'), 'base64')
    from generate_series(1, ${tenants - 1}::int) as g`.execute(db);

  const cols = await copiedColumns(db);
  const list = sql.join(cols.map((c) => sql.ref(c)));
  const fromTemplate = sql.join(cols.map((c) => sql.ref(`t.${c}`)));
  const total = tenants * perTenant;
  const chunk = 50_000;
  const now = new Date();
  for (let start = 0; start < total; start += chunk) {
    const n = Math.min(chunk, total - start);
    // Round-robin over the tenants (by name order); due within the next 24 h of real time.
    await sql`
      insert into links (id, tenant_id, refresh_rate, next_refresh_at, last_refresh_at, refresh_day, refresh_attempts, created_at, updated_at, ${list})
      select s.id, tt.id, '24h', ${now}::timestamptz + ${dayFraction('s.id')} * interval '24 hours', ${now}::timestamptz, null, 0, now(), now(), ${fromTemplate}
      from (select gen_random_uuid() as id, g from generate_series(${start}::int, ${start + n - 1}::int) as g) s
      join (select id, (row_number() over (order by id))::int - 1 as k from tenants) tt on tt.k = s.g % ${tenants}::int
      cross join links t
      where t.id = ${template}::uuid`.execute(db);
  }
  // The template served its purpose (its credentials and queued first load go with it).
  await db.deleteFrom('links').where('id', '=', template).execute();
  await sql`delete from pgboss.job where name = 'historical-load'`.execute(db);
  await sql`analyze links`.execute(db);
  await sql`analyze tenants`.execute(db);
  const { n } = await db
    .selectFrom('links')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const setupSeconds = (performance.now() - t0) / 1000;
  log(`seeded ${tenants} tenants, ${n} links in ${fmt(setupSeconds)} s`);
  return { links: Number(n), setupSeconds };
}

// ---- scenarios ------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  /** Sets every tenant's clock_offset_ms. */
  offsets(db: Db): Promise<void>;
}

// A tenant's 0..n-1 from its id, the same in every run order.
const tenantHash = (n: number) => sql`(abs(hashtext(id::text)::bigint) % ${n}::bigint)`;

const SCENARIOS: Scenario[] = [
  { name: '(a) offset 0', offsets: async (db) => void (await sql`update tenants set clock_offset_ms = 0`.execute(db)) },
  {
    name: '(b) offsets 1–60 s',
    offsets: async (db) => void (await sql`update tenants set clock_offset_ms = 1000 + ${tenantHash(59_001)}`.execute(db)),
  },
  {
    name: "(b') offsets 1–60 min",
    offsets: async (db) => void (await sql`update tenants set clock_offset_ms = 60000 + ${tenantHash(3_540_001)}`.execute(db)),
  },
  {
    name: '(c) one tenant +24 h',
    offsets: async (db) =>
      void (await sql`update tenants set clock_offset_ms = case when name = 'bench-1' then ${DAY_MS}::bigint else 0 end`.execute(db)),
  },
];

interface ScenarioFigures {
  scenario: string;
  firstMs: number;
  firstClaimed: number;
  medianMs: number;
  /** Median links claimed by the later passes. */
  laterClaimed: number;
  housekeepingMs: number;
  /** The 1/s passes ran more than 30 s after the first: some may include housekeeping. */
  housekeepingInPasses: boolean;
  load: string;
}

/** Every link due within the next 24 h of real time, as at the start; dead rows gone, statistics fresh. */
async function reset(db: Db): Promise<void> {
  const now = new Date();
  await sql`update links set next_refresh_at = ${now}::timestamptz + ${dayFraction('id')} * interval '24 hours', refresh_attempts = 0`.execute(db);
  await sql`delete from pgboss.job where name = 'link-refresh'`.execute(db);
}

async function vacuum(db: Db): Promise<void> {
  for (const table of ['links', 'tenants', 'pgboss.job']) await sql`vacuum analyze ${sql.raw(table)}`.execute(db);
}

/** The four housekeeping queries of `Scheduler.tick`, as it runs them: a first batch of each (the only one when little is due). */
async function housekeeping(db: Db, now: Date): Promise<void> {
  await db.transaction().execute((tx) => expireCredentials(tx, now, RETENTION_BATCH));
  for (const table of STALE_TABLES) await deleteStaleData(db, now, table, RETENTION_BATCH);
  await deleteExpiredMfaSessions(db, now, RETENTION_BATCH);
  await db.transaction().execute((tx) => deleteAbandonedLinks(tx, now, ABANDONED_LINK_MS, RETENTION_BATCH));
}

async function runScenario(v: Vinculo, scenario: Scenario, after?: () => Promise<void>): Promise<ScenarioFigures> {
  const db = v.store.db;
  const scheduler = v.services.scheduler;
  await reset(db);
  await scenario.offsets(db);
  await vacuum(db);
  if (options.explain) await explainClaim(db, scenario.name);

  let t = performance.now();
  const first = await scheduler.tick(true);
  const firstMs = performance.now() - t;
  const firstAt = Date.now();
  const passes: { ms: number; claimed: number }[] = [];
  for (let i = 0; i < options.passes; i++) {
    await sleep(options.interval);
    t = performance.now();
    const r = await scheduler.tick();
    passes.push({ ms: performance.now() - t, claimed: r.refreshJobs.length });
  }
  const housekeepingInPasses = Date.now() - firstAt >= 30_000;
  const hk: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    await housekeeping(db, new Date());
    hk.push(performance.now() - t);
  }
  log(
    `${scenario.name}: first pass ${first.refreshJobs.length} claimed in ${fmt(firstMs, 0)} ms; then ${passes
      .map((p) => `${p.claimed} in ${fmt(p.ms, 0)} ms`)
      .join(', ')}; housekeeping ${hk.map((ms) => fmt(ms, 0)).join(' / ')} ms`,
  );
  await after?.();
  return {
    scenario: scenario.name,
    firstMs,
    firstClaimed: first.refreshJobs.length,
    medianMs: median(passes.map((p) => p.ms)),
    laterClaimed: median(passes.map((p) => p.claimed)),
    housekeepingMs: median(hk),
    housekeepingInPasses,
    load: load(),
  };
}

// ---- the naive alternative: one query per tenant ----------------------------------------------------

interface NaiveFigures {
  ms: number;
  queries: number;
  found: number;
}

async function naiveLoop(db: Db): Promise<NaiveFigures> {
  const t = performance.now();
  const now = new Date();
  const tenants = (await sql<{ id: string; clock_offset_ms: number }>`select id, clock_offset_ms from tenants`.execute(db)).rows;
  let found = 0;
  for (const tenant of tenants) {
    const r = await sql<{ id: string }>`
      select id from links
      where tenant_id = ${tenant.id}::uuid
        and next_refresh_at <= ${now}::timestamptz + ${Number(tenant.clock_offset_ms)}::double precision * interval '1 millisecond'
      order by next_refresh_at limit ${CLAIM_BATCH}`.execute(db);
    found += r.rows.length;
  }
  return { ms: performance.now() - t, queries: tenants.length + 1, found };
}

// ---- EXPLAIN of the claim query (the real one: its text is prefixed by a plugin) ----------------------

class ExplainPlugin implements KyselyPlugin {
  readonly lines: string[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (!RawNode.is(node)) return node;
    const [head, ...rest] = node.sqlFragments;
    return { ...node, sqlFragments: [`explain (analyze, buffers) ${head}`, ...rest] } as RawNode;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    for (const row of args.result.rows) this.lines.push(String(row['QUERY PLAN']));
    return args.result;
  }
}

class Rollback extends Error {}

async function explainClaim(db: Db, label: string): Promise<void> {
  const plugin = new ExplainPlugin();
  await db
    .transaction()
    .execute(async (tx) => {
      await claimDueRefreshes(tx.withPlugin(plugin), new Date(), CLAIM_GUARD_MS, CLAIM_BATCH);
      throw new Rollback();
    })
    .catch((err) => {
      if (!(err instanceof Rollback)) throw err;
    });
  log(`EXPLAIN ANALYZE claimDueRefreshes, ${label} (rolled back):\n${plugin.lines.join('\n')}`);
}

// ---- per store ------------------------------------------------------------------------------------

interface StoreFigures {
  store: StoreName;
  tenants: number;
  links: number;
  setupSeconds: number;
  scenarios: ScenarioFigures[];
  naive?: NaiveFigures;
}

async function measure(v: Vinculo, store: StoreName, perTenant: number): Promise<StoreFigures> {
  const seeded = await seed(v, options.tenants, perTenant);
  const figures: StoreFigures = { store, tenants: options.tenants, links: seeded.links, setupSeconds: seeded.setupSeconds, scenarios: [] };
  for (const scenario of SCENARIOS) {
    const naive = scenario.name.startsWith('(b)')
      ? async () => {
          figures.naive = await naiveLoop(v.store.db);
          log(`naive per-tenant loop: ${figures.naive.queries} queries in ${fmt(figures.naive.ms, 0)} ms (${figures.naive.found} due links found)`);
        }
      : undefined;
    figures.scenarios.push(await runScenario(v, scenario, naive));
  }
  return figures;
}

async function runPostgres(): Promise<StoreFigures> {
  const name = `vinculo_bench_sched_${process.pid}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => log(`dropped ${name}`)));
  const u = new URL(options.adminUrl);
  u.pathname = `/${name}`;
  log(`PostgreSQL: database ${name}`);
  const v = await createVinculo({ config: config({ url: u.toString() }), workers: false, warn: log });
  cleanups.push(() => v.close());
  return measure(v, 'postgres', options.linksPerTenant.postgres);
}

async function runEmbedded(): Promise<StoreFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vinculo-bench-sched-'));
  cleanups.push(async () => void rmSync(dataDir, { recursive: true, force: true }));
  log(`embedded: ${dataDir}`);
  const v = await createVinculo({ config: config({ dataDir }), workers: false, warn: log });
  cleanups.push(() => v.close());
  return measure(v, 'embedded', options.linksPerTenant.embedded);
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
  log(`${machine()}; ${JSON.stringify({ ...options, adminUrl: undefined })}`);
  const t0 = performance.now();
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
  out.push(`Scheduler pass over every tenant, each on its own clock — ${machine()}`);
  out.push(
    `first pass = tick(true): claims + housekeeping + webhook retries; median = ${options.passes} tick() passes ${options.interval} ms apart ` +
      '(claims + webhook retries; housekeeping runs every 30 s, timed alone in its column); claimed = links made refresh jobs',
  );
  if (results.some((r) => r.store === 'embedded') && options.linksPerTenant.embedded !== options.linksPerTenant.postgres) {
    out.push(
      `embedded store: ${options.linksPerTenant.embedded} links per tenant (PostgreSQL: ${options.linksPerTenant.postgres}); --links-per-tenant-embedded to change`,
    );
  }
  out.push('');
  out.push('| store | tenants | links | scenario | first pass ms | median pass ms | claimed: first / later (median) | housekeeping ms | load |');
  out.push('|---|---:|---:|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    for (const s of r.scenarios) {
      out.push(
        `| ${r.store} | ${r.tenants.toLocaleString('en-US')} | ${r.links.toLocaleString('en-US')} | ${s.scenario} | ${fmt(s.firstMs)} | ${fmt(s.medianMs)}${
          s.housekeepingInPasses ? ' (some with housekeeping)' : ''
        } | ${s.firstClaimed} / ${fmt(s.laterClaimed, 0)} | ${fmt(s.housekeepingMs)} | ${s.load} |`,
      );
    }
  }
  out.push('');
  out.push('Naive alternative, timed once in scenario (b)\'s state: one polling query per tenant (read-only, claims nothing)');
  out.push('| store | tenants | links | queries | loop ms | due links found |');
  out.push('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    if (!r.naive) continue;
    out.push(`| ${r.store} | ${r.tenants.toLocaleString('en-US')} | ${r.links.toLocaleString('en-US')} | ${r.naive.queries} | ${fmt(r.naive.ms)} | ${r.naive.found} |`);
  }
  out.push('');
  out.push(`setup (tenants + links by SQL): ${results.map((r) => `${r.store} ${fmt(r.setupSeconds)} s`).join(', ')}; whole run ${fmt((performance.now() - t0) / 1000)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
}

runBench(main, cleanups, log);
