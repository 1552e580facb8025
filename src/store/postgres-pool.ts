import pg from 'pg';
import { preparedName } from './prepared.js';

/**
 * The PostgreSQL pool, bounded in time: a database that stops answering must turn into a quick
 * 503, never a hung request.
 * - `connectionTimeoutMillis`: waiting for a connection (new, or free in the pool) is bounded;
 * - `statement_timeout`: the server cancels a statement that runs too long;
 * - `query_timeout`: the client gives up on a server that does not answer at all (a network
 *   partition, a paused proxy), where the server-side timeout never fires. pg keeps such a
 *   connection usable once the network is back (tested: src/store/unavailable.test.ts).
 */
export interface PostgresTimeouts {
  connectMs: number;
  statementMs: number;
}

export const DEFAULT_TIMEOUTS: PostgresTimeouts = { connectMs: 5_000, statementMs: 30_000 };

/** How long past the server's own statement timeout the client waits before calling it lost. */
const READ_GRACE_MS = 2_000;

export function createPostgresPool(url: string, max: number, timeouts: PostgresTimeouts = DEFAULT_TIMEOUTS): pg.Pool {
  return keepErrorsInside(new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    query_timeout: timeouts.statementMs + READ_GRACE_MS,
    keepAlive: true,
  }));
}

/**
 * pg-pool listens for errors only on idle connections: a connection checked out (inside a
 * transaction, between two statements) whose server goes away emits an `error` nobody hears,
 * which would crash the process on a database restart. Every connection gets a listener; the
 * statement that uses it next fails, and is answered as such (503).
 */
export function keepErrorsInside(pool: pg.Pool): pg.Pool {
  pool.on('connect', (client) => {
    client.on('error', () => {});
    usePreparedStatements(client);
  });
  return pool;
}

/**
 * The statements declared with `prepared` (./prepared.ts) run as named prepared statements on
 * this connection: pg parses them once per connection, then only binds and executes. Kysely calls
 * `query(text, values)`; every other call goes through unchanged.
 */
function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    const name = args.length === 2 && typeof text === 'string' && Array.isArray(values) ? preparedName(text) : undefined;
    return name === undefined ? query(...args) : query({ name, text, values });
  };
}

function isConnectionLost(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return message === 'Query read timeout' || /Connection terminated|connection timeout/i.test(message);
}

/** SQLSTATEs that say the database cannot serve right now (not that the statement was wrong). */
const UNAVAILABLE_SQLSTATES = new Set([
  '57014', // query_canceled: statement_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '53300', // too_many_connections
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
]);
// Failing to reach the database at all (a reset mid-query is pg's "Connection terminated"; socket
// resets alone are not counted: a client's own aborted request raises them too).
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when `err` means the store did not answer in time or at all (answered as 503, not 500). */
export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
  return isConnectionLost(err) || /timeout exceeded when trying to connect|Connection terminated unexpectedly/i.test(err.message);
}
