/**
 * Credit-card figures derived from OFB limits and bills: the total limit, the bill a payment is
 * due for, a bill's Belvo name and status, and the `credit_data` of a card account.
 *
 * OFB lists closed bills only (credit-cards-2.3.1 `/bills`: "Só deve ser informada uma fatura já
 * fechada"), and no closing date, interest rate or open-bill figures at all.
 */
import type { MappingContext, OfbCardBill, OfbCardLimit } from './types.js';
import { amountCents, amountNumber, calendarDate, centsNumber, optionalAmount, saoPauloDate } from './values.js';

const MONTHS_PT = ['jan', 'fev', 'mar', 'abr', 'mai', 'jun', 'jul', 'ago', 'set', 'out', 'nov', 'dez'];

/**
 * The limit that stands for the whole card: `LIMITE_CREDITO_TOTAL`, the `CONSOLIDADO` one when
 * the bank also lists per-card (`INDIVIDUAL`) limits. Per-line limits (`..._MODALIDADE_OPERACAO`,
 * e.g. cash withdrawal) are sub-limits and never chosen.
 */
export function totalLimit(limits: readonly OfbCardLimit[] | undefined): OfbCardLimit | undefined {
  const totals = (limits ?? []).filter((l) => l.creditLineLimitType === 'LIMITE_CREDITO_TOTAL');
  return totals.find((l) => l.consolidationType === 'CONSOLIDADO') ?? totals[0];
}

/** Credit limit in BRL; null for a flexible ("sem limite") card or when not sent. */
export function creditLimit(limit: OfbCardLimit | undefined): number | null {
  if (!limit || limit.isLimitFlexible) return null;
  return optionalAmount(limit.limitAmount);
}

/** Belvo `balance` of a card: current = used amount, available = available amount (or limit − used). */
export function cardBalance(limits: readonly OfbCardLimit[] | undefined): { current: number | null; available: number | null } {
  const limit = totalLimit(limits);
  if (!limit) return { current: null, available: null };
  const used = amountCents(limit.usedAmount.amount);
  if (limit.availableAmount?.amount !== undefined) return { current: centsNumber(used), available: amountNumber(limit.availableAmount.amount) };
  const max = limit.isLimitFlexible || limit.limitAmount?.amount === undefined ? null : amountCents(limit.limitAmount.amount);
  return { current: centsNumber(used), available: max === null ? null : centsNumber(max - used) };
}

/** Closed bills newest first (by due date). */
export function newestFirst(bills: readonly OfbCardBill[] | undefined): OfbCardBill[] {
  return [...(bills ?? [])].sort((a, b) => (a.dueDate < b.dueDate ? 1 : a.dueDate > b.dueDate ? -1 : 0));
}

/** What was paid on a bill, in cents (its `payments`). */
export function paidCents(bill: OfbCardBill): bigint {
  return bill.payments.reduce((sum, p) => sum + amountCents(p.amount), 0n);
}

/** PAID when its payments cover its total (a credit balance counts as paid), else CLOSED. */
export function billStatus(bill: OfbCardBill): 'PAID' | 'CLOSED' {
  return paidCents(bill) >= amountCents(bill.billTotalAmount.amount) ? 'PAID' : 'CLOSED';
}

/** `jun-2025`: Belvo's `bill_name` style (sandbox BR uses the same), from the due month. */
export function billName(bill: OfbCardBill): string | null {
  const date = calendarDate(bill.dueDate);
  return date ? `${MONTHS_PT[Number(date.slice(5, 7)) - 1]}-${date.slice(0, 4)}` : null;
}

/** The bill still to be paid at `today`: the newest closed bill when its due date has not passed. */
export function billDue(bills: readonly OfbCardBill[] | undefined, today: string): OfbCardBill | undefined {
  const latest = newestFirst(bills)[0];
  return latest && latest.dueDate >= today ? latest : undefined;
}

/** The date of the latest bill payment listed on any bill. */
export function lastPaymentDate(bills: readonly OfbCardBill[] | undefined): string | null {
  let last: string | null = null;
  for (const bill of bills ?? []) for (const p of bill.payments) if (calendarDate(p.paymentDate) && (!last || p.paymentDate > last)) last = p.paymentDate;
  return last;
}

const nonNegative = (cents: bigint) => centsNumber(cents < 0n ? 0n : cents);

/** Belvo `credit_data` of a card account. */
export function creditData(limits: readonly OfbCardLimit[] | undefined, bills: readonly OfbCardBill[] | undefined, ctx: MappingContext): Record<string, unknown> {
  const due = billDue(bills, saoPauloDate(ctx.collectedAt));
  // Net of what was already paid on the bill: what is still owed on its due date.
  const paid = due ? paidCents(due) : 0n;
  return {
    collected_at: ctx.collectedAt.toISOString(),
    credit_limit: creditLimit(totalLimit(limits)),
    cutting_date: null,
    next_payment_date: due ? due.dueDate : null,
    minimum_payment: due ? nonNegative(amountCents(due.billMinimumAmount.amount) - paid) : null,
    no_interest_payment: due ? nonNegative(amountCents(due.billTotalAmount.amount) - paid) : null,
    interest_rate: null,
    end_date: null,
    monthly_payment: null,
    last_payment_date: lastPaymentDate(bills),
  };
}
