import { sql, type Kysely } from 'kysely';
import type { Database, Sealed } from '../schema.js';

type Db = Kysely<Database>;

export interface IdempotencyClaim {
  id: string;
  tenant_id: string;
  key: string;
  request_hash: string;
  claimed_at: Date;
  expires_at: Date;
}

/**
 * Claims (tenant, key) for a request about to run: inserts the `running` row, or takes over a row
 * that expired (housekeeping has not deleted it yet) or that is still `running` since before
 * `staleBefore` (its process died). One statement, so of two requests racing for one key exactly
 * one gets the row: the other's insert waits for the first to commit and then finds the conflict.
 * Null when another holds the key; else the claim, with the `effect` a dead process's run
 * recorded under the key (kept on a stale takeover, cleared on an expired one).
 */
export async function claimIdempotencyKey(db: Db, row: IdempotencyClaim, staleBefore: Date): Promise<{ effect: string | null } | null> {
  const r = await sql<{ effect: string | null }>`
    insert into idempotency_keys as k (id, tenant_id, key, request_hash, state, claimed_at, expires_at)
    values (${row.id}, ${row.tenant_id}, ${row.key}, ${row.request_hash}, 'running', ${row.claimed_at}, ${row.expires_at})
    on conflict (tenant_id, key) do update set
      id = excluded.id, request_hash = excluded.request_hash, state = 'running', status = null,
      key_id = null, wrapped_key = null, ciphertext = null,
      claimed_at = excluded.claimed_at, expires_at = excluded.expires_at,
      effect = case when k.expires_at <= excluded.claimed_at then null else k.effect end
    where k.expires_at <= excluded.claimed_at or (k.state = 'running' and k.claimed_at <= ${staleBefore})
    returning effect`.execute(db);
  return r.rows[0] ?? null;
}

/** Records what claim `id`'s request has done, inside the transaction that does it. */
export async function recordIdempotencyEffect(db: Db, id: string, effect: string): Promise<void> {
  await db.updateTable('idempotency_keys').set({ effect }).where('id', '=', id).where('state', '=', 'running').execute();
}

export function findIdempotencyKey(db: Db, tenantId: string, key: string) {
  return db
    .selectFrom('idempotency_keys')
    .select(['id', 'request_hash', 'state', 'status', 'key_id', 'wrapped_key', 'ciphertext'])
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Records the answer of claim `id`; false when the claim was lost meanwhile (taken over as stale). */
export async function completeIdempotencyKey(db: Db, id: string, status: number, sealed: Sealed): Promise<boolean> {
  const rows = await db
    .updateTable('idempotency_keys')
    .set({ state: 'completed', status, ...sealed })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .returning('id')
    .execute();
  return rows.length === 1;
}

/** Marks `running` claims `ids` as alive at `now` (the heartbeat of the process running them). */
export async function touchIdempotencyKeys(db: Db, ids: string[], now: Date): Promise<void> {
  await db.updateTable('idempotency_keys').set({ claimed_at: now }).where('id', 'in', ids).where('state', '=', 'running').execute();
}

/** Gives up claim `id` (its answer is not to be replayed): the next request with the key runs. */
export async function releaseIdempotencyKey(db: Db, id: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).where('state', '=', 'running').execute();
}

/**
 * Deletes up to `limit` keys expired at `now` (housekeeping). Rows another pass is deleting are
 * skipped, so several workers never wait on each other. Returns how many went.
 */
export async function deleteExpiredIdempotencyKeys(db: Db, now: Date, limit: number): Promise<number> {
  const r = await sql`
    delete from idempotency_keys where id in (
      select id from idempotency_keys where expires_at <= ${now} order by expires_at limit ${limit} for update skip locked
    )`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
