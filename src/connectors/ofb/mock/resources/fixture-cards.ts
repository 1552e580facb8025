/**
 * Credit-card accounts of a mock customer: transactions, closed bills and limits.
 *
 * Billing cycles are keyed by the month index of their closing day: cycle m covers the days after
 * the previous closing day up to closing day m, and is due `dueOffset` days later. A day's
 * transactions are a pure function of (CPF, card, day) — the bill payment on a due day depends on
 * the previous cycle's charges, which are themselves such functions — so nothing changes when the
 * clock moves; `now` decides visibility, which cycles are closed (bills) and what is still owed.
 */
import { hashHex, rng, type Rng, type Seed } from '../../../sandbox/data/random.js';
import { FOREIGN_MERCHANTS, MERCHANTS, SUBSCRIPTIONS } from './bank.js';
import { addMonths, dayOf, dayParts, localDay, localInstant, monthIndex, money, ymd } from './documents.js';

export interface CardPlan {
  index: number;
  creditCardAccountId: string;
  name: string;
  productType: string;
  network: 'VISA' | 'MASTERCARD' | 'ELO';
  last4: string;
  isMultipleCreditCard: boolean;
  closeDom: number;
  dueOffset: number;
  limitCents: number;
}

/** `CreditCardAccountsTransaction` of credit-cards-2.3.1 (also the bill-transactions item). */
export interface CardTransaction {
  transactionId: string;
  identificationNumber: string;
  transactionName: string;
  billId?: string;
  creditDebitType: 'CREDITO' | 'DEBITO';
  transactionType: 'PAGAMENTO' | 'TARIFA' | 'OPERACOES_CREDITO_CONTRATADAS_CARTAO' | 'ESTORNO' | 'CASHBACK' | 'OUTROS';
  transactionalAdditionalInfo?: string;
  paymentType?: 'A_VISTA' | 'A_PRAZO';
  feeType?: string;
  chargeIdentificator?: number;
  chargeNumber?: number;
  brazilianAmount: { amount: string; currency: 'BRL' };
  amount: { amount: string; currency: string };
  transactionDateTime: string;
  billPostDate: string;
  payeeMCC?: number;
}

/** `CreditCardAccountsBillsData`. */
export interface CardBill {
  billId: string;
  dueDate: string;
  billTotalAmount: { amount: string; currency: 'BRL' };
  billMinimumAmount: { amount: string; currency: 'BRL' };
  isInstalment: boolean;
  payments: { valueType: string; paymentDate: string; paymentMode: string; amount: string; currency: 'BRL' }[];
}

const K_CARD_DAY = 21;

interface Draft {
  at: Date;
  /** Signed effect on what the customer owes, in BRL cents (debits positive). */
  owed: number;
  isPayment: boolean;
  tx: Omit<CardTransaction, 'transactionId' | 'identificationNumber' | 'billId' | 'transactionDateTime' | 'billPostDate'>;
}

export function closeDay(card: CardPlan, cycle: number): number {
  return dayOf(Math.floor(cycle / 12), (cycle % 12) + 1, card.closeDom);
}

export function dueDay(card: CardPlan, cycle: number): number {
  return closeDay(card, cycle) + card.dueOffset;
}

/** The cycle a day's charges fall in. */
export function cycleOf(card: CardPlan, day: number): number {
  const m = monthIndex(day);
  return day > closeDay(card, m) ? m + 1 : m;
}

export function billIdOf(cpf: string, card: CardPlan, cycle: number): string {
  return `BL${hashHex('ofmockbank-bill', cpf, card.creditCardAccountId, cycle).slice(0, 24).toUpperCase()}`;
}

const brl = (cents: number) => ({ amount: money(cents), currency: 'BRL' as const });

