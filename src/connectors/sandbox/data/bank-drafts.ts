/**
 * The transactions of one account's period before the ledger settles them (`bank-ledger.ts`
 * orders them, makes their times unique, gives them ids and running balances). Everyday purchases
 * come from a generator seeded by (user, account, day), recurring items (salary, rent, bills,
 * installments) from one seeded by (user, account, period), and linked items mirror another
 * account (card statement payments, loan installments); none of them depends on `now`.
 */
import {
  dayInMonth,
  isWeekend,
  monthOfDay,
  monthYear,
  previousBusinessDay,
  ymd,
  priceIndex,
} from './calendar.js';
import { K, roundCents, type AccountPlan, type BankPlan } from './bank-plan.js';
import { LABELS } from './bank-labels.js';
import { BUSINESS_SUPPLIERS, MERCHANTS, type Merchant, type TxCategory } from './merchants.js';
import { rng, type Rng } from './random.js';

export type Flow = 'INFLOW' | 'OUTFLOW';

export interface MerchantData {
  logo: string | null;
  website: string | null;
  merchant_name: string;
}

export interface Draft {
  day: number;
  sec: number;
  flow: Flow;
  amount: number;
  description: string;
  observations?: string | null;
  category: TxCategory;
  subcategory?: string | null;
  merchant?: MerchantData | null;
  reference: string;
}

/** What drafting reads from the ledger: period bounds, opening balances and card statements. */
export interface LedgerView {
  readonly plan: BankPlan;
  periodOf(account: AccountPlan, day: number): number;
  periodStart(account: AccountPlan, p: number): number;
  periodEnd(account: AccountPlan, p: number): number;
  opening(account: AccountPlan, p: number): number;
  charges(account: AccountPlan, p: number): number;
  dueDay(account: AccountPlan, p: number): number;
}

/** Prices and salaries grow ~4.5% a year from 2024, so data looks right in any year. */
export const growth = priceIndex;

const hms = (h: number, m: number, s = 0) => h * 3600 + m * 60 + s;

/** Accounting order: day, time, then amount (stable for exact ties). */
export const draftOrder = (a: Draft, b: Draft) => a.day - b.day || a.sec - b.sec || a.amount - b.amount;

/**
 * Every draft gets the same hidden class (same keys, same order) whatever literal built it, so
 * sorting and settling stay monomorphic: mixed shapes made cold extractions several times slower.
 */
function D(d: Draft): Draft {
  return {
    day: d.day,
    sec: d.sec,
    flow: d.flow,
    amount: d.amount,
    description: d.description,
    observations: d.observations ?? null,
    category: d.category,
    subcategory: d.subcategory ?? null,
    merchant: d.merchant ?? null,
    reference: d.reference,
  };
}

/** The account's own transactions: everyday ones and recurring ones that need no other account. */
export function draftOwn(ledger: LedgerView, account: AccountPlan, p: number): Draft[] {
  const start = ledger.periodStart(account, p);
  const end = ledger.periodEnd(account, p);
  const from = Math.max(start, account.openedDay);
  const drafts: Draft[] = [];
  for (let day = from; day <= end; day++) dayDrafts(ledger.plan, account, day, drafts);
  if (end >= account.openedDay) recurringDrafts(ledger, account, p, from, end, drafts);
  return drafts;
}

