/**
 * The dated history of a sandbox bank user's accounts.
 *
 * How history stays stable while time moves forward:
 * - Each account's history is cut into periods: calendar months, or billing cycles for credit
 *   cards. A period's transactions are a pure function of (user, account, period), drafted by
 *   `bank-drafts.ts`; `now` only decides which of them are visible (accounting time <= now) and
 *   which are still PENDING.
 * - A period's opening balance is computed without walking history: for current, savings and
 *   investment accounts it is a seeded "level" for that month, and a last-day-of-month transfer
 *   makes each month end exactly at the next month's opening; a card opens each cycle owing the
 *   previous cycle's charges (the user pays every statement in full); a loan's balance follows
 *   its installment schedule in closed form. So any window needs only the periods it touches,
 *   running balances chain exactly across periods, and a transaction never changes once dated.
 *
 * Amounts are integer cents throughout; records convert to decimals at the very end.
 */
import { dayInMonth, monthIndex, compactDate, ymd, DAY_MS } from './calendar.js';
import { K, roundCents, type AccountPlan, type BankPlan } from './bank-plan.js';
import {
  draftBalancing,
  draftLinked,
  draftOrder,
  draftOwn,
  growth,
  type Draft,
  type Flow,
  type LedgerView,
  type MerchantData,
} from './bank-drafts.js';
import type { TxCategory } from './merchants.js';
import { rng } from './random.js';

export type { Flow, MerchantData } from './bank-drafts.js';

export interface LedgerTxn {
  id: string;
  day: number;
  /** Seconds after midnight UTC; unique within the account and day. */
  sec: number;
  /** Epoch milliseconds of the accounting time. */
  ms: number;
  flow: Flow;
  /** Positive, in cents. */
  amount: number;
  /** After this transaction, in cents (a debt for cards and loans). */
  balance: number;
  description: string;
  observations: string | null;
  category: TxCategory;
  subcategory: string | null;
  merchant: MerchantData | null;
  reference: string;
  /** Credit cards: the billing cycle (period index) the purchase belongs to. */
  cycle: number | null;
}

export interface Period {
  index: number;
  start: number;
  end: number;
  /** Balance before the period's first transaction, in cents. */
  opening: number;
  txns: LedgerTxn[];
}

export class Ledger implements LedgerView {
  private readonly periods = new Map<string, Period>();
  private readonly own = new Map<string, Draft[]>();
  private readonly chargeTotals = new Map<string, number>();
  private readonly checking = new Map<string, Draft[]>();

  constructor(readonly plan: BankPlan) {}

  account(index: number): AccountPlan {
    return this.plan.accounts[index];
  }

  /** The period (month or billing cycle) `day` belongs to. */
  periodOf(account: AccountPlan, day: number): number {
    const { year, month, day: d } = ymd(day);
    const m = monthIndex(year, month);
    return d >= account.anchor ? m : m - 1;
  }

  periodStart(account: AccountPlan, p: number): number {
    return dayInMonth(p, account.anchor);
  }

  periodEnd(account: AccountPlan, p: number): number {
    return this.periodStart(account, p + 1) - 1;
  }

  /** The period with its transactions and running balances (memoised per extraction). */
  period(account: AccountPlan, p: number): Period {
    const key = `${account.index}:${p}`;
    const cached = this.periods.get(key);
    if (cached) return cached;
    const start = this.periodStart(account, p);
    const end = this.periodEnd(account, p);
    const opening = this.opening(account, p);
    const drafts = account.kind === 'checking' ? [...this.checkingDrafts(account, p)] : [...this.ownDrafts(account, p), ...draftLinked(this, account, p, start, end, opening)];

    if (account.kind === 'checking' || account.kind === 'savings' || account.kind === 'investment') {
      // The transfer that lands the month exactly on next month's opening balance.
      const net = drafts.reduce((s, d) => s + (d.flow === 'INFLOW' ? d.amount : -d.amount), 0);
      const gap = this.opening(account, p + 1) - opening - net;
      if (gap !== 0 && end >= account.openedDay) drafts.push(draftBalancing(this.plan, account, p, end, gap));
    }

    const txns = this.settle(account, p, drafts, opening);
    const period: Period = { index: p, start, end, opening, txns };
    this.periods.set(key, period);
    return period;
  }

