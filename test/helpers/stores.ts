import { after, describe, it } from 'node:test';
import pg from 'pg';
import { migrate, openStore, type StoreOptions } from '../../src/store/db.js';

/**
 * Which stores the HTTP suites run on. Embedded (PGlite) always. PostgreSQL when reachable at
 * VINCULO_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); each harness gets a
 * fresh database cloned from a migrated template. With VINCULO_TEST_REQUIRE_POSTGRES=1 (CI) an
 * unreachable PostgreSQL fails the run instead of being skipped.
 */
export type StoreName = 'embedded' | 'postgres';

const adminUrl = process.env.VINCULO_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const requirePostgres = process.env.VINCULO_TEST_REQUIRE_POSTGRES === '1';
const runId = `${process.pid}_${Date.now().toString(36)}`;
let counter = 0;

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const postgresProblem = await probe();
if (postgresProblem && requirePostgres) {
  throw new Error(`PostgreSQL is required (VINCULO_TEST_REQUIRE_POSTGRES=1) but unreachable at ${adminUrl}: ${postgresProblem}`);
}
if (postgresProblem) {
  process.stdout.write(`# PostgreSQL suite skipped: not reachable at ${adminUrl} (${postgresProblem})\n`);
  describe('PostgreSQL store', () => it.skip(`skipped: PostgreSQL not reachable at ${adminUrl}`));
}

export const STORES: readonly StoreName[] = postgresProblem ? ['embedded'] : ['embedded', 'postgres'];

/**
 * A suite that only PostgreSQL can run (several real processes sharing one store), declared only
 * when it is reachable: the one skip above says when it is not (and `.ci/run` requires it).
 */
export function describePostgres(name: string, fn: () => void): void {
  if (!postgresProblem) describe(name, fn);
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const created: string[] = [];
let template: Promise<string> | null = null;
let embeddedTemplate: Promise<Blob> | null = null;

/** A migrated PostgreSQL database to clone (CREATE DATABASE … TEMPLATE is much faster than migrating). */
function postgresTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `vinculo_tpl_${runId}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    created.push(name);
    const store = await openStore({ kind: 'postgres', url: withDatabase(adminUrl, name), poolSize: 1 });
    await migrate(store.db);
    await store.close();
    return name;
  })();
  return template;
}

/** A migrated PGlite data directory dump: loading it (~1 s) beats a fresh initdb (~4 s). */
function pgliteTemplate(): Promise<Blob> {
  embeddedTemplate ??= (async () => {
    const store = await openStore({ kind: 'embedded', dataDir: null });
    await migrate(store.db);
    const dump = await store.pglite!.dumpDataDir('none');
    await store.close();
    return dump;
  })();
  return embeddedTemplate;
}

/** Store options for a fresh, migrated, empty database of the given kind. */
export async function freshStore(name: StoreName): Promise<StoreOptions> {
  if (name === 'embedded') return { kind: 'embedded', dataDir: null, loadDataDir: await pgliteTemplate() };
  const tpl = await postgresTemplate();
  const db = `vinculo_t_${runId}_${++counter}`;
  await admin((c) => c.query(`CREATE DATABASE ${db} TEMPLATE ${tpl}`));
  created.push(db);
  return { kind: 'postgres', url: withDatabase(adminUrl, db), poolSize: 10 };
}

/**
 * Runs `fn` while the PostgreSQL database at `url` refuses connections, its open ones cut (a
 * store that went away); then lets them in again.
 */
export async function whileRefusingConnections<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const name = new URL(url).pathname.slice(1);
  return admin(async (c) => {
    const db = c.escapeIdentifier(name);
    await c.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    try {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      return await fn();
    } finally {
      await c.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
    }
  });
}

after(async () => {
  if (!created.length) return;
  await admin(async (c) => {
    for (const db of created.reverse()) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }).catch(() => {});
});
