/**
 * Moonshot — one machine, a million users: `npm run bench:moonshot [-- options]`. Prints figures; never asserts.
 *
 * A million recurrent links at a 6 h rate is 46.3 refreshes/s, sustained. This runs that schedule
 * on PostgreSQL with the virtual clock while the API serves detail and list requests, and reports
 * whether the workers keep up (no growing backlog), the API's latency meanwhile, and where the two
 * cores go.
 *
 * Scale: --links N links at 6 h, the tenant's clock running --speed times real time, for --window
 * virtual minutes. The refresh rate asked of the workers is N / 21,600 × speed per real second:
 * the default (100,000 links × 10) asks the same 46.3/s as 1,000,000 links × 1 and covers a whole
 * virtual hour (every slot of it) in 6 real minutes; `--links 1000000 --speed 1 --window 10` runs
 * the full-size table for 10 real minutes instead.
 *
 * Set-up (the API process and workers not yet running): a fresh database; tenant `moonshot` with
 * an API key and a webhook endpoint (a receiver in this process answering 200 at once); one link
 * (erebor_mx_retail, refresh_rate 6h) registered through the API; N−1 copies of it by SQL
 * (INSERT … SELECT generate_series), each with its own sandbox user `moon_<i>` sealed by the vault
 * under its own id, as a registration stores it. Every link is then in the steady state of a 6 h
 * schedule: its next slot spread uniformly over the 6 h after T0 (a hash of its id), its last
 * refresh 6 h before that. The store holds none of their data yet, so each refresh inserts its
 * accounts, owners, balances and 6 h + the 7-day look-back of transactions (more writes than a
 * steady-state refresh, which mostly updates).
 *
 * Run: the server as `npm start` runs it (bin/start.js, VINCULO_WORKERS=false: API only, log
 * level info) and 2 `vinculo worker` processes (default settings: the scheduler pass each second,
 * refreshes, webhook deliveries). The tenant's clock is set to T0 and then moved on (speed − 1)
 * times the real time that passes, every 250 ms. Meanwhile --rate requests/s at fixed intervals
 * (latency measured from when each was due, so a stall counts in full): 60 % link detail, 20 %
 * links page (page_size=100), 20 % transactions page (page_size=100) of a refreshed link. Every
 * 5 s a sample: virtual time, links refreshed since T0, due but unclaimed links, refresh jobs
 * queued/running, webhooks received, and CPU by process. When the window's last virtual minute
 * has passed, the clock keeps real time and the run waits until every slot of the window is
 * refreshed (the drain: how far behind the workers ended).
 *
 * Options (argv, or env):
 *   --links N         BENCH_LINKS    default 100000
 *   --speed X         BENCH_SPEED    virtual seconds per real second, default 10
 *   --window MIN      BENCH_WINDOW   virtual minutes run, default 60
 *   --rate R          BENCH_RATE     API requests per second, default 50
 *   --workers N       BENCH_WORKERS  worker processes, default 2
 *   --profile         BENCH_PROFILE=1  V8 CPU profiles of the API and workers (node --cpu-prof; they
 *                                  then run the per-file build dist/*.js, the same compiled code as
 *                                  the bundles but with their modules apart) and a summary of each
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database vinculo_bench_moon_<pid>_… is created from it and dropped at the end).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { Pool } from 'undici';
import { createVinculo } from '../src/server.js';
import type { Database } from '../src/store/schema.js';
import type { LinkSecrets } from '../src/links/access.js';
import type { Vault } from '../src/vault/index.js';
import { flag, int, num } from './options.js';
import { summarizeProfiles } from './profile.js';
import { report } from './report.js';
import {
  benchConfig,
  Cleanups,
  copiedColumns,
  cpuTicks,
  fmt,
  freePort,
  latencyRecorder,
  load,
  postgresTicks,
  runBench,
  sleep,
  startVinculoProcess,
  TICKS_PER_SECOND,
  withAdmin,
  type VinculoProcess,
} from './support.js';

const SIX_HOURS_MS = 6 * 3_600_000;

const options = {
  links: int('links', 'BENCH_LINKS', 100_000, 10, 2_000_000),
  speed: num('speed', 'BENCH_SPEED', 10, 1, 1000),
  window: num('window', 'BENCH_WINDOW', 60, 1, 360),
  rate: int('rate', 'BENCH_RATE', 50, 0, 5000),
  workers: int('workers', 'BENCH_WORKERS', 2, 1, 16),
  profile: flag('profile', 'BENCH_PROFILE'),
  adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
};

const MASTER_KEY = randomBytes(32).toString('base64');
const log = (m: string): void => void process.stderr.write(`[bench moonshot] ${m}\n`);
const cleanups = new Cleanups(log);

// ---- the webhook receiver ----------------------------------------------------------------------------

interface Receiver {
  url: string;
  received(): number;
  byCode: Map<string, number>;
}

async function startReceiver(): Promise<Receiver> {
  let count = 0;
  const byCode = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      try {
        const code = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { webhook_code?: string }).webhook_code);
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
      } catch {
        byCode.set('(unparsable)', (byCode.get('(unparsable)') ?? 0) + 1);
      }
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/webhooks`, received: () => count, byCode };
}

// ---- set-up: a million-user tenant in its 6 h steady state -------------------------------------------

interface Seeded {
  tenantId: string;
  keyId: string;
  keyPassword: string;
  /** The virtual instant the measured window starts. */
  t0: Date;
  /** Links with a slot in the window: what the workers must refresh. */
  slots: number;
  sample: string[];
}

