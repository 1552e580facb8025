import type { Kysely } from 'kysely';

const DEADLOCK_DETECTED = '40P01';
const ATTEMPTS = 3;

/**
 * Runs a statement that stands alone (its own transaction), again when PostgreSQL chose it as the
 * victim of a deadlock: the victim's work is rolled back whole, so running it again is safe, and
 * by then the other transaction has usually finished. Statements inside a caller's transaction
 * are run once: the deadlock aborted that transaction, and only its owner can start it again.
 * Used where two legitimate writers lock the same rows in orders one statement cannot fix (a link
 * deleted while its first load inserts its data; deliveries parked while another worker records
 * the earlier ones of the same links).
 */
export async function retryingDeadlocks<T>(db: Kysely<any>, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (db.isTransaction || attempt >= ATTEMPTS || (err as { code?: string }).code !== DEADLOCK_DETECTED) throw err;
    }
  }
}
