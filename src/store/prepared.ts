import { CompiledQuery } from 'kysely';

/**
 * Statements of the hot paths, written once as SQL text instead of built by Kysely on each call
 * (the builder and its compiler cost more than the query on a cached row). On PostgreSQL each is
 * also a named prepared statement (src/store/postgres-pool.ts): parsed and planned once per
 * connection, not on every execution. Only the statements declared here are prepared, so the
 * server keeps a bounded set per connection. Their texts must select explicit columns (a
 * prepared `select *` fails once a migration adds a column).
 */
const NAMES = new Map<string, string>();

export interface Prepared<P extends readonly unknown[]> {
  readonly name: string;
  readonly text: string;
  query(...params: P): CompiledQuery;
}

export function prepared<P extends readonly unknown[]>(name: string, text: string): Prepared<P> {
  if (!/^vinculo_[a-z0-9_]+$/.test(name)) throw new Error(`bad prepared statement name ${name}`);
  const known = NAMES.get(text);
  if (known !== undefined && known !== name) throw new Error(`statement ${name} repeats ${known}`);
  for (const [t, n] of NAMES) if (n === name && t !== text) throw new Error(`two statements named ${name}`);
  NAMES.set(text, name);
  return { name, text, query: (...params: P) => CompiledQuery.raw(text, [...params]) };
}

/** The prepared statement's name for this SQL text, if it is one. */
export function preparedName(text: string): string | undefined {
  return NAMES.get(text);
}