async function seed(url: string, receiverUrl: string): Promise<Seeded> {
  const v = await createVinculo({ config: benchConfig({ url }, MASTER_KEY), workers: false, warn: log });
  try {
    const db = v.store.db;
    const key = await v.services.tenants.createKey({ tenant: 'moonshot' });
    const authorization = `Basic ${Buffer.from(`${key.id}:${key.password}`).toString('base64')}`;
    const res = await v.app.inject({
      method: 'POST',
      url: '/api/links/',
      headers: { authorization, 'content-type': 'application/json' },
      payload: JSON.stringify({ institution: 'erebor_mx_retail', username: 'moon_0', password: 'bench-pass', refresh_rate: '6h' }),
    });
    if (res.statusCode !== 201) throw new Error(`POST /api/links/ → ${res.statusCode}: ${res.body}`);
    const template = (JSON.parse(res.body) as { id: string }).id;
    const tenantId = (await db.selectFrom('links').select('tenant_id').where('id', '=', template).executeTakeFirstOrThrow()).tenant_id;
    await v.services.webhooks.createEndpoint(tenantId, { url: receiverUrl });
    await sql`delete from pgboss.job where name = 'historical-load'`.execute(db);

    let t = performance.now();
    await cloneLinks(db, template, options.links - 1);
    log(`copied ${options.links - 1} links in ${fmt((performance.now() - t) / 1000)} s`);
    t = performance.now();
    await sealCredentials(v.services.vault, db, template);
    log(`sealed ${options.links} users' credentials in ${fmt((performance.now() - t) / 1000)} s`);

    // T0 well ahead of real time, so the set-up never runs into the window.
    const t0 = new Date(Date.now() + 3_600_000);
    await sql`
      update links set
        next_refresh_at = ${t0}::timestamptz + (('x' || substr(md5(id::text), 1, 8))::bit(32)::bigint / 4294967296.0) * interval '6 hours',
        refresh_attempts = 0, refresh_day = null
      where tenant_id = ${tenantId}::uuid`.execute(db);
    await sql`update links set last_refresh_at = next_refresh_at - interval '6 hours' where tenant_id = ${tenantId}::uuid`.execute(db);
    await sql`vacuum analyze links`.execute(db);
    await sql`vacuum analyze link_credentials`.execute(db);
    const windowEnd = new Date(t0.getTime() + options.window * 60_000);
    const { slots } = (
      await sql<{ slots: number }>`
        select count(*)::int as slots from links
        where tenant_id = ${tenantId}::uuid and next_refresh_at >= ${t0}::timestamptz and next_refresh_at < ${windowEnd}::timestamptz`.execute(db)
    ).rows[0];
    const sample = (
      await sql<{ id: string }>`
        select id from links where tenant_id = ${tenantId}::uuid and next_refresh_at < ${windowEnd}::timestamptz
        order by md5(id::text) limit 1000`.execute(db)
    ).rows.map((r) => r.id);
    return { tenantId, keyId: key.id, keyPassword: key.password, t0, slots, sample };
  } finally {
    await v.close();
  }
}

