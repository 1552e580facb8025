import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, sql, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommitHookDialect } from './after-commit.js';
import { lockDataDir } from './embedded-lock.js';
import { copyStoreTemplate } from './template.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';
import type { PoolStats } from '../metrics.js';
import { pglitePool } from './pglite-pool.js';
import { createPostgresPool, type PostgresTimeouts } from './postgres-pool.js';

export type StoreKind = 'embedded' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreKind;
  /** The embedded engine, when the store is embedded (tests dump it as a template). */
  readonly pglite?: PGlite;
  /** The connection URL, when the store is PostgreSQL (the job queue opens its own connections). */
  readonly url?: string;
  /** The connection pool's state now (monitoring). */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: 'postgres'; url: string; poolSize?: number; timeouts?: PostgresTimeouts }
  /** `dataDir: null` keeps the database in memory (tests). */
  | { kind: 'embedded'; dataDir: string | null; owner?: string; loadDataDir?: Blob };

// Return timestamps/dates the same way on both stores (pg parses them itself; keep int8 as string).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.kind === 'postgres') {
    const pool = createPostgresPool(options.url, options.poolSize ?? 10, options.timeouts);
    // An idle connection the server drops (restart, proxy timeout) must not crash the process:
    // the pool discards it and opens another on the next query.
    pool.on('error', (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`));
    const db = new Kysely<Database>({ dialect: new CommitHookDialect({ pool }) });
    const poolStats = () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount });
    return { db, kind: 'postgres', url: options.url, poolStats, close: () => db.destroy() };
  }
  const unlock = options.dataDir ? lockDataDir(options.dataDir, options.owner ?? 'vinculo') : () => {};
  const awake = keepLoopAwake();
  try {
    const pglite = options.dataDir ? openDataDir(options.dataDir) : new PGlite({ ...PGLITE_OPTIONS, loadDataDir: options.loadDataDir });
    await pglite.waitReady;
    const pool = pglitePool(pglite);
    const db = new Kysely<Database>({ dialect: new CommitHookDialect({ pool }) });
    return {
      db,
      kind: 'embedded',
      pglite,
      // One connection: in use while anybody holds its turn; everybody else waits.
      poolStats: () => ({ inUse: Math.min(1, pool.pending()), idle: pool.pending() ? 0 : 1, waiting: Math.max(0, pool.pending() - 1) }),
      async close() {
        awake();
        await db.destroy();
        await pglite.close();
        unlock();
      },
    };
  } catch (err) {
    awake();
    unlock();
    throw err;
  }
}

/**
 * V8 compiles PGlite's hot wasm functions again, optimised, on a background thread. Whenever the
 * event loop has nothing active (no listener yet, no timer — a start-up that only awaits the
 * in-process database), Node waits for *all* background tasks before going on: ~0.35 s of a 1.4 s
 * start was the main thread blocked on that compilation. A timer keeps the loop alive meanwhile;
 * it stops holding the process after the first 30 s (a process that forgets to close its store
 * still exits) and when the store closes. Returns the release.
 */
function keepLoopAwake(): () => void {
  const timer = setInterval(() => {}, 1000);
  setTimeout(() => timer.unref(), 30_000).unref();
  return () => clearInterval(timer);
}

/**
 * PostgreSQL's default shared_buffers (128 MB) is all resident in PGlite's memory from the start;
 * 16 MB keeps an idle server small (~150 MB less). Pages beyond it come from the OS's file cache.
 */
const PGLITE_OPTIONS = { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] };

/**
 * Opens (creating it if needed) the embedded database in `dataDir`/pgdata. A new one is a copy of
 * the build's migrated template when there is one (src/store/template.ts), else PGlite runs initdb.
 */
function openDataDir(dataDir: string): PGlite {
  const pgdata = join(dataDir, 'pgdata');
  if (!existsSync(join(pgdata, 'PG_VERSION'))) copyStoreTemplate(pgdata);
  return new PGlite(pgdata, PGLITE_OPTIONS);
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies pending migrations; returns the names applied. Throws on the first failure. */
export async function migrate(db: Kysely<Database>): Promise<string[]> {
  // Every start calls this; on an up-to-date database one read says so (the migrator's own
  // check takes its lock table and a transaction: ~0.3 s on a cold embedded store).
  if (await upToDate(db)) return [];
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function upToDate(db: Kysely<Database>): Promise<boolean> {
  // No migration table yet (a new database): asked first, so the server logs no error for it.
  const { rows: table } = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db);
  if (!table[0]?.t) return false;
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  const known = Object.keys(migrations).sort();
  return rows.length === known.length && rows.every((r, i) => r.name === known[i]);
}