/** Everyday transactions of one day, from a generator seeded by (user, account, day) only. */
function dayDrafts(plan: BankPlan, account: AccountPlan, day: number, out: Draft[]): void {
  const r = rng(plan.seed, K.day, account.index, day);
  const g = growth(day);
  const weekend = isWeekend(day);
  const L = LABELS[plan.country];
  switch (account.kind) {
    case 'checking': {
      if (plan.business) {
        if (!weekend) {
          for (let i = r.poisson(2.2); i > 0; i--) {
            const client = r.pick(plan.clients);
            const amount = money(plan, (plan.income / 48) * r.float(0.3, 1.7) * g);
            out.push(transfer(plan, r, day, 'INFLOW', amount, client, 'Income & Payments'));
          }
          for (let i = r.poisson(1.3); i > 0; i--) {
            if (r.chance(0.5)) {
              const supplier = r.pick(plan.clients);
              const amount = money(plan, (plan.income / 60) * r.float(0.2, 1.5) * g);
              out.push(transfer(plan, r, day, 'OUTFLOW', amount, supplier, 'Transfers'));
            } else out.push(purchase(plan, r, day, account, pickMerchant(r, BUSINESS_SUPPLIERS, 'd'), g * 1.5));
          }
        }
        return;
      }
      const n = r.poisson(plan.intensity * (weekend ? 1.25 : 1));
      for (let i = 0; i < n; i++) {
        const roll = r.next();
        if (roll < 0.07) {
          const amount = money(plan, r.float(200, 3000) * plan.fx * g);
          out.push(transfer(plan, r, day, 'OUTFLOW', amount, r.pick(plan.contacts), 'Transfers'));
        } else if (roll < 0.1) {
          const amount = money(plan, r.float(150, 2500) * plan.fx * g);
          out.push(transfer(plan, r, day, 'INFLOW', amount, r.pick(plan.contacts), 'Transfers'));
        } else {
          out.push(purchase(plan, r, day, account, pickMerchant(r, MERCHANTS[plan.country], 'd'), g));
        }
      }
      return;
    }
    case 'credit': {
      const catalogue = plan.business ? BUSINESS_SUPPLIERS : MERCHANTS[plan.country];
      const n = r.poisson(account.intensity * (weekend ? 1.2 : 1));
      for (let i = 0; i < n; i++) out.push(purchase(plan, r, day, account, pickMerchant(r, catalogue, 'c'), g));
      return;
    }
    case 'savings':
    case 'investment': {
      const pIn = account.kind === 'savings' ? 0.035 : 0.012;
      const pOut = account.kind === 'savings' ? 0.02 : 0.008;
      if (r.chance(pIn)) {
        const amount = money(plan, account.level * r.float(0.03, 0.15) * g);
        out.push(D({
          day, sec: r.int(hms(8, 0), hms(20, 0)), flow: 'INFLOW', amount,
          description: r.chance(0.3) ? L.deposit : L.fromAccount(plan.accounts[0].last4),
          category: 'Investments & Savings', subcategory: account.kind === 'savings' ? 'Savings' : 'Fixed income',
          reference: r.digits(8),
        }));
      }
      if (r.chance(pOut)) {
        const amount = money(plan, account.level * r.float(0.02, 0.1) * g);
        out.push(D({
          day, sec: r.int(hms(8, 0), hms(20, 0)), flow: 'OUTFLOW', amount,
          description: L.toAccount(plan.accounts[0].last4),
          category: 'Transfers', reference: r.digits(8),
        }));
      }
      return;
    }
    case 'loan':
      return;
  }
}