/** `count` copies of the template link (every column but its own identity and schedule). */
async function cloneLinks(db: Kysely<Database>, template: string, count: number): Promise<void> {
  const cols = await copiedColumns(db);
  const list = sql.join(cols.map((c) => sql.ref(c)));
  const fromTemplate = sql.join(cols.map((c) => sql.ref(`t.${c}`)));
  const chunk = 100_000;
  for (let start = 1; start <= count; start += chunk) {
    const end = Math.min(count, start + chunk - 1);
    await sql`
      insert into links (id, refresh_rate, next_refresh_at, last_refresh_at, refresh_day, refresh_attempts, created_at, updated_at, ${list})
      select gen_random_uuid(), '6h', null, null, null, 0, now(), now(), ${fromTemplate}
      from links t cross join generate_series(${start}::int, ${end}::int) as g
      where t.id = ${template}::uuid`.execute(db);
  }
}

/** Each copy gets its own sandbox user (`moon_<i>`), sealed under its own id as a registration does. */
async function sealCredentials(vault: Vault, db: Kysely<Database>, template: string): Promise<void> {
  const sealed = await db.selectFrom('link_credentials').select(['key_id', 'wrapped_key', 'ciphertext']).where('link_id', '=', template).executeTakeFirstOrThrow();
  const secrets = vault.openJson<LinkSecrets>(sealed, `link-credentials:${template}`);
  let last = '00000000-0000-0000-0000-000000000000';
  let i = 1;
  for (;;) {
    const ids = (
      await sql<{ id: string }>`
        select id from links l where id > ${last}::uuid and id <> ${template}::uuid
          and not exists (select 1 from link_credentials c where c.link_id = l.id)
        order by id limit 2000`.execute(db)
    ).rows.map((r) => r.id);
    if (!ids.length) break;
    last = ids[ids.length - 1];
    const rows = ids.map((id) => {
      const mine: LinkSecrets = { ...secrets, credentials: { ...secrets.credentials, username: `moon_${i++}` } };
      return { link_id: id, ...vault.sealJson(mine, `link-credentials:${id}`), updated_at: new Date() };
    });
    await db.insertInto('link_credentials').values(rows).execute();
  }
}

// ---- the API load ----------------------------------------------------------------------------------------

interface Load {
  /** Latencies of the requests due since the last call (and keeps them for the total). */
  window(): { n: number; p50: number; p99: number; errors: number };
  stop(): Promise<{ n: number; p50: number; p99: number; max: number; errors: number }>;
}

function startLoad(apiUrl: string, authorization: string, sample: string[], rate: number): Load {
  const pool = new Pool(apiUrl, { connections: 10, pipelining: 1 });
  const all = latencyRecorder();
  let current = latencyRecorder();
  let errors = 0;
  let windowErrors = 0;
  let stopped = false;
  const inflight = new Set<Promise<void>>();
  const pick = () => sample[Math.floor(Math.random() * sample.length)];
  const pathFor = (i: number) => {
    const k = i % 10;
    if (k < 6) return `/api/links/${pick()}/`;
    if (k < 8) return '/api/links/?page_size=100';
    return `/api/transactions/?link=${pick()}&page_size=100`;
  };
  const pct = (s: Float64Array, p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  const interval = rate > 0 ? 1000 / rate : Infinity;
  const started = performance.now();
  let sent = 0;
  const loop = (async () => {
    while (!stopped && rate > 0) {
      const due = started + sent * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const path = pathFor(sent++);
      const p = pool
        .request({ method: 'GET', path, headers: { authorization } })
        .then(async (res) => {
          await res.body.text();
          if (res.statusCode !== 200) {
            errors++;
            windowErrors++;
          }
        })
        .catch(() => {
          errors++;
          windowErrors++;
        })
        .finally(() => {
          const ms = performance.now() - due;
          all.add(ms);
          current.add(ms);
          inflight.delete(p);
        });
      inflight.add(p);
    }
  })();
  return {
    window() {
      const s = current.sorted();
      const e = windowErrors;
      current = latencyRecorder();
      windowErrors = 0;
      return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), errors: e };
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inflight);
      await pool.close();
      const s = all.sorted();
      return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.length ? s[s.length - 1] : NaN, errors };
    },
  };
}

