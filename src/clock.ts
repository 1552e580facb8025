import { sql, type Kysely } from 'kysely';
import type { Database } from './store/schema.js';

/**
 * The server's "now". Everything that depends on time — sandbox data, refresh schedules, retries,
 * MFA sessions, expiries — asks the clock, never `Date.now()`, so the sandbox can move time
 * forward (`POST /sandbox/clock/advance/`) and tests never sleep.
 *
 * The virtual clock is real time plus an offset kept in the store, so every process sharing a
 * database agrees on it; `sync()` re-reads it (workers do before each scheduler pass). Webhook
 * signature timestamps stay on real time: receivers reject skew.
 */
export interface Clock {
  now(): Date;
  /** Re-reads a clock that another process may have moved (the sandbox's virtual one). */
  sync?(): Promise<void>;
}

export class VirtualClock implements Clock {
  private offsetMs = 0;

  constructor(private readonly db: Kysely<Database>) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Re-reads the offset another process may have advanced. */
  async sync(): Promise<void> {
    const row = await this.db.selectFrom('sandbox_clock').select('offset_ms').where('id', '=', 1).executeTakeFirst();
    this.offsetMs = row ? Number(row.offset_ms) : 0;
  }

  /** Moves time forward by `seconds` for every process of this store. */
  async advance(seconds: number): Promise<Date> {
    const ms = Math.round(seconds * 1000);
    const row = await this.db
      .insertInto('sandbox_clock')
      .values({ id: 1, offset_ms: String(ms) })
      .onConflict((oc) => oc.column('id').doUpdateSet({ offset_ms: sql`sandbox_clock.offset_ms + ${ms}` }))
      .returning('offset_ms')
      .executeTakeFirstOrThrow();
    this.offsetMs = Number(row.offset_ms);
    return this.now();
  }
}

/** Real time only: the clock when the sandbox is off. */
export const systemClock: Clock = { now: () => new Date() };
