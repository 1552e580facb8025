import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';

type Db = Kysely<Database>;

/**
 * The bucket's tokens refilled up to the statement's moment: `b` is the stored row, `now` the
 * moment. Never more than `burst`; a clock that went back (another process's later write) adds
 * nothing.
 */
const refilled = (rate: number, burst: number, now: RawBuilder<unknown>) =>
  sql`least(${burst}::float8, b.tokens + ${rate}::float8 * greatest(0, extract(epoch from ${now} - b.updated_at)::float8))`;

/**
 * Takes one token from key `keyId`'s bucket (`rate` tokens a second, at most `burst`), in one
 * statement, atomic across processes: a new key's bucket starts full; an existing one is refilled
 * from the time elapsed since its last write, on the database's clock (`clock_timestamp()`, the
 * one clock every API process shares). Returns the tokens left when one was taken, null when the
 * bucket held less than one (then nothing is written: refill is computed from `updated_at`).
 */
export async function takeRateLimitToken(db: Db, keyId: string, rate: number, burst: number): Promise<number | null> {
  const r = await sql<{ tokens: number }>`
    insert into rate_limit_buckets as b (key_id, tokens, updated_at)
    values (${keyId}, ${burst - 1}::float8, clock_timestamp())
    on conflict (key_id) do update set
      tokens = ${refilled(rate, burst, sql`excluded.updated_at`)} - 1,
      updated_at = greatest(b.updated_at, excluded.updated_at)
    where ${refilled(rate, burst, sql`excluded.updated_at`)} >= 1
    returning tokens`.execute(db);
  return r.rows.length ? Number(r.rows[0].tokens) : null;
}

/** The tokens key `keyId`'s bucket holds now (after a refused take: for Retry-After). */
export async function rateLimitTokens(db: Db, keyId: string, rate: number, burst: number): Promise<number> {
  const r = await sql<{ tokens: number }>`
    select ${refilled(rate, burst, sql`clock_timestamp()`)} as tokens from rate_limit_buckets b where key_id = ${keyId}`.execute(db);
  return r.rows.length ? Number(r.rows[0].tokens) : burst;
}