/** Recurring transactions of period `p` that depend on this account only. */
function recurringDrafts(ledger: LedgerView, account: AccountPlan, p: number, from: number, end: number, out: Draft[]): void {
  const plan = ledger.plan;
  const L = LABELS[plan.country];
  const r = rng(plan.seed, K.period, account.index, p);
  const g = growth(from);
  const inRange = (day: number) => day >= from && day <= end;

  // Bills domiciled on this account (checking or a card), on their day of the month.
  for (const [i, scheduled] of plan.bills.entries()) {
    if (scheduled.account !== account.index) continue;
    for (let m = monthOfDay(from); m <= monthOfDay(end); m++) {
      const day = dayInMonth(m, scheduled.day);
      if (!inRange(day) || (scheduled.bill.every === 2 && m % 2 !== scheduled.parity)) continue;
      const b = scheduled.bill;
      const amount = roundCents(
        (b.min === b.max ? b.min : b.min + (b.max - b.min) * rng(plan.seed, K.period, account.index, m, i).next()) * 100 * g,
        plan.unit,
      );
      out.push(D({
        day, sec: hms(10, 0) + i * 61, flow: 'OUTFLOW', amount,
        description: b.desc,
        category: b.category, subcategory: b.subcategory,
        merchant: { logo: null, website: b.website, merchant_name: b.name },
        reference: r.digits(9),
      }));
    }
  }

  switch (account.kind) {
    case 'checking': {
      for (const payday of paydays(plan, p)) {
        if (!inRange(payday.day)) continue;
        const amount = money(plan, plan.income * payday.share * (plan.business ? 0.32 : 1) * g);
        out.push(
          plan.business
            ? D({ day: payday.day, sec: hms(7, 30), flow: 'OUTFLOW', amount, description: 'PAGO DE NOMINA DISPERSION', category: 'Transfers', reference: r.digits(10) })
            : D({ day: payday.day, sec: hms(6, 15), flow: 'INFLOW', amount, description: L.salary(plan.employer.toUpperCase()), category: 'Income & Payments', subcategory: 'Salary', reference: r.digits(10) }),
        );
      }
      if (plan.rent) {
        const day = dayInMonth(p, plan.rent.day);
        if (inRange(day)) {
          out.push(D({ day, sec: hms(9, 0), flow: 'OUTFLOW', amount: money(plan, plan.rent.amount * g), description: L.rent, observations: `${L.concepts[0]} ${monthYear(p).month}/${monthYear(p).year}`, category: 'Bills & Utilities', subcategory: 'Rent', reference: r.digits(10) }));
        }
      }
      if (plan.business) {
        const day = previousBusinessDay(dayInMonth(p, 17));
        if (inRange(day)) {
          out.push(D({ day, sec: hms(11, 0), flow: 'OUTFLOW', amount: money(plan, plan.income * 0.05 * g), description: 'PAGO REFERENCIADO SAT', category: 'Taxes', subcategory: 'Income Tax', reference: r.digits(20) }));
          out.push(D({ day, sec: hms(11, 5), flow: 'OUTFLOW', amount: money(plan, plan.income * 0.035 * g), description: 'PAGO CUOTAS IMSS SIPARE', category: 'Taxes', subcategory: 'Government Fees', reference: r.digits(12) }));
        }
        const rentDay = dayInMonth(p, 3);
        if (inRange(rentDay)) {
          out.push(D({ day: rentDay, sec: hms(9, 0), flow: 'OUTFLOW', amount: money(plan, plan.income * 0.06 * g), description: 'PAGO ARRENDAMIENTO OFICINA', category: 'Bills & Utilities', subcategory: 'Rent', reference: r.digits(10) }));
        }
      }
      if (account.monthlyFee > 0 && inRange(end)) {
        out.push(D({ day: end, sec: hms(21, 0), flow: 'OUTFLOW', amount: money(plan, account.monthlyFee * g), description: L.fee, category: 'Fees & Charges', subcategory: 'Bank Fees', reference: r.digits(8) }));
      }
      return;
    }
    case 'savings':
    case 'investment': {
      const opening = ledger.opening(account, p);
      const yearly = account.rate / 100;
      const amount = roundCents((opening * yearly) / 12, plan.unit);
      if (amount > 0 && inRange(end)) {
        out.push(D({
          day: end, sec: hms(20, 0), flow: 'INFLOW', amount,
          description: account.kind === 'savings' ? L.interest : L.yield,
          category: account.kind === 'savings' ? 'Income & Payments' : 'Investments & Savings',
          subcategory: account.kind === 'savings' ? 'Interest' : 'Fixed income',
          reference: r.digits(8),
        }));
      }
      return;
    }
    case 'credit': {
      // Yearly fee in the card's anniversary month.
      const feeDay = from + 1;
      if (inRange(feeDay) && ymd(feeDay).month === ymd(account.openedDay).month && feeDay - account.openedDay > 300) {
        out.push(D({ day: feeDay, sec: hms(4, 0), flow: 'OUTFLOW', amount: money(plan, (plan.business ? 1500 : 800) * plan.fx * g), description: L.annualFee, category: 'Fees & Charges', subcategory: 'Bank Fees', reference: r.digits(8) }));
      }
      return;
    }
    case 'loan': {
      const loan = account.loan!;
      if (p < loan.firstMonth) return;
      const gen = Math.floor((p - loan.firstMonth) / loan.term);
      const k = p - loan.firstMonth - gen * loan.term;
      const day = dayInMonth(p, loan.day);
      if (!inRange(day)) return;
      if (k > 0 || gen > 0) {
        const n = k > 0 ? k : loan.term;
        out.push(D({ day, sec: hms(9, 0), flow: 'INFLOW', amount: loan.installment, description: L.loanPayment(n, loan.term), category: 'Credits & Loans', subcategory: 'Instalment', reference: r.digits(10) }));
      }
      if (k === 0) {
        const principal = Math.round(loan.principal * 100);
        out.push(D({ day, sec: hms(11, 0), flow: 'OUTFLOW', amount: principal, description: L.loanDisbursement, category: 'Credits & Loans', subcategory: 'Personal', reference: r.digits(10) }));
        out.push(D({ day, sec: hms(11, 1), flow: 'OUTFLOW', amount: loan.installment * loan.term - principal, description: L.loanInterest, category: 'Credits & Loans', subcategory: 'Interest & Charges', reference: r.digits(10) }));
      }
      return;
    }
  }
}

