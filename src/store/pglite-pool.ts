import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/**
 * Lets Kysely's PostgresDialect drive PGlite. PGlite is one connection in one process, so the
 * "pool" hands out a single client at a time: a Kysely transaction holds it from BEGIN to
 * COMMIT and every other query waits its turn (a FIFO promise chain).
 */
const YIELD_EVERY_MS = 5;

export interface PglitePool extends PostgresPool {
  /** Turns asked for and not yet released: the one holding the connection and those waiting. */
  pending(): number;
}

export function pglitePool(db: PGlite): PglitePool {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;
  // PGlite answers in microtasks, so a busy queue would never let the event loop accept new
  // sockets or timers; hand the loop a turn every few milliseconds of back-to-back queries.
  let lastYield = performance.now();
  const fairTurn = async () => {
    if (performance.now() - lastYield < YIELD_EVERY_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  };
  const client = {
    async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
      const r = await db.query<R>(sql, parameters as unknown[]);
      return {
        command: (r.command ?? 'SELECT') as PostgresQueryResult<R>['command'],
        rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length,
        rows: r.rows,
      };
    },
  };
  return {
    connect() {
      let release!: () => void;
      const turn = new Promise<void>((resolve) => (release = resolve));
      const ready = tail;
      tail = tail.then(() => turn);
      pending++;
      let released = false;
      const done = () => {
        if (!released) pending--;
        released = true;
        release();
      };
      return ready.then(fairTurn).then(() => ({ ...client, release: done }) as unknown as PostgresPoolClient);
    },
    pending: () => pending,
    async end() {
      await tail;
    },
  };
}
