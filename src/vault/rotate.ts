import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { findSealedToRewrap, SEALED_TABLES, updateWrappedKey } from '../store/queries/sealed.js';
import type { Vault } from './vault.js';

/**
 * Re-wraps every stored envelope not under the vault's current master key. Safe while the server
 * runs (which must already seal with the new key and know the old ones as previous):
 * - each row is re-wrapped on its own and its update is conditional on the envelope being
 *   unchanged, so a row rewritten meanwhile is simply left to its writer;
 * - rows are read outside the transaction and crypto happens before it, so each batch's
 *   transaction only holds the (on PGlite: single) connection for the writes.
 * One pass in primary-key order, so it always ends; rows skipped because they changed, or written
 * with an old key behind the cursor, are picked up by running it again.
 * Throws VinculoError('vault_error') on a row wrapped by a key the vault does not know; batches
 * already committed stay committed (re-running is idempotent).
 */
export async function rotateMaster(
  db: Kysely<Database>,
  vault: Vault,
  { batchSize = 500 }: { batchSize?: number } = {},
): Promise<{ rewrapped: number }> {
  let rewrapped = 0;
  for (const table of SEALED_TABLES) {
    let after: string | null = null;
    for (;;) {
      const rows = await findSealedToRewrap(db, table, vault.currentKeyId, batchSize, after);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].pk;
      const updates = rows.map((row) => ({ row, next: vault.rewrap(row) }));
      rewrapped += await db.transaction().execute(async (trx) => {
        let n = 0;
        for (const { row, next } of updates) {
          if (await updateWrappedKey(trx, table, row.pk, row, next)) n++;
        }
        return n;
      });
      if (rows.length < batchSize) break;
    }
  }
  return { rewrapped };
}