/** Transactions that mirror another account: card statement payments and loan installments. */
export function draftLinked(ledger: LedgerView, account: AccountPlan, p: number, start: number, end: number, opening: number): Draft[] {
  const plan = ledger.plan;
  const out: Draft[] = [];
  const L = LABELS[plan.country];
  const r = rng(plan.seed, K.period, account.index, p, 99);
  if (account.kind === 'credit') {
    // This cycle pays the previous cycle's statement (= the opening debt) on its due day.
    const day = ledger.dueDay(account, p - 1);
    if (opening > 0 && day >= start && day <= end) {
      out.push(D({ day, sec: hms(12, 0), flow: 'INFLOW', amount: opening, description: L.cardPaymentReceived, category: 'Credits & Loans', subcategory: 'Credit Card', reference: r.digits(10) }));
    }
    return out;
  }
  if (account.kind !== 'checking' || account.index !== 0) return out;
  const from = Math.max(start, account.openedDay);
  for (const other of plan.accounts) {
    if (other.kind === 'credit') {
      for (let q = ledger.periodOf(other, from - 20); q <= ledger.periodOf(other, end - 20); q++) {
        const day = ledger.dueDay(other, q);
        const amount = ledger.charges(other, q);
        if (day < from || day > end || amount === 0) continue;
        out.push(D({ day, sec: hms(12, 0) - 60 + other.index, flow: 'OUTFLOW', amount, description: L.cardPayment(other.last4), category: 'Credits & Loans', subcategory: 'Credit Card', reference: r.digits(10) }));
      }
    } else if (other.kind === 'loan') {
      const loan = other.loan!;
      const m = p; // the main account's periods are calendar months
      const day = dayInMonth(m, loan.day);
      const k = m - loan.firstMonth;
      if (k > 0 && day >= from && day <= end) {
        const n = ((k - 1) % loan.term) + 1;
        out.push(D({ day, sec: hms(8, 55), flow: 'OUTFLOW', amount: loan.installment, description: L.loanPayment(n, loan.term), category: 'Credits & Loans', subcategory: 'Instalment', reference: r.digits(10) }));
      }
    }
  }
  return out;
}

