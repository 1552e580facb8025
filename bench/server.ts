/**
 * The server side of `npm run bench` (bench/api.ts spawns it: `node --v8-pool-size=1 --import tsx
 * bench/server.ts`, the flags of `npm start`).
 *
 * Runs the server as `npm start` does: the compiled JavaScript in dist/ when the build is current
 * (bin/launch.js decides, as for `npm start`), else the TypeScript in src/ (and says so on stderr).
 * Only this file and bench/hello.ts go through tsx; every module of the server comes from dist/.
 *
 * Opens a store (embedded PGlite in BENCH_DATA_DIR, or the PostgreSQL database BENCH_DATABASE_URL),
 * creates an API key, bulk-seeds BENCH_SEED links for that key's tenant, then listens on 127.0.0.1
 * with two apps on ephemeral ports: the Vinculo API and the hello-world baseline (bench/hello.ts,
 * same Tenants service, same Basic-auth hook). When both listen it prints one JSON line on stdout:
 * {"url","helloUrl","id","password","linkId","seeded","store"}. Everything else goes to stderr.
 *
 * It stops on SIGTERM/SIGINT, when its stdin closes (the parent died), or after BENCH_MAX_SECONDS.
 * Run by hand, keep stdin an idle open pipe: `sleep 3600 | node --import tsx bench/server.ts`
 * (`< /dev/null` stops it at once; never `< /dev/zero`, which it would read forever).
 * BENCH_RATE_LIMIT sets VINCULO_RATE_LIMIT (default off).
 * BENCH_CPU_PROFILE=file.cpuprofile records a V8 CPU profile from "listening" to shutdown (the load
 * only, not the store start and seeding) for investigating where the time goes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import type { Database, NewLink } from '../src/store/schema.js';
import { startCpuProfile } from './support.js';
import { buildHelloApp } from './hello.js';

// What `npm start` runs: dist/ when it is current (a variable path, so tsc does not resolve it).
const launcher = '../bin/launch.js';
const { buildIsCurrent } = (await import(launcher)) as { buildIsCurrent(): boolean };
const compiled = process.env.VINCULO_FROM_SOURCE !== '1' && buildIsCurrent();
const lib = compiled ? '../dist/' : '../src/';
const ext = compiled ? '.js' : '.ts';
const load = <T>(name: string): Promise<T> => import(`${lib}${name}${ext}`) as Promise<T>;
const { loadConfig } = await load<typeof import('../src/config.js')>('config');
const { createLogger } = await load<typeof import('../src/logging.js')>('logging');
const { createVinculo } = await load<typeof import('../src/server.js')>('server');
const { findApiKey } = await load<typeof import('../src/store/queries/tenants.js')>('store/queries/tenants');
const { basicAuth } = await load<typeof import('../src/http/auth.js')>('http/auth');

const env = process.env;
const databaseUrl = env.BENCH_DATABASE_URL?.trim() || '';
const dataDir = env.BENCH_DATA_DIR?.trim() || '';
const seedCount = Number(env.BENCH_SEED ?? 10_000);
const maxSeconds = Number(env.BENCH_MAX_SECONDS ?? 3600);
/** ANALYZE after seeding: always on PostgreSQL; on the embedded store only when BENCH_ANALYZE=1. */
const analyze = Boolean(databaseUrl) || env.BENCH_ANALYZE === '1';
const vacuum = env.BENCH_VACUUM === '1';
const cpuProfile = env.BENCH_CPU_PROFILE?.trim() || '';
/** BENCH_LOG_LEVEL=info: log as a production server does (JSON lines), to /dev/null; unset: no logger. */
const logLevel = env.BENCH_LOG_LEVEL?.trim() || '';
const log = (m: string) => process.stderr.write(`[bench server ${process.pid}] ${m}\n`);
if (!compiled) log('dist/ is missing or older than src/: running the TypeScript through tsx (`npm run build` compiles it)');

if (!databaseUrl && !dataDir) throw new Error('bench/server.ts needs BENCH_DATA_DIR (embedded) or BENCH_DATABASE_URL');
if (!Number.isInteger(seedCount) || seedCount < 1) throw new Error('BENCH_SEED must be a positive integer');

// Built from an explicit env, never process.env: no stray DATABASE_URL or bootstrap key leaks in.
const config = loadConfig({
  VINCULO_DATA_DIR: dataDir || undefined,
  DATABASE_URL: databaseUrl,
  VINCULO_MASTER_KEY: env.VINCULO_MASTER_KEY || randomBytes(32).toString('base64'),
  LOG_LEVEL: 'silent',
  // bench/rate-limit.ts measures the limit's cost; everything else runs without it.
  VINCULO_RATE_LIMIT: env.BENCH_RATE_LIMIT?.trim() || 'off',
});

