import { PostgresDialect, PostgresDriver, type DatabaseConnection, type Driver, type Kysely, type PostgresDialectConfig } from 'kysely';

/**
 * Work to do once a transaction has committed, and only then: e.g. telling other processes about
 * rows they can only see after the commit. The store's transactions (`db.transaction()` and
 * `db.startTransaction()`, on both stores) run what `afterCommit` registered right after their
 * COMMIT succeeded, before the caller's `execute` resolves; a rollback (or a COMMIT that found the
 * transaction aborted) drops it.
 */

/** Per connection in a transaction: what runs at its commit. */
const pending = new WeakMap<DatabaseConnection, (() => void)[]>();

/**
 * Runs `fn` once `tx`'s transaction has committed; never if it rolls back. Resolves false, and
 * registers nothing, when `tx` is not a transaction of a store opened by `openStore` (the caller
 * must then do without: e.g. act inside the transaction instead). `fn` must not throw.
 */
export async function afterCommit(tx: Kysely<any>, fn: () => void): Promise<boolean> {
  if (!tx.isTransaction) return false;
  // A transaction's executor provides the one connection the transaction runs on.
  const connection = await tx.getExecutor().provideConnection(async (c) => c);
  const list = pending.get(connection);
  if (!list) return false;
  list.push(fn);
  return true;
}

class CommitHookDriver extends PostgresDriver {
  override async beginTransaction(...args: Parameters<PostgresDriver['beginTransaction']>): Promise<void> {
    pending.set(args[0], []);
    await super.beginTransaction(...args);
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    let committed = false;
    try {
      await super.commitTransaction(connection);
      committed = true;
    } finally {
      const list = pending.get(connection) ?? [];
      pending.delete(connection);
      if (committed) for (const fn of list) fn();
    }
  }

  override async rollbackTransaction(...args: Parameters<PostgresDriver['rollbackTransaction']>): Promise<void> {
    pending.delete(args[0]);
    await super.rollbackTransaction(...args);
  }
}

/** Kysely's PostgreSQL dialect (both stores speak it) with `afterCommit` support. */
export class CommitHookDialect extends PostgresDialect {
  constructor(private readonly config: PostgresDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new CommitHookDriver(this.config);
  }
}