export function draftBalancing(plan: BankPlan, account: AccountPlan, p: number, end: number, gap: number): Draft {
  const L = LABELS[plan.country];
  const r = rng(plan.seed, K.period, account.index, p, 98);
  const flow: Flow = gap > 0 ? 'INFLOW' : 'OUTFLOW';
  const amount = Math.abs(gap);
  const sibling =
    account.kind === 'checking'
      ? plan.accounts.find((a) => a.kind === 'savings') ?? plan.accounts.find((a) => a.kind === 'investment')
      : plan.accounts[0];
  if (account.kind === 'checking' && !sibling) {
    return transfer(plan, r, end, flow, amount, r.pick(plan.business ? plan.clients : plan.contacts), 'Transfers', hms(23, 30));
  }
  const last4 = sibling?.last4 ?? plan.accounts[0].last4;
  return D({
    day: end, sec: hms(23, 30), flow, amount,
    description: flow === 'INFLOW' ? L.fromAccount(last4) : L.toAccount(last4),
    category: account.kind === 'checking' ? 'Transfers' : 'Investments & Savings',
    subcategory: account.kind === 'checking' ? null : account.kind === 'savings' ? 'Savings' : 'Fixed income',
    reference: r.digits(10),
  });
}

// ---- helpers ------------------------------------------------------------------------------

/** Paydays of month `p`: the 15th and the last day (Brazil: the 5th and the 20th), moved back to a weekday. */
function paydays(plan: BankPlan, p: number): { day: number; share: number }[] {
  if (plan.country === 'BR') {
    return [
      { day: previousBusinessDay(dayInMonth(p, 5)), share: 0.6 },
      { day: previousBusinessDay(dayInMonth(p, 20)), share: 0.4 },
    ];
  }
  return [
    { day: previousBusinessDay(dayInMonth(p, 15)), share: 0.5 },
    { day: previousBusinessDay(dayInMonth(p, 31)), share: 0.5 },
  ];
}

/** Currency units to cents, rounded to the currency's unit, at least one unit. */
function money(plan: BankPlan, units: number): number {
  return Math.max(plan.unit, roundCents(units * 100, plan.unit));
}

function purchase(plan: BankPlan, r: Rng, day: number, account: AccountPlan, m: Merchant, g: number): Draft {
  const L = LABELS[plan.country];
  // Skewed towards the low end: most purchases are small.
  const units = (m.min + (m.max - m.min) * r.next() ** 1.7) * g * account.scale;
  const amount = money(plan, units);
  const store = r.digits(4);
  return D({
    day,
    sec: r.int(hms(7, 0), hms(22, 30)),
    flow: 'OUTFLOW',
    amount,
    description: account.kind === 'credit' ? `${m.desc} ${store}` : `${L.debit}${m.desc} ${store}`,
    category: m.category,
    subcategory: m.subcategory,
    merchant: { logo: null, website: m.website, merchant_name: m.name },
    reference: r.digits(r.int(6, 10)),
  });
}

function transfer(plan: BankPlan, r: Rng, day: number, flow: Flow, amount: number, counterparty: string, category: TxCategory, sec?: number): Draft {
  const L = LABELS[plan.country];
  const name = counterparty.toUpperCase();
  return D({
    day,
    sec: sec ?? r.int(hms(8, 0), hms(22, 0)),
    flow,
    amount,
    description: flow === 'INFLOW' ? L.transferIn(name) : L.transferOut(name),
    observations: r.chance(0.6) ? `${r.pick(L.concepts)}` : null,
    category,
    subcategory: null,
    reference: r.digits(10),
  });
}

/** Cumulative weights per catalogue and channel, computed once: picking is the hottest loop. */
const pickTables = new WeakMap<readonly Merchant[], Record<'d' | 'c', { items: Merchant[]; cumulative: number[] }>>();

function pickMerchant(r: Rng, catalogue: readonly Merchant[], channel: 'd' | 'c'): Merchant {
  let tables = pickTables.get(catalogue);
  if (!tables) {
    const build = (ch: 'd' | 'c') => {
      const items = catalogue.filter((m) => m.channel === ch || m.channel === 'b');
      let total = 0;
      return { items, cumulative: items.map((m) => (total += m.weight)) };
    };
    tables = { d: build('d'), c: build('c') };
    pickTables.set(catalogue, tables);
  }
  const { items, cumulative } = tables[channel];
  const x = r.next() * cumulative[cumulative.length - 1];
  let i = 0;
  while (i < cumulative.length - 1 && cumulative[i] <= x) i++;
  return items[i];
}
