import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Deletes up to `limit` of pg-boss's archived jobs (completed, failed or cancelled jobs it moved
 * out of its job table) archived more than `days` ago, in real time (the queue is not any one
 * tenant's), oldest first. `schema` is pg-boss's. Returns how many it deleted.
 */
export async function deleteOldArchivedJobs(db: Kysely<Database>, schema: string, days: number, limit: number): Promise<number> {
  const archive = sql.table(`${schema}.archive`);
  const r = await sql`
    delete from ${archive} where ctid = any(array(
      select ctid from ${archive} where archived_on < now() - make_interval(days => ${days})
      order by archived_on limit ${limit}))`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
