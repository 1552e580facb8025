/**
 * The retention's bounded deletes with a backlog: `npm run bench:retention [-- options]`. Prints
 * figures; never asserts.
 *
 * For each store (PostgreSQL, and the embedded PGlite store beside it), on a fresh database with
 * --tenants tenants (one webhook endpoint each), filled by SQL (generate_series):
 *  - webhook events, one delivery each, round-robin over the tenants, created uniformly over the
 *    last 60 days (so about half are past the 30-day retention); 1 delivery in 100 is a pending
 *    retry (kept whatever its age);
 *  - audit records uniformly over the last 730 days (about half past 365);
 *  - pg-boss archived jobs uniformly over the last 14 days (about half past 7).
 * Then, as the housekeeping runs them (src/retention/service.ts), each step's batch statement
 * (1,000 rows) is run until the step has nothing left, timing every statement: the figure that
 * matters is the longest one (how long a batch holds its row locks). Then a full pass with
 * nothing due (what every housekeeping pass costs in steady state: a probe per tenant per step),
 * median of 5. Finally the emit path: insertEvent (the conditional event + deliveries statement,
 * with the two indexes migration 0007 added) timed over 2,000 calls.
 *
 * Options (argv, or env):
 *   --store embedded|postgres|both   BENCH_STORE        default both (postgres skipped if unreachable)
 *   --tenants N                      BENCH_TENANTS      default 1000
 *   --rows N                         BENCH_ROWS         events (= deliveries) and audit records each, PostgreSQL; default 200000
 *   --rows-embedded N                BENCH_ROWS_EMBEDDED  the same on the embedded store; default 50000
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { RETENTION_BATCH, Retention } from '../src/retention/service.js';
import { createVinculo } from '../src/server.js';
import { deleteOldAuditRecords } from '../src/store/queries/audit.js';
import { deleteOldArchivedJobs } from '../src/store/queries/jobs.js';
import { deleteOldDeliveries, deleteOldEvents, insertEvent } from '../src/store/queries/webhooks.js';
import type { Database } from '../src/store/schema.js';
import { benchConfig, Cleanups, fmt, load, withAdmin } from './support.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: process.env.BENCH_STORE ?? 'both' },
    tenants: { type: 'string', default: process.env.BENCH_TENANTS ?? '1000' },
    rows: { type: 'string', default: process.env.BENCH_ROWS ?? '200000' },
    'rows-embedded': { type: 'string', default: process.env.BENCH_ROWS_EMBEDDED ?? '50000' },
  },
});
const TENANTS = Number(values.tenants);
const ADMIN_URL = process.env.VINCULO_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MASTER_KEY = randomBytes(32).toString('base64');
const log = (m: string) => process.stdout.write(`${m}\n`);
const cleanups = new Cleanups(log);

async function fill(db: Kysely<Database>, rows: number): Promise<void> {
  await sql`insert into tenants (id, name, user_id_key) select gen_random_uuid(), 'bench-' || i, 'x' from generate_series(1, ${TENANTS}) i`.execute(db);
  await sql`insert into webhook_endpoints (id, tenant_id, url, has_authorization, key_id, wrapped_key, ciphertext)
    select gen_random_uuid(), id, 'https://example.com/hooks', false, 'k', 'w', 'c' from tenants`.execute(db);
  // Tenants numbered 0…N-1, each with its endpoint, for the round-robin below.
  await sql`create temporary table bench_t as
    select row_number() over (order by t.id) - 1 as n, t.id as tenant_id, e.id as endpoint_id
    from tenants t join webhook_endpoints e on e.tenant_id = t.id`.execute(db);
  const payload = 'x'.repeat(400);
  await sql`insert into webhook_events (id, tenant_id, link_id, webhook_type, webhook_code, process_type, payload, created_at)
    select md5(i::text), b.tenant_id, null, 'TRANSACTIONS', 'new_transactions_available', 'recurrent_update', ${payload},
      now() - (i::double precision / ${rows}) * interval '60 days'
    from generate_series(1, ${rows}) i join bench_t b on b.n = i % ${TENANTS}`.execute(db);
  await sql`insert into webhook_deliveries (id, tenant_id, event_id, endpoint_id, status, attempts, next_attempt_at, created_at)
    select gen_random_uuid(), e.tenant_id, e.id, b.endpoint_id,
      case when hashtext(e.id) % 100 = 0 then 'pending' else 'delivered' end, 1,
      case when hashtext(e.id) % 100 = 0 then now() + interval '1 minute' end, e.created_at
    from webhook_events e join bench_t b on b.tenant_id = e.tenant_id`.execute(db);
  await sql`insert into audit_log (at, tenant_id, actor, action, link_id, outcome, request_id)
    select now() - (i::double precision / ${rows}) * interval '730 days', b.tenant_id, 'system', 'login', gen_random_uuid(), 'success', null
    from generate_series(1, ${rows}) i join bench_t b on b.n = i % ${TENANTS}`.execute(db);
  const jobs = Math.round(rows / 4);
  await sql`insert into pgboss.archive (id, name, priority, data, state, retry_limit, retry_count, retry_delay, retry_backoff,
      start_after, expire_in, created_on, completed_on, keep_until, archived_on)
    select gen_random_uuid(), 'webhook-deliver', 0, '{}'::jsonb, 'completed', 0, 0, 0, false,
      a, interval '15 minutes', a, a, a + interval '14 days', a
    from (select now() - (i::double precision / ${jobs}) * interval '14 days' as a from generate_series(1, ${jobs}) i) x`.execute(db);
  for (const t of ['tenants', 'webhook_events', 'webhook_deliveries', 'audit_log', 'pgboss.archive']) await sql`vacuum analyze ${sql.raw(t)}`.execute(db);
}

interface Drain {
  rows: number;
  statements: number;
  times: number[];
}

async function drain(batch: () => Promise<number>): Promise<Drain> {
  const d: Drain = { rows: 0, statements: 0, times: [] };
  for (;;) {
    const t0 = performance.now();
    const n = await batch();
    d.times.push(performance.now() - t0);
    d.statements++;
    d.rows += n;
    if (n < RETENTION_BATCH) return d;
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

async function run(store: 'postgres' | 'embedded', rows: number): Promise<void> {
  let config;
  if (store === 'postgres') {
    const name = `vinculo_bench_ret_${process.pid}_${Date.now().toString(36)}`;
    await withAdmin(ADMIN_URL, (c) => c.query(`create database ${name}`));
    cleanups.push(() => withAdmin(ADMIN_URL, (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}));
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    config = benchConfig({ url: url.toString() }, MASTER_KEY);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-ret-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    config = benchConfig({ dataDir: dir }, MASTER_KEY);
  }
  const v = await createVinculo({ config, workers: false, warn: () => {} });
  try {
    const db = v.store.db;
    const t0 = performance.now();
    await fill(db, rows);
    log(`\n== ${store}: ${TENANTS} tenants, ${rows.toLocaleString('en-US')} events + deliveries, ${rows.toLocaleString('en-US')} audit records, ${Math.round(rows / 4).toLocaleString('en-US')} archived jobs (filled in ${fmt((performance.now() - t0) / 1000)} s, load ${load()})`);
    const now = new Date();
    const steps: [string, () => Promise<number>][] = [
      ['webhook deliveries', () => deleteOldDeliveries(db, now, 30, RETENTION_BATCH)],
      ['webhook events', () => deleteOldEvents(db, now, 30, RETENTION_BATCH)],
      ['archived jobs', () => deleteOldArchivedJobs(db, v.services.queue.schema, 7, RETENTION_BATCH)],
      ['audit records', () => deleteOldAuditRecords(db, now, 365, RETENTION_BATCH)],
    ];
    log('step                  rows deleted  statements  ms/statement: median    p95    max   total s   rows/s');
    for (const [name, batch] of steps) {
      const d = await drain(batch);
      const sorted = [...d.times].sort((a, b) => a - b);
      const total = d.times.reduce((a, b) => a + b, 0);
      log(
        `${name.padEnd(20)} ${d.rows.toLocaleString('en-US').padStart(14)} ${String(d.statements).padStart(11)} ${fmt(pct(sorted, 50)).padStart(21)} ${fmt(pct(sorted, 95)).padStart(6)} ${fmt(sorted.at(-1)).padStart(6)} ${fmt(total / 1000, 2).padStart(9)} ${fmt((d.rows / total) * 1000, 0).padStart(8)}`,
      );
    }
    const left = await sql<{ events: number; pending: number }>`
      select (select count(*)::int from webhook_events) as events, (select count(*)::int from webhook_deliveries where status = 'pending') as pending`.execute(db);
    log(`left: ${left.rows[0].events.toLocaleString('en-US')} events, ${left.rows[0].pending.toLocaleString('en-US')} pending deliveries (kept whatever their age)`);

    const retention = new Retention(db, { webhookDays: 30, jobDays: 7, auditDays: 365, jobSchema: v.services.queue.schema });
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await retention.run(new Date());
      idle.push(performance.now() - s);
    }
    idle.sort((a, b) => a - b);
    log(`a full pass with nothing due (5 steps, ${TENANTS} tenants): median ${fmt(idle[2])} ms, max ${fmt(idle[4])} ms`);

    const tenant = (await sql<{ id: string }>`select id from tenants limit 1`.execute(db)).rows[0].id;
    const emits: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = performance.now();
      await insertEvent(db, {
        id: randomBytes(16).toString('hex'),
        tenant_id: tenant,
        link_id: randomUUID(),
        webhook_type: 'TRANSACTIONS',
        webhook_code: 'new_transactions_available',
        process_type: 'recurrent_update',
        payload: 'x'.repeat(400),
        created_at: new Date(),
      });
      emits.push(performance.now() - s);
    }
    emits.sort((a, b) => a - b);
    log(`insertEvent (event + 1 delivery, one statement, autocommit): median ${fmt(pct(emits, 50), 2)} ms, p95 ${fmt(pct(emits, 95), 2)} ms`);
  } finally {
    await v.close();
  }
}

async function main(): Promise<void> {
  log(`retention bench — ${cpus().length} cores, load ${load()}, batch ${RETENTION_BATCH} rows`);
  const stores = values.store === 'both' ? (['postgres', 'embedded'] as const) : [values.store as 'postgres' | 'embedded'];
  try {
    for (const store of stores) {
      if (store === 'postgres') {
        const ok = await withAdmin(ADMIN_URL, async () => true).catch(() => false);
        if (!ok) {
          log(`PostgreSQL not reachable at ${ADMIN_URL}: skipped`);
          continue;
        }
      }
      await run(store, Number(store === 'postgres' ? values.rows : values['rows-embedded']));
    }
  } finally {
    await cleanups.all();
  }
}

void main();