  /** Balance before the first transaction of period `p`, in cents. */
  opening(account: AccountPlan, p: number): number {
    const start = this.periodStart(account, p);
    const end = this.periodEnd(account, p);
    if (end < account.openedDay) return 0;
    switch (account.kind) {
      case 'credit':
        // The user pays each statement in full, so a cycle opens owing the previous cycle's charges.
        return this.charges(account, p - 1);
      case 'loan':
        return this.loanOpening(account, p);
      default: {
        if (start <= account.openedDay) return 0;
        const r = rng(this.plan.seed, K.opening, account.index, p);
        const level = roundCents(account.level * 100 * growth(start) * r.float(0.7, 1.3), this.plan.unit);
        if (account.kind !== 'checking') return level;
        // Enough to get through the month's low point (rent and card payments before payday)
        // with a small cushion, so the current account does not go overdrawn.
        let low = 0;
        let running = 0;
        for (const d of this.checkingDrafts(account, p)) {
          running += d.flow === 'INFLOW' ? d.amount : -d.amount;
          if (running < low) low = running;
        }
        const unit = this.plan.unit;
        return Math.max(level, Math.ceil((level * 0.05 - low) / unit) * unit);
      }
    }
  }

  /** A checking month's transactions before its closing transfer, in settle order (memoised). */
  private checkingDrafts(account: AccountPlan, p: number): Draft[] {
    const key = `${account.index}:${p}`;
    let drafts = this.checking.get(key);
    if (!drafts) {
      const start = this.periodStart(account, p);
      const end = this.periodEnd(account, p);
      drafts = [...this.ownDrafts(account, p), ...draftLinked(this, account, p, start, end, 0)].sort(draftOrder);
      this.checking.set(key, drafts);
    }
    return drafts;
  }

  /** A card's charges in cycle `p`: its statement, paid 20 days after the cut. */
  charges(account: AccountPlan, p: number): number {
    const key = `${account.index}:${p}`;
    let total = this.chargeTotals.get(key);
    if (total === undefined) {
      total = 0;
      for (const d of this.ownDrafts(account, p)) if (d.flow === 'OUTFLOW') total += d.amount;
      this.chargeTotals.set(key, total);
    }
    return total;
  }

  /** Day of the payment of cycle `p`'s statement. */
  dueDay(account: AccountPlan, p: number): number {
    return this.periodEnd(account, p) + 20;
  }

  /** The account's own drafts (`draftOwn`), memoised: periods, openings and statements all read them. */
  private ownDrafts(account: AccountPlan, p: number): Draft[] {
    const key = `${account.index}:${p}`;
    let drafts = this.own.get(key);
    if (!drafts) {
      drafts = draftOwn(this, account, p);
      this.own.set(key, drafts);
    }
    return drafts;
  }

  /** Orders drafts, makes times unique, assigns stable ids and running balances. */
  private settle(account: AccountPlan, p: number, drafts: Draft[], opening: number): LedgerTxn[] {
    drafts.sort(draftOrder);
    const liability = account.balanceType === 'LIABILITY';
    const txns: LedgerTxn[] = [];
    let balance = opening;
    let seq = 0;
    let lastDay = -1;
    let lastSec = -1;
    let prefix = '';
    for (const d of drafts) {
      if (d.day !== lastDay) {
        seq = 0;
        lastSec = -1;
        lastDay = d.day;
        prefix = `${account.id}-${compactDate(d.day)}-`;
      }
      const sec = Math.min(Math.max(d.sec, lastSec + 1), 86_399);
      lastSec = sec;
      seq++;
      const delta = d.flow === 'INFLOW' ? d.amount : -d.amount;
      balance += liability ? -delta : delta;
      txns.push({
        id: seq < 10 ? `${prefix}0${seq}` : `${prefix}${seq}`,
        day: d.day,
        sec,
        ms: d.day * DAY_MS + sec * 1000,
        flow: d.flow,
        amount: d.amount,
        balance,
        description: d.description,
        observations: d.observations ?? null,
        category: d.category,
        subcategory: d.subcategory ?? null,
        merchant: d.merchant ?? null,
        reference: d.reference,
        cycle: account.kind === 'credit' ? p : null,
      });
    }
    return txns;
  }

  /** The debt before period `p`'s events, from the installment schedule. */
  private loanOpening(account: AccountPlan, p: number): number {
    const loan = account.loan!;
    if (p <= loan.firstMonth) return 0;
    const k = (p - loan.firstMonth) % loan.term;
    // Month of a renewal: one installment of the previous contract is still due.
    if (k === 0) return loan.installment;
    return loan.installment * (loan.term - k + 1);
  }
}
