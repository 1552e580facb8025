import type { Kysely } from 'kysely';
import type { Database, Sealed } from '../schema.js';

/**
 * Queries over the tables that hold vault envelopes, for master-key rotation. Rows are addressed
 * by their primary key as `pk` so rotation handles every table the same way.
 * `db` may be a Kysely instance or a Transaction (which extends it).
 */

export interface SealedRow extends Sealed {
  pk: string;
}

/** Every table holding vault envelopes, with its primary key (read and written as `pk`). */
const PRIMARY_KEY = {
  link_credentials: 'link_id',
  mfa_sessions: 'id',
  webhook_endpoints: 'id',
  // A running idempotency key has no envelope yet: its null key_id never matches.
  idempotency_keys: 'id',
  consent_sessions: 'id',
  sandbox_ofb_bank: 'institution',
} as const satisfies Partial<Record<keyof Database, string>>;

export type SealedTable = keyof typeof PRIMARY_KEY;

/** The tables master-key rotation re-wraps (vault.test.ts checks them against the store's columns). */
export const SEALED_TABLES = Object.keys(PRIMARY_KEY) as readonly SealedTable[];

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
  // Every sealed table has the envelope's columns; only the key's name differs (typed as `id`).
  const pk = PRIMARY_KEY[table] as 'id';
  let q = db
    .selectFrom(table as 'mfa_sessions')
    .select((eb) => [eb.ref(pk).as('pk'), 'key_id', 'wrapped_key', 'ciphertext'])
    .where('key_id', '<>', currentKeyId);
  if (afterPk !== null) q = q.where(pk, '>', afterPk);
  return q.orderBy(pk).limit(limit).execute();
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
  const key = PRIMARY_KEY[table] as 'id';
  // `returning` rather than numUpdatedRows: it does not depend on the driver reporting a command tag.
  const rows = await db
    .updateTable(table as 'mfa_sessions')
    .set({ key_id: next.key_id, wrapped_key: next.wrapped_key })
    .where(key, '=', pk)
    .where('key_id', '=', old.key_id)
    .where('wrapped_key', '=', old.wrapped_key)
    .returning(key)
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
