import { sql, type Kysely } from 'kysely';
import type { QueueStats } from '../../metrics.js';
import type { Database } from '../schema.js';

/**
 * Reads of pg-boss's own tables (src/jobs/queue.ts), for monitoring. pg-boss 10.4's layout: one
 * `queue` row per defined queue, its jobs in `job` (state an enum ordered created < retry <
 * active < completed…) until archived; `job_i5` indexes (name, start_after) of unstarted jobs.
 */

/** Every defined queue's unfinished jobs: runnable, deferred, active, and the oldest runnable's wait. */
export async function queueStats(db: Kysely<any>, schema: string): Promise<QueueStats[]> {
  const { rows } = await sql<{ queue: string; waiting: number; deferred: number; active: number; oldest: number | null }>`
    select q.name as queue,
      count(*) filter (where j.state < 'active' and j.start_after <= now())::int as waiting,
      count(*) filter (where j.state < 'active' and j.start_after > now())::int as deferred,
      count(*) filter (where j.state = 'active')::int as active,
      extract(epoch from now() - min(j.start_after) filter (where j.state < 'active' and j.start_after <= now()))::float8 as oldest
    from ${sql.table(`${schema}.queue`)} q
    left join ${sql.table(`${schema}.job`)} j on j.name = q.name and j.state < 'completed'
    group by q.name
    order by q.name`.execute(db);
  return rows.map((r) => ({
    queue: r.queue,
    waiting: Number(r.waiting),
    deferred: Number(r.deferred),
    active: Number(r.active),
    oldestWaitingSeconds: Math.max(0, Number(r.oldest ?? 0)),
  }));
}


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
