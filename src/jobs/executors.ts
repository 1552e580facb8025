import { CompiledQuery, type Kysely } from 'kysely';
import pg from 'pg';
import type PgBoss from 'pg-boss';
import type { Store } from '../store/db.js';
import { keepErrorsInside } from '../store/postgres-pool.js';

/** Where pg-boss's statements run, per store (see the top comment of src/jobs/queue.ts). */
export interface Executor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  close(): Promise<void>;
}

/** pg-boss statements on the embedded store: inside the pool's single turn (see the top comment). */
export function embeddedExecutor(store: Store): Executor {
  const pglite = store.pglite;
  if (!pglite) throw new Error('embedded store without its PGlite instance');
  return {
    executeSql: (text, values) =>
      store.db.connection().execute(async () => {
        if (values?.length) return pglite.query(text, values);
        try {
          const results = await pglite.exec(text);
          return results[results.length - 1] ?? { rows: [] };
        } catch (err) {
          // A script that failed after its own BEGIN would leave the one connection in an aborted
          // transaction for everybody; end it (a no-op warning when none is open).
          await pglite.exec('ROLLBACK').catch(() => {});
          throw err;
        }
      }),
    close: async () => {},
  };
}

/** pg-boss statements on PostgreSQL: the queue's own pool on the store's URL. */
export function postgresExecutor(url: string | undefined, max: number, onError: (err: unknown) => void): Executor {
  if (!url) throw new Error('PostgreSQL store without its URL');
  const pool = keepErrorsInside(new pg.Pool({ connectionString: url, max, application_name: 'vinculo-jobs' }));
  pool.on('error', onError);
  return {
    async executeSql(text, values) {
      if (values?.length) return pool.query(text, values);
      // Parameterless multi-statement scripts: pg answers with one result per statement.
      const client = await pool.connect();
      try {
        const result = (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
        client.release();
        return Array.isArray(result) ? (result[result.length - 1] ?? { rows: [] }) : result;
      } catch (err) {
        client.release(err as Error); // never hand back a connection left inside a failed BEGIN
        throw err;
      }
    },
    close: () => pool.end(),
  };
}

/** Runs a pg-boss statement on a Kysely transaction's (or Kysely instance's) connection. */
export function kyselyExecutor(db: Kysely<any>): PgBoss.Db {
  return { executeSql: (text, values) => db.executeQuery(CompiledQuery.raw(text, values ?? [])) };
}