function purchase(r: Rng, day: number): Draft {
  const at = localInstant(day, r.int(8 * 60, 23 * 60 + 30), 0, 0); // cards: minute precision (spec example)
  if (r.chance(0.05)) {
    const m = r.pick(FOREIGN_MERCHANTS);
    const usd = r.int(m.min, m.max);
    const cents = Math.round(usd * r.float(4.9, 5.7));
    return {
      at,
      owed: cents,
      isPayment: false,
      tx: { transactionName: m.name.toUpperCase(), creditDebitType: 'DEBITO', transactionType: 'PAGAMENTO', paymentType: 'A_VISTA', brazilianAmount: brl(cents), amount: { amount: money(usd), currency: 'USD' }, payeeMCC: m.mcc },
    };
  }
  const m = r.pick(MERCHANTS);
  const total = r.int(m.min, m.max);
  if (total > 30000 && r.chance(0.5)) {
    // Instalments: the first parcel is charged now (later parcels are not modelled).
    const parcels = r.int(2, 10);
    const cents = Math.ceil(total / parcels);
    return {
      at,
      owed: cents,
      isPayment: false,
      tx: { transactionName: `${m.name.toUpperCase()} PARC 01/${String(parcels).padStart(2, '0')}`, creditDebitType: 'DEBITO', transactionType: 'PAGAMENTO', paymentType: 'A_PRAZO', chargeIdentificator: 1, chargeNumber: parcels, brazilianAmount: brl(cents), amount: brl(cents), payeeMCC: m.mcc },
    };
  }
  return {
    at,
    owed: total,
    isPayment: false,
    tx: { transactionName: m.name.toUpperCase(), creditDebitType: 'DEBITO', transactionType: 'PAGAMENTO', paymentType: 'A_VISTA', brazilianAmount: brl(total), amount: brl(total), payeeMCC: m.mcc },
  };
}

/** Charges and credits of `day`, except the bill payment (no recursion through cycles). */
function chargeDrafts(seed: Seed, card: CardPlan, day: number): Draft[] {
  const r = rng(seed, K_CARD_DAY, card.index, day);
  const out: Draft[] = [];
  const n = r.int(1, 3);
  for (let i = 0; i < n; i++) out.push(purchase(r, day));
  if (r.chance(0.03)) {
    const cents = r.int(1000, 15000);
    out.push({ at: localInstant(day, r.int(9 * 60, 18 * 60)), owed: -cents, isPayment: false, tx: { transactionName: 'ESTORNO DE COMPRA', creditDebitType: 'CREDITO', transactionType: 'ESTORNO', brazilianAmount: brl(cents), amount: brl(cents) } });
  }
  const { dom } = dayParts(day);
  if (dom === 12) {
    const s = SUBSCRIPTIONS[card.index % SUBSCRIPTIONS.length];
    const cents = s.min;
    out.push({ at: localInstant(day, 3 * 60), owed: cents, isPayment: false, tx: { transactionName: s.name.toUpperCase(), creditDebitType: 'DEBITO', transactionType: 'PAGAMENTO', paymentType: 'A_VISTA', brazilianAmount: brl(cents), amount: brl(cents), payeeMCC: s.mcc } });
  }
  if (day === closeDay(card, monthIndex(day))) {
    const fee = 1500 + card.index * 500;
    out.push({ at: localInstant(day, 2 * 60), owed: fee, isPayment: false, tx: { transactionName: 'ANUIDADE PARCELADA', creditDebitType: 'DEBITO', transactionType: 'TARIFA', feeType: 'ANUIDADE', brazilianAmount: brl(fee), amount: brl(fee) } });
    if (r.chance(0.3)) {
      const cb = r.int(200, 2500);
      out.push({ at: localInstant(day, 2 * 60 + 5), owed: -cb, isPayment: false, tx: { transactionName: 'CASHBACK', creditDebitType: 'CREDITO', transactionType: 'CASHBACK', brazilianAmount: brl(cb), amount: brl(cb) } });
    }
  }
  return out;
}

/**
 * Cycle totals already computed, by card account and cycle (a pure function of both, see above).
 * One refresh asks for the same few cycles many times (bills, what is owed, each due day's
 * payment), each a month of generated charges; bounded, oldest first out.
 */
const cycleTotals = new Map<string, number>();
const CYCLE_TOTALS_KEPT = 10_000;

/** What cycle `cycle` charged (its bill total); payments excluded: the customer pays in full. */
export function cycleTotalCents(seed: Seed, card: CardPlan, cycle: number): number {
  const key = `${card.creditCardAccountId}:${cycle}`;
  const known = cycleTotals.get(key);
  if (known !== undefined) return known;
  let total = 0;
  for (let day = closeDay(card, cycle - 1) + 1; day <= closeDay(card, cycle); day++) {
    for (const d of chargeDrafts(seed, card, day)) total += d.owed;
  }
  if (cycleTotals.size >= CYCLE_TOTALS_KEPT) cycleTotals.delete(cycleTotals.keys().next().value!);
  cycleTotals.set(key, total);
  return total;
}

