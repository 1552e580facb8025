import { createHash, randomInt } from 'node:crypto';

/**
 * When a recurrent link refreshes next: pure functions of the link, its rate and "now".
 *
 * - 6h, 12h, 24h, 7d: every link has a fixed slot within the period (a hash of its id), so links
 *   of one rate are spread uniformly over the period instead of all firing at midnight, and a
 *   link keeps its slot from one refresh to the next.
 * - 30d: Belvo's monthly rule. A link gets a random day 1–20 and keeps it while refreshes
 *   succeed. A failure retries on the following days, up to 6 attempts; a success after the 20th
 *   or a 6th failure moves it to a new random day 1–20 of the next month. Nothing is first
 *   scheduled after the 20th (those days are the retries' buffer). The time of day is the link's
 *   slot within 24 h, so monthly links spread over the day too.
 * All times are UTC.
 */

export const REFRESH_PERIODS: Readonly<Record<string, number>> = Object.freeze({
  '6h': 6 * 3600,
  '12h': 12 * 3600,
  '24h': 24 * 3600,
  '7d': 7 * 86400,
});
export const MONTHLY = '30d';
export const MONTHLY_LAST_DAY = 20;
export const MONTHLY_MAX_ATTEMPTS = 6;
const DAY = 86400;

/** The link's fixed offset within a period of `seconds`: uniform over links, stable per link. */
export function slotOf(linkId: string, seconds: number): number {
  const h = createHash('sha256').update(linkId).digest();
  return h.readUIntBE(0, 6) % seconds;
}

/** The first time after `after` that falls on the link's slot of `period` seconds. */
export function nextSlot(linkId: string, period: number, after: Date): Date {
  const t = Math.floor(after.getTime() / 1000);
  const slot = slotOf(linkId, period);
  let next = t - (t % period) + slot;
  if (next <= t) next += period;
  return new Date(next * 1000);
}

export interface MonthlyState {
  /** The sticky day (1–20); null before the first schedule. */
  day: number | null;
  /** Failed refreshes in a row. */
  attempts: number;
}

export interface Planned {
  at: Date;
  day: number | null;
  attempts: number;
}

export type RandomDay = () => number;
const randomDay: RandomDay = () => randomInt(1, MONTHLY_LAST_DAY + 1);

function at(year: number, month: number, day: number, secondOfDay: number): Date {
  return new Date(Date.UTC(year, month, day) + secondOfDay * 1000);
}

/** The first schedule of a 30d link: its day this month if still ahead, else next month. */
export function firstMonthly(linkId: string, now: Date, pick: RandomDay = randomDay): Planned {
  const day = pick();
  const sec = slotOf(linkId, DAY);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const thisMonth = at(y, m, day, sec);
  return { at: thisMonth > now ? thisMonth : at(y, m + 1, day, sec), day, attempts: 0 };
}

/** After a monthly refresh ran at `now` (succeeded or not): when the next one runs. */
export function afterMonthly(linkId: string, state: MonthlyState, now: Date, ok: boolean, pick: RandomDay = randomDay): Planned {
  const sec = slotOf(linkId, DAY);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const today = now.getUTCDate();
  if (ok) {
    // A success by the 20th makes today the sticky day; after it, a new random day next month.
    const day = today <= MONTHLY_LAST_DAY ? today : pick();
    return { at: at(y, m + 1, day, sec), day, attempts: 0 };
  }
  const attempts = state.attempts + 1;
  if (attempts >= MONTHLY_MAX_ATTEMPTS) {
    const day = pick();
    return { at: at(y, m + 1, day, sec), day, attempts: 0 };
  }
  // Retry tomorrow at the same time of day.
  return { at: at(y, m, today + 1, sec), day: state.day, attempts };
}

/** Backoff after a refresh that could not reach the institution: 5 min doubling, at most one period. */
export function retryAfterDown(attempts: number, period: number, now: Date): Date {
  const seconds = Math.min(300 * 2 ** Math.min(attempts, 20), period);
  return new Date(now.getTime() + seconds * 1000);
}
