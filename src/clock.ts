import type { Kysely } from 'kysely';
import { advanceTenantClock, resetTenantClocks, tenantClockOffset } from './store/queries/tenants.js';
import type { Database } from './store/schema.js';

/**
 * The server's "now", per tenant. Everything that depends on time — sandbox data, refresh
 * schedules, retries, MFA sessions, expiries — asks the clock for the tenant concerned, never
 * `Date.now()`, so the sandbox can move a tenant's time forward (`POST /sandbox/clock/advance/`)
 * and tests never sleep.
 *
 * A tenant is a test environment: its virtual clock is real time plus an offset kept on its row
 * in the store (so every process agrees on it, and one tenant's advance is never another's).
 * The scheduler does not ask the clock: its queries add each tenant's offset in SQL, so one pass
 * serves every tenant. Webhook signature timestamps stay on real time: receivers reject skew.
 */
export interface Clock {
  /**
   * The tenant's now. Inside a transaction pass it as `db`: the embedded store has one
   * connection, so a read outside the transaction would wait for it forever.
   */
  now(tenantId: string, db?: Kysely<Database>): Promise<Date>;
}

export class SandboxClocks implements Clock {
  constructor(private readonly db: Kysely<Database>) {}

  async now(tenantId: string, db: Kysely<Database> = this.db): Promise<Date> {
    const offset = await tenantClockOffset(db, tenantId);
    return new Date(Date.now() + offset);
  }

  /** Moves the tenant's time forward by `seconds`, for every process of this store. */
  async advance(tenantId: string, seconds: number): Promise<Date> {
    const offset = await advanceTenantClock(this.db, tenantId, Math.round(seconds * 1000));
    return new Date(Date.now() + offset);
  }
}

/** Puts every tenant's clock back on real time; returns how many had moved. */
export const resetSandboxClocks = (db: Kysely<Database>): Promise<number> => resetTenantClocks(db);

/** Real time only: the clock when the sandbox is off. */
export const systemClock: Clock = { now: async () => new Date() };
