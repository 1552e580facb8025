/**
 * OFB operational limits per consent and calendar month (São Paulo), as Belvo summarises them:
 * owners 4, accounts 4, balances/limits 240, transactions 4 (windows up to 12 months) or 240
 * (windows of at most 7 days, `transactions-current`). Bills are not in that table; the sandbox
 * bank counts them like accounts, and so do we.
 *
 * How we count. `extract` cannot write the link's state (the server saves only what `login`
 * returns), so the decision is taken at login: every `access` login opens a session and reserves
 * one call of each category its consent allows; once a category has no call left this month,
 * login refuses with InstitutionRateLimitedError until the next month starts. Within a session
 * the shared calls (account lists, details, balances, limits, bills) are made once and reused by
 * every extraction (see extract.ts), so a session calls each endpoint at most once per account —
 * what one reservation covers. Transactions are reserved as the scarcer long window: a refresh's
 * window (since the previous one, minus a week of lookback) is longer than 7 days.
 *
 * Every session lists the accounts (or reads the customer), limited to 4 a month: so a consent
 * serves at most 4 sessions a month whatever else it allows. The bank stays the judge: its own
 * 429 becomes InstitutionRateLimitedError too.
 *
 * A session the bank refused outright (429/423 to each call it made: the bank counts what it
 * serves) spent nothing, and the next session takes over its reservation instead of making one
 * (SessionCache in extract.ts knows which sessions a login of this process opened and whether
 * any of their calls counted; any other failure, or a session this process does not know, counts).
 */
import { InstitutionRateLimitedError } from '../../../errors.js';

export const MONTHLY_LIMITS = {
  owners: 4,
  accounts: 4,
  balances: 240,
  transactions: 4,
  transactionsCurrent: 240,
  bills: 4,
} as const;

export type BudgetCategory = keyof typeof MONTHLY_LIMITS;

export interface Budget {
  /** São Paulo calendar month the counts are for, `YYYY-MM`. */
  month: string;
  used: Partial<Record<BudgetCategory, number>>;
}

/** São Paulo has been UTC-3 all year since 2019. */
const SAO_PAULO_OFFSET_MS = 3 * 3_600_000;

export function saoPauloDay(now: Date): string {
  return new Date(now.getTime() - SAO_PAULO_OFFSET_MS).toISOString().slice(0, 10);
}

export const monthOf = (now: Date): string => saoPauloDay(now).slice(0, 7);

/** Seconds until the next São Paulo month starts, when the bank's counters start over. */
export function secondsToNextMonth(now: Date): number {
  const local = new Date(now.getTime() - SAO_PAULO_OFFSET_MS);
  const next = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) + SAO_PAULO_OFFSET_MS;
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

export const emptyBudget = (now: Date): Budget => ({ month: monthOf(now), used: {} });

/** The categories a session of a consent with these permissions reserves. */
export function sessionCategories(permissions: readonly string[]): BudgetCategory[] {
  const has = (p: string) => permissions.includes(p);
  const out: BudgetCategory[] = [];
  if (has('CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ')) out.push('owners');
  if (has('ACCOUNTS_READ') || has('CREDIT_CARDS_ACCOUNTS_READ')) out.push('accounts');
  if (has('ACCOUNTS_BALANCES_READ') || has('CREDIT_CARDS_ACCOUNTS_LIMITS_READ')) out.push('balances');
  if (has('ACCOUNTS_TRANSACTIONS_READ') || has('CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ')) out.push('transactions');
  if (has('CREDIT_CARDS_ACCOUNTS_BILLS_READ')) out.push('bills');
  return out;
}

/**
 * The budget after reserving one call of each category, or InstitutionRateLimitedError (retry
 * when the month turns) if one of them is spent. A new month starts from zero.
 */
export function reserve(budget: Budget, categories: readonly BudgetCategory[], now: Date): Budget {
  const month = monthOf(now);
  const used = budget.month === month ? { ...budget.used } : {};
  for (const c of categories) {
    if ((used[c] ?? 0) >= MONTHLY_LIMITS[c]) throw new InstitutionRateLimitedError(secondsToNextMonth(now));
  }
  for (const c of categories) used[c] = (used[c] ?? 0) + 1;
  return { month, used };
}