const STATUSES = ['valid', 'invalid', 'token_required', 'unconfirmed'] as const;
const INSTITUTIONS = ['erebor_mx_retail', 'erebor_br_retail', 'gringotts_mx_retail', 'erebor_co_retail', 'gotham_mx_business'];
const RESOURCES = ['ACCOUNTS', 'OWNERS', 'TRANSACTIONS', 'BALANCES'];

/** Mostly valid: 90% valid, 4% invalid, 3% token_required, 3% unconfirmed. */
function statusFor(i: number): (typeof STATUSES)[number] {
  const r = (i * 7919) % 100;
  return r < 90 ? 'valid' : r < 94 ? 'invalid' : r < 97 ? 'token_required' : 'unconfirmed';
}

/** Bulk INSERTs of ~1000 rows; created_at spread over the last year, newest last. Returns one seeded id. */
async function seedLinks(db: Kysely<Database>, tenantId: string, userId: string, count: number): Promise<string> {
  const batch = 1000;
  const now = Date.now();
  const span = 365 * 86_400_000;
  let sample = '';
  for (let start = 0; start < count; start += batch) {
    const rows: NewLink[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const created = new Date(now - span + Math.floor((span * i) / count) + (i % 997));
      const status = statusFor(i);
      const recurrent = i % 5 !== 0;
      rows.push({
        id: randomUUID(),
        tenant_id: tenantId,
        institution: INSTITUTIONS[i % INSTITUTIONS.length],
        access_mode: recurrent ? 'recurrent' : 'single',
        status,
        refresh_rate: recurrent ? '7d' : null,
        created_by: userId,
        external_id: i % 3 === 0 ? `ext-${i}` : null,
        institution_user_id: `${randomBytes(32).toString('base64url')}=`,
        credentials_storage: recurrent ? 'store' : '30d',
        stale_in: null,
        fetch_resources: recurrent ? RESOURCES : [],
        fetch_historical: recurrent,
        last_accessed_at: status === 'unconfirmed' ? null : created,
        created_at: created,
        updated_at: created,
      });
    }
    await db.insertInto('links').values(rows).execute();
    if (!sample && rows.length > batch / 2) sample = rows[Math.floor(rows.length / 2)].id;
  }
  return sample;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  // API only: background first loads of registered links would compete with what is measured.
  const logger = logLevel ? createLogger(logLevel, pino.destination({ dest: '/dev/null', sync: true })) : undefined;
  const vinculo = await createVinculo({ config, logger, warn: log, workers: false });
  const hello = await buildHelloApp(basicAuth(vinculo.services.tenants));
  let closing: Promise<void> | null = null;
  let stopProfile: (() => Promise<void>) | undefined;
  const shutdown = (why: string) => {
    closing ??= (async () => {
      log(`stopping (${why})`);
      await stopProfile?.();
      await hello.close().catch(() => {});
      await vinculo.close().catch((err) => log(`close failed: ${(err as Error).message}`));
      process.exit(0);
    })();
    return closing;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.stdin.on('end', () => void shutdown('parent closed stdin')).on('error', () => void shutdown('stdin error'));
  process.stdin.resume();
  setTimeout(() => void shutdown(`BENCH_MAX_SECONDS=${maxSeconds} reached`), maxSeconds * 1000).unref();

  const key = await vinculo.services.tenants.createKey({ tenant: 'bench' });
  const row = await findApiKey(vinculo.store.db, key.id);
  if (!row) throw new Error('the new API key is not in the store');
  log(`store ${vinculo.store.kind} ready in ${Date.now() - t0} ms; seeding ${seedCount} links`);
  const t1 = Date.now();
  const linkId = await seedLinks(vinculo.store.db, row.tenant_id, row.user_id, seedCount);
  log(`seeded ${seedCount} links in ${Date.now() - t1} ms`);
  if (analyze || vacuum) {
    const t2 = Date.now();
    await sql.raw(vacuum ? 'VACUUM ANALYZE' : 'ANALYZE').execute(vinculo.store.db);
    log(`${vacuum ? 'VACUUM ANALYZE' : 'ANALYZE'} in ${Date.now() - t2} ms`);
  }

  const url = await vinculo.app.listen({ host: '127.0.0.1', port: 0 });
  const helloUrl = await hello.listen({ host: '127.0.0.1', port: 0 });
  if (cpuProfile) stopProfile = await startCpuProfile(cpuProfile, log);
  process.stdout.write(
    `${JSON.stringify({ url, helloUrl, id: key.id, password: key.password, linkId, seeded: seedCount, store: vinculo.store.kind, compiled })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`[bench server ${process.pid}] failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
