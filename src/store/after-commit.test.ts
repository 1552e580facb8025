import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { freshStore, STORES } from '../../test/helpers/stores.js';
import { afterCommit } from './after-commit.js';
import { openStore, type Store } from './db.js';

/**
 * `afterCommit`: work that must wait for a transaction's commit (a wake-up for rows other
 * connections can only see then) runs right after it, on both stores; never for a rollback.
 */
for (const kind of STORES) {
  describe(`afterCommit [${kind}]`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(await freshStore(kind));
      await sql`create table after_commit_probe (id int primary key)`.execute(store.db);
    });
    after(() => store?.close());

    const visible = async (id: number) =>
      (await sql<{ n: number }>`select count(*)::int as n from after_commit_probe where id = ${id}`.execute(store.db)).rows[0].n === 1;

    it('runs once the transaction has committed, before execute resolves; what it sees is committed', async () => {
      const calls: string[] = [];
      let seen: Promise<boolean> | undefined;
      await store.db.transaction().execute(async (tx) => {
        await sql`insert into after_commit_probe values (1)`.execute(tx);
        assert.equal(await afterCommit(tx, () => {
          calls.push('after commit');
          // On another connection of the pool (PostgreSQL), or the single one once released (embedded).
          seen = visible(1);
        }), true);
        calls.push('transaction body done');
      });
      calls.push('execute resolved');
      assert.deepEqual(calls, ['transaction body done', 'after commit', 'execute resolved']);
      assert.equal(await seen, true);
    });

    it('never runs for a transaction that rolls back, or whose COMMIT finds it aborted', async () => {
      let ran = 0;
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await sql`insert into after_commit_probe values (2)`.execute(tx);
          await afterCommit(tx, () => ran++);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await afterCommit(tx, () => ran++);
          // A failed statement whose error is swallowed: the COMMIT that follows is a ROLLBACK.
          await sql`insert into after_commit_probe values (1)`.execute(tx).catch(() => {});
        }),
      );
      // The connection's next transaction does not inherit what the rolled-back ones registered.
      await store.db.transaction().execute(async (tx) => {
        await sql`insert into after_commit_probe values (3)`.execute(tx);
      });
      assert.equal(ran, 0);
      assert.equal(await visible(2), false);
    });

    it('answers false, registering nothing, outside a transaction', async () => {
      let ran = 0;
      assert.equal(await afterCommit(store.db, () => ran++), false);
      assert.equal(ran, 0);
    });
  });
}
