import type { Kysely } from 'kysely';
import type { Database, Sealed } from '../schema.js';

/**
 * Queries over the tables that hold vault envelopes, for master-key rotation. Rows are addressed
 * by their primary key as `pk` so rotation handles every table the same way.
 * `db` may be a Kysely instance or a Transaction (which extends it).
 */

export type SealedTable = 'link_credentials' | 'mfa_sessions' | 'webhook_endpoints' | 'idempotency_keys' | 'consent_sessions' | 'sandbox_ofb_bank';

export interface SealedRow extends Sealed {
  pk: string;
}

/**
 * Up to `limit` rows not wrapped by `currentKeyId`, in primary-key order after `afterPk`.
 * Keyset paging (rather than "first N still old") guarantees one pass ends even when some rows
 * cannot be updated (changed concurrently) or keep being rewritten with an old key.
 */
export async function findSealedToRewrap(
  db: Kysely<Database>,
  table: SealedTable,
  currentKeyId: string,
  limit: number,
  afterPk: string | null = null,
): Promise<SealedRow[]> {
  // Literal branches keep the builder fully typed (the tables name their key differently).
  if (table === 'link_credentials') {
    let q = db
      .selectFrom('link_credentials')
      .select(['link_id as pk', 'key_id', 'wrapped_key', 'ciphertext'])
      .where('key_id', '<>', currentKeyId);
    if (afterPk !== null) q = q.where('link_id', '>', afterPk);
    return q.orderBy('link_id').limit(limit).execute();
  }
  if (table === 'sandbox_ofb_bank') {
    let q = db
      .selectFrom('sandbox_ofb_bank')
      .select(['institution as pk', 'key_id', 'wrapped_key', 'ciphertext'])
      .where('key_id', '<>', currentKeyId);
    if (afterPk !== null) q = q.where('institution', '>', afterPk);
    return q.orderBy('institution').limit(limit).execute();
  }
  // mfa_sessions, webhook_endpoints, idempotency_keys and consent_sessions: keyed by `id` (a
  // running idempotency key has no envelope yet: its null key_id never matches).
  let q = db
    .selectFrom(table as 'mfa_sessions')
    .select(['id as pk', 'key_id', 'wrapped_key', 'ciphertext'])
    .where('key_id', '<>', currentKeyId);
  if (afterPk !== null) q = q.where('id', '>', afterPk);
  return q.orderBy('id').limit(limit).execute();
}

/**
 * Replaces a row's wrapped data key, only if it still holds the envelope we read (`old`): a
 * concurrent writer that re-sealed the row meanwhile has a new data key, and pairing our re-wrap
 * of the old one with its new ciphertext would make the row unreadable. Matching `wrapped_key`
 * (unique per seal) and not only `key_id` also covers writers still sealing with the old key.
 * The ciphertext is not touched. Returns whether the row was updated.
 */
export async function updateWrappedKey(
  db: Kysely<Database>,
  table: SealedTable,
  pk: string,
  old: Pick<Sealed, 'key_id' | 'wrapped_key'>,
  next: Pick<Sealed, 'key_id' | 'wrapped_key'>,
): Promise<boolean> {
  const set = { key_id: next.key_id, wrapped_key: next.wrapped_key };
  // `returning` rather than numUpdatedRows: it does not depend on the driver reporting a command tag.
  const rows =
    table === 'link_credentials'
      ? await db
          .updateTable('link_credentials')
          .set(set)
          .where('link_id', '=', pk)
          .where('key_id', '=', old.key_id)
          .where('wrapped_key', '=', old.wrapped_key)
          .returning('link_id')
          .execute()
      : table === 'sandbox_ofb_bank'
        ? await db
            .updateTable('sandbox_ofb_bank')
            .set(set)
            .where('institution', '=', pk)
            .where('key_id', '=', old.key_id)
            .where('wrapped_key', '=', old.wrapped_key)
            .returning('institution')
            .execute()
        : await db
          .updateTable(table as 'mfa_sessions')
          .set(set)
          .where('id', '=', pk)
          .where('key_id', '=', old.key_id)
          .where('wrapped_key', '=', old.wrapped_key)
          .returning('id')
          .execute();
  return rows.length === 1;
}

/** How many rows of `table` are not wrapped by `currentKeyId` (rotation progress). */
export async function countSealedToRewrap(db: Kysely<Database>, table: SealedTable, currentKeyId: string): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('key_id', '<>', currentKeyId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