/** Each route's first requests compile its validators and warm the JIT: not what is measured. */
async function warmUp(apiUrl: string, authorization: string, sample: string[]): Promise<void> {
  for (const path of ['/api/links/?page_size=100', ...sample.slice(0, 50).flatMap((id) => [`/api/links/${id}/`, `/api/transactions/?link=${id}&page_size=100`])]) {
    const res = await fetch(new URL(path, apiUrl), { headers: { authorization } });
    if (res.status !== 200) throw new Error(`warm-up GET ${path} → ${res.status}`);
    await res.arrayBuffer();
  }
}

// ---- the run -------------------------------------------------------------------------------------------

interface Sample {
  realS: number;
  virtualMin: number;
  refreshed: number;
  dueUnclaimed: number;
  queued: number;
  active: number;
  webhooks: number;
  pendingDeliveries: number;
  api?: { n: number; p50: number; p99: number; errors: number };
}

async function main(): Promise<void> {
  const perRealSecond = (options.links / 21_600) * options.speed;
  log(
    `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${load()}; ${options.links.toLocaleString('en-US')} links at 6h, clock ×${options.speed}: ` +
      `${fmt(perRealSecond)} refreshes/s asked, ${options.window} virtual min = ${fmt((options.window * 60) / options.speed, 0)} real s`,
  );
  const name = `vinculo_bench_moon_${process.pid}_${Date.now().toString(36)}`;
  await withAdmin(options.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => withAdmin(options.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => log(`dropped ${name}`)));
  const u = new URL(options.adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();

  const receiver = await startReceiver();
  const setupStart = performance.now();
  const seeded = await seed(url, receiver.url);
  log(`set-up in ${fmt((performance.now() - setupStart) / 1000)} s; ${seeded.slots} slots in the window`);

  const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'vinculo-moonshot-prof-')) : undefined;
  if (profileDir) cleanups.push(async () => void rmSync(profileDir, { recursive: true, force: true }));
  const port = await freePort();
  const env = { DATABASE_URL: url, VINCULO_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'info' };
  const api = await startVinculoProcess({
    args: profileDir ? ['--v8-pool-size=1', 'dist/main.js'] : ['--v8-pool-size=1', 'bin/start.js'],
    env: { ...env, VINCULO_WORKERS: 'false', PORT: String(port), HOST: '127.0.0.1' },
    ready: 'vinculo is ready',
    cleanups,
    log,
    profileDir,
  });
  const workers: VinculoProcess[] = await Promise.all(
    Array.from({ length: options.workers }, () =>
      startVinculoProcess({ args: profileDir ? ['dist/cli.js', 'worker'] : ['bin/vinculo.js', 'worker'], env, ready: 'vinculo worker is ready', cleanups, log, profileDir }),
    ),
  );
  log(`API and ${workers.length} workers ready`);

  // The probe connection: samples and the clock (one client, outside the server's pools).
  const { Client } = (await import('pg')).default;
  const probe = new Client({ connectionString: url });
  await probe.connect();
  cleanups.push(() => probe.end());
  let offset = seeded.t0.getTime() - Date.now();
  await probe.query('update tenants set clock_offset_ms = $2 where id = $1', [seeded.tenantId, offset]);
  const windowEndMs = seeded.t0.getTime() + options.window * 60_000;
  const vnow = () => Date.now() + offset;

  const processes = [
    { label: 'API', pid: api.child.pid! },
    ...workers.map((w, i) => ({ label: `worker ${i + 1}`, pid: w.child.pid! })),
    { label: 'bench (load, receiver)', pid: process.pid },
  ];
  const cpuStart = { at: performance.now(), procs: processes.map((p) => cpuTicks(p.pid)), pg: postgresTicks() };

  const authorization = `Basic ${Buffer.from(`${seeded.keyId}:${seeded.keyPassword}`).toString('base64')}`;
  await warmUp(`http://127.0.0.1:${port}`, authorization, seeded.sample);
  const apiLoad = startLoad(`http://127.0.0.1:${port}`, authorization, seeded.sample, options.rate);
  const runStart = performance.now();

  // The virtual clock: (speed − 1) × the real time that passed, every 250 ms, until the window ends.
  let clockRunning = true;
  const clock = (async () => {
    let last = performance.now();
    while (clockRunning) {
      await sleep(250);
      const now = performance.now();
      const step = Math.round((options.speed - 1) * (now - last));
      last = now;
      if (vnow() >= windowEndMs) break;
      if (step > 0) {
        const r = await probe.query('update tenants set clock_offset_ms = clock_offset_ms + $2 where id = $1 returning clock_offset_ms', [seeded.tenantId, step]);
        offset = Number(r.rows[0].clock_offset_ms);
      }
    }
  })();

  const samples: Sample[] = [];
  const sampleNow = async (): Promise<Sample> => {
    const r = await probe.query(
      `select
         (select count(*)::int from links where tenant_id = $1 and last_refresh_at >= $2) as refreshed,
         (select count(*)::int from links where tenant_id = $1 and next_refresh_at <= $3) as due,
         (select count(*)::int from pgboss.job where name = 'link-refresh' and state in ('created', 'retry')) as queued,
         (select count(*)::int from pgboss.job where name = 'link-refresh' and state = 'active') as active,
         (select count(*)::int from webhook_deliveries where status = 'pending') as pending`,
      [seeded.tenantId, seeded.t0, new Date(vnow())],
    );
    const row = r.rows[0];
    return {
      realS: (performance.now() - runStart) / 1000,
      virtualMin: (vnow() - seeded.t0.getTime()) / 60_000,
      refreshed: row.refreshed,
      dueUnclaimed: row.due,
      queued: row.queued,
      active: row.active,
      webhooks: receiver.received(),
      pendingDeliveries: row.pending,
    };
  };

  const windowRealS = (options.window * 60) / options.speed;
  const deadline = runStart + (windowRealS * 3 + 120) * 1000;
  let windowEndedAt = 0;
  let drainedAt = 0;
  let nextApiWindow = runStart + 30_000;
  let apiWindow: Sample['api'];
  for (;;) {
    await sleep(5000);
    if (performance.now() >= nextApiWindow) {
      apiWindow = apiLoad.window();
      nextApiWindow += 30_000;
    } else apiWindow = undefined;
    const s = await sampleNow();
    s.api = apiWindow;
    samples.push(s);
    log(
      `t=${fmt(s.realS, 0)} s  virtual +${fmt(s.virtualMin)} min  refreshed ${s.refreshed}/${seeded.slots}  due ${s.dueUnclaimed}  queued ${s.queued} active ${s.active}  webhooks ${s.webhooks} (pending ${s.pendingDeliveries})` +
        (s.api ? `  API p50 ${fmt(s.api.p50)} p99 ${fmt(s.api.p99)} ms (${s.api.errors} errors)` : ''),
    );
    if (!windowEndedAt && vnow() >= windowEndMs) {
      windowEndedAt = performance.now();
      clockRunning = false;
    }
    if (windowEndedAt && s.refreshed >= seeded.slots && s.queued + s.active === 0) {
      drainedAt = performance.now();
      break;
    }
    if (performance.now() > deadline) {
      log('gave up waiting for the window to drain');
      break;
    }
  }
  clockRunning = false;
  await clock;
  const apiTotal = await apiLoad.stop();
  const end = samples[samples.length - 1];
  const elapsedS = ((drainedAt || performance.now()) - runStart) / 1000;
  const cpuSeconds = (performance.now() - cpuStart.at) / 1000;
  const cores = processes.map((p, i) => ({ label: p.label, cores: (cpuTicks(p.pid) - cpuStart.procs[i]) / TICKS_PER_SECOND / cpuSeconds }));
  cores.push({ label: 'PostgreSQL', cores: (postgresTicks() - cpuStart.pg) / TICKS_PER_SECOND / cpuSeconds });
  const outcomes = (
    await probe.query(`select coalesce(output->>'value', state::text) as outcome, count(*)::int as n from pgboss.job where name = 'link-refresh' group by 1 order by 2 desc`)
  ).rows as { outcome: string; n: number }[];
  const statuses = (await probe.query(`select status, count(*)::int as n from links where tenant_id = $1 group by 1`, [seeded.tenantId])).rows as { status: string; n: number }[];

  // Stop the processes first: node --cpu-prof writes the profile at exit.
  await Promise.all([api, ...workers].map((p) => p.stop()));

  const maxBacklog = Math.max(...samples.map((s) => s.dueUnclaimed + s.queued + s.active));
  const lastBacklogs = samples.filter((s) => s.virtualMin <= options.window).slice(-3).map((s) => s.dueUnclaimed + s.queued + s.active);
  const achieved = end.refreshed / elapsedS;
  const deliveries = end.webhooks / elapsedS;
  const lines: string[] = [''];
  lines.push(`Moonshot: ${options.links.toLocaleString('en-US')} recurrent links at 6h on PostgreSQL, clock ×${options.speed}, ${options.window} virtual min (${seeded.slots} slots), ${options.workers} workers, API ${options.rate} req/s`);
  lines.push('| real s | virtual min | refreshed | due, unclaimed | refresh jobs queued / running | webhooks received (pending) | API p50 / p99 ms (last 30 s) |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of samples.filter((_, i) => i % 6 === 5 || i === samples.length - 1)) {
    lines.push(
      `| ${fmt(s.realS, 0)} | ${fmt(s.virtualMin)} | ${s.refreshed} | ${s.dueUnclaimed} | ${s.queued} / ${s.active} | ${s.webhooks} (${s.pendingDeliveries}) | ${s.api ? `${fmt(s.api.p50)} / ${fmt(s.api.p99)}` : '—'} |`,
    );
  }
  lines.push('');
  lines.push(`asked ${fmt(perRealSecond)} refreshes/s; achieved ${fmt(achieved)} refreshes/s over ${fmt(elapsedS, 0)} s (the window is ${fmt(windowRealS, 0)} real s; drained ${drainedAt ? `${fmt((drainedAt - windowEndedAt) / 1000, 0)} s after it ended` : 'NOT drained'})`);
  lines.push(`backlog (due + queued + running): max ${maxBacklog}, last three samples in the window ${lastBacklogs.join(', ')}`);
  lines.push(`webhooks: ${end.webhooks} received, ${fmt(deliveries)}/s; by code ${[...receiver.byCode].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`API: ${apiTotal.n} requests, p50 ${fmt(apiTotal.p50)} ms, p99 ${fmt(apiTotal.p99)} ms, max ${fmt(apiTotal.max, 0)} ms, ${apiTotal.errors} errors`);
  lines.push(`refresh jobs: ${outcomes.map((o) => `${o.outcome} ${o.n}`).join(', ')}; links: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}`);
  lines.push(`CPU (cores, of ${cpus().length}): ${cores.map((c) => `${c.label} ${fmt(c.cores, 2)}`).join(', ')}`);
  if (profileDir) lines.push(...summarizeProfiles(profileDir, processes));
  process.stdout.write(`${lines.join('\n')}\n`);

  report({
    area: 'Moonshot',
    what: `postgres: ${options.links.toLocaleString('en-US')} links at 6h, clock ×${options.speed} (${fmt(perRealSecond)} refreshes/s asked), ${options.window} virtual min, ${options.workers} workers, API ${options.rate} req/s`,
    figure: `${fmt(achieved)} refreshes/s, ${fmt(deliveries)} webhooks/s, backlog max ${maxBacklog}, ${drainedAt ? 'drained' : 'not drained'}; API p99 ${fmt(apiTotal.p99)} ms`,
    target: 'no growing backlog, API p99 ≤ 25 ms',
    met: Boolean(drainedAt) && apiTotal.p99 <= 25 && (drainedAt - windowEndedAt) / 1000 < 60,
  });
}

runBench(main, cleanups, log);