function dayDrafts(seed: Seed, card: CardPlan, day: number): Draft[] {
  const out = chargeDrafts(seed, card, day);
  const paid = cycleOf(card, day - card.dueOffset);
  if (dueDay(card, paid) === day) {
    const cents = cycleTotalCents(seed, card, paid);
    if (cents > 0) {
      out.push({
        at: localInstant(day, 7 * 60),
        owed: -cents,
        isPayment: true,
        tx: { transactionName: 'PAGAMENTO DE FATURA', creditDebitType: 'CREDITO', transactionType: 'OUTROS', transactionalAdditionalInfo: 'Pagamento de fatura via debito em conta', brazilianAmount: brl(cents), amount: brl(cents) },
      });
    }
  }
  return out;
}

export interface CardTxFilter {
  transactionType?: string;
  payeeMCC?: number;
}

/** Transactions on São Paulo days [fromDay, toDay] that happened by `now`, newest first. */
export function cardTransactions(cpf: string, seed: Seed, card: CardPlan, fromDay: number, toDay: number, now: Date, filter: CardTxFilter = {}): CardTransaction[] {
  const today = localDay(now);
  const out: CardTransaction[] = [];
  for (let day = Math.min(toDay, today); day >= fromDay; day--) {
    const cycle = cycleOf(card, day);
    const closed = closeDay(card, cycle) < today;
    const drafts = dayDrafts(seed, card, day).sort((a, b) => +b.at - +a.at);
    drafts.forEach((d, n) => {
      if (+d.at > +now) return;
      if (filter.transactionType && d.tx.transactionType !== filter.transactionType) return;
      if (filter.payeeMCC !== undefined && d.tx.payeeMCC !== filter.payeeMCC) return;
      out.push({
        transactionId: `CT${hashHex('ofmockbank-card', cpf, card.creditCardAccountId, day, n).slice(0, 30).toUpperCase()}`,
        identificationNumber: card.last4,
        ...d.tx,
        ...(closed ? { billId: billIdOf(cpf, card, cycle) } : {}),
        transactionDateTime: d.at.toISOString(),
        billPostDate: ymd(day),
      });
    });
  }
  return out;
}

/** Closed bills (closing day before today) of the last 12 months, newest first. */
export function cardBills(cpf: string, seed: Seed, card: CardPlan, now: Date): (CardBill & { cycle: number })[] {
  const today = localDay(now);
  const oldest = addMonths(today, -12);
  const out: (CardBill & { cycle: number })[] = [];
  for (let cycle = monthIndex(today); closeDay(card, cycle) >= oldest; cycle--) {
    if (closeDay(card, cycle) >= today) continue;
    const total = cycleTotalCents(seed, card, cycle);
    const due = dueDay(card, cycle);
    const paidAt = localInstant(due, 7 * 60);
    out.push({
      cycle,
      billId: billIdOf(cpf, card, cycle),
      dueDate: ymd(due),
      billTotalAmount: brl(total),
      billMinimumAmount: brl(Math.max(0, Math.round(total * 0.15))),
      isInstalment: total > 10000,
      payments:
        total > 0 && +paidAt <= +now
          ? [{ valueType: 'VALOR_PAGAMENTO_FATURA_REALIZADO', paymentDate: ymd(due), paymentMode: 'DEBITO_CONTA_CORRENTE', amount: money(total), currency: 'BRL' }]
          : [],
    });
  }
  return out;
}

/** Transactions of one bill's cycle (its charges, and any payment dated inside it). */
export function billTransactions(cpf: string, seed: Seed, card: CardPlan, cycle: number, now: Date, filter: CardTxFilter & { fromDay?: number; toDay?: number } = {}): CardTransaction[] {
  const from = Math.max(closeDay(card, cycle - 1) + 1, filter.fromDay ?? -Infinity);
  const to = Math.min(closeDay(card, cycle), filter.toDay ?? Infinity);
  return cardTransactions(cpf, seed, card, from, to, now, filter);
}

/** Owed at `now`: unpaid closed bills plus the open cycle's charges so far. */
export function cardUsedCents(seed: Seed, card: CardPlan, now: Date): number {
  const today = localDay(now);
  let used = 0;
  const open = cycleOf(card, today);
  for (let cycle = open; cycle >= open - 2; cycle--) {
    const closed = closeDay(card, cycle) < today;
    const paid = +localInstant(dueDay(card, cycle), 7 * 60) <= +now;
    if (closed && paid) continue;
    if (closed) {
      used += cycleTotalCents(seed, card, cycle);
      continue;
    }
    for (let day = closeDay(card, cycle - 1) + 1; day <= today; day++) {
      for (const d of chargeDrafts(seed, card, day)) if (+d.at <= +now) used += d.owed;
    }
  }
  return used;
}
