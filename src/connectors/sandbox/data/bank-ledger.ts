/**
 * The dated history of a sandbox bank user's accounts.
 *
 * How history stays stable while time moves forward:
 * - Each account's history is cut into periods: calendar months, or billing cycles for credit
 *   cards. A period's transactions are a pure function of (user, account, period): everyday
 *   purchases come from a generator seeded by (user, account, day), recurring items (salary,
 *   rent, bills, installments) from one seeded by (user, account, period). `now` only decides
 *   which of them are visible (accounting time <= now) and which are still PENDING.
 * - A period's opening balance is computed without walking history: for current, savings and
 *   investment accounts it is a seeded "level" for that month, and a last-day-of-month transfer
 *   makes each month end exactly at the next month's opening; a card opens each cycle owing the
 *   previous cycle's charges (the user pays every statement in full); a loan's balance follows
 *   its installment schedule in closed form. So any window needs only the periods it touches,
 *   running balances chain exactly across periods, and a transaction never changes once dated.
 *
 * Amounts are integer cents throughout; records convert to decimals at the very end.
 */
import {
  dayInMonth,
  isWeekend,
  monthIndex,
  monthOfDay,
  monthYear,
  previousBusinessDay,
  compactDate,
  ymd,
  priceIndex,
  DAY_MS,
} from './calendar.js';
import { K, roundCents, type AccountPlan, type BankPlan } from './bank-plan.js';
import { BUSINESS_SUPPLIERS, MERCHANTS, type Merchant, type TxCategory } from './merchants.js';
import type { Country } from './people.js';
import { rng, type Rng } from './random.js';

export type Flow = 'INFLOW' | 'OUTFLOW';

export interface MerchantData {
  logo: string | null;
  website: string | null;
  merchant_name: string;
}

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

interface Draft {
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

/** Prices and salaries grow ~4.5% a year from 2024, so data looks right in any year. */
const growth = priceIndex;

interface Labels {
  debit: string;
  salary: (employer: string) => string;
  rent: string;
  transferOut: (name: string) => string;
  transferIn: (name: string) => string;
  cardPayment: (last4: string) => string;
  cardPaymentReceived: string;
  loanPayment: (k: number, of: number) => string;
  loanDisbursement: string;
  loanInterest: string;
  interest: string;
  yield: string;
  fee: string;
  annualFee: string;
  deposit: string;
  toAccount: (last4: string) => string;
  fromAccount: (last4: string) => string;
  concepts: string[];
}

const LABELS: Record<Country, Labels> = {
  MX: {
    debit: 'COMPRA TDD ',
    salary: (e) => `DEPOSITO DE NOMINA ${e}`,
    rent: 'PAGO DE RENTA',
    transferOut: (n) => `SPEI ENVIADO ${n}`,
    transferIn: (n) => `SPEI RECIBIDO ${n}`,
    cardPayment: (l) => `PAGO TARJETA DE CREDITO ****${l}`,
    cardPaymentReceived: 'SU PAGO GRACIAS',
    loanPayment: (k, of) => `PAGO CREDITO MENSUALIDAD ${k}/${of}`,
    loanDisbursement: 'DISPOSICION DE CREDITO',
    loanInterest: 'INTERESES DEL CREDITO POR DEVENGAR',
    interest: 'INTERESES GANADOS',
    yield: 'RENDIMIENTO INVERSION',
    fee: 'COMISION MANEJO DE CUENTA',
    annualFee: 'CUOTA ANUAL TARJETA',
    deposit: 'DEPOSITO EN EFECTIVO',
    toAccount: (l) => `TRASPASO A CUENTA ****${l}`,
    fromAccount: (l) => `TRASPASO DE CUENTA ****${l}`,
    concepts: ['Renta', 'Comida', 'Préstamo', 'Regalo', 'Cooperación', 'Servicios', 'Pago'],
  },
  CO: {
    debit: 'COMPRA EN ',
    salary: (e) => `PAGO NOMINA ${e}`,
    rent: 'PAGO ARRIENDO',
    transferOut: (n) => `TRANSFERENCIA A ${n}`,
    transferIn: (n) => `TRANSFERENCIA DE ${n}`,
    cardPayment: (l) => `PAGO TARJETA CREDITO ****${l}`,
    cardPaymentReceived: 'PAGO RECIBIDO GRACIAS',
    loanPayment: (k, of) => `PAGO CUOTA CREDITO ${k}/${of}`,
    loanDisbursement: 'DESEMBOLSO CREDITO',
    loanInterest: 'INTERESES CREDITO POR CAUSAR',
    interest: 'ABONO INTERESES AHORRO',
    yield: 'RENDIMIENTOS INVERSION',
    fee: 'CUOTA DE MANEJO',
    annualFee: 'CUOTA DE MANEJO TARJETA',
    deposit: 'CONSIGNACION EN EFECTIVO',
    toAccount: (l) => `TRASLADO A CUENTA ****${l}`,
    fromAccount: (l) => `TRASLADO DE CUENTA ****${l}`,
    concepts: ['Arriendo', 'Almuerzo', 'Préstamo', 'Regalo', 'Servicios', 'Pago'],
  },
  BR: {
    debit: 'COMPRA CARTAO DEB ',
    salary: (e) => `CREDITO SALARIO ${e}`,
    rent: 'PAGAMENTO ALUGUEL',
    transferOut: (n) => `PIX ENVIADO ${n}`,
    transferIn: (n) => `PIX RECEBIDO ${n}`,
    cardPayment: (l) => `PAGAMENTO FATURA CARTAO ****${l}`,
    cardPaymentReceived: 'PAGAMENTO RECEBIDO',
    loanPayment: (k, of) => `PARCELA EMPRESTIMO ${k}/${of}`,
    loanDisbursement: 'LIBERACAO DE EMPRESTIMO',
    loanInterest: 'JUROS DO CONTRATO',
    interest: 'RENDIMENTO POUPANCA',
    yield: 'RENDIMENTO APLICACAO',
    fee: 'TARIFA PACOTE DE SERVICOS',
    annualFee: 'ANUIDADE CARTAO',
    deposit: 'DEPOSITO EM DINHEIRO',
    toAccount: (l) => `TRANSFERENCIA PARA CONTA ****${l}`,
    fromAccount: (l) => `TRANSFERENCIA DA CONTA ****${l}`,
    concepts: ['Aluguel', 'Almoço', 'Empréstimo', 'Presente', 'Serviços', 'Pagamento'],
  },
};

const hms = (h: number, m: number, s = 0) => h * 3600 + m * 60 + s;

/** Accounting order: day, time, then amount (stable for exact ties). */
const draftOrder = (a: Draft, b: Draft) => a.day - b.day || a.sec - b.sec || a.amount - b.amount;

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

export class Ledger {
  private readonly periods = new Map<string, Period>();
  private readonly own = new Map<string, Draft[]>();
  private readonly chargeTotals = new Map<string, number>();
  private readonly checking = new Map<string, Draft[]>();
  private readonly labels: Labels;

  constructor(readonly plan: BankPlan) {
    this.labels = LABELS[plan.country];
  }

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
    const drafts = account.kind === 'checking' ? [...this.checkingDrafts(account, p)] : [...this.ownDrafts(account, p), ...this.linkedDrafts(account, p, start, end, opening)];

    if (account.kind === 'checking' || account.kind === 'savings' || account.kind === 'investment') {
      // The transfer that lands the month exactly on next month's opening balance.
      const net = drafts.reduce((s, d) => s + (d.flow === 'INFLOW' ? d.amount : -d.amount), 0);
      const gap = this.opening(account, p + 1) - opening - net;
      if (gap !== 0 && end >= account.openedDay) drafts.push(this.balancingDraft(account, p, end, gap));
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
      drafts = [...this.ownDrafts(account, p), ...this.linkedDrafts(account, p, start, end, 0)].sort(draftOrder);
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

  // ---- drafts -------------------------------------------------------------------------------

  /** The account's own transactions: everyday ones and recurring ones that need no other account. */
  private ownDrafts(account: AccountPlan, p: number): Draft[] {
    const key = `${account.index}:${p}`;
    const cached = this.own.get(key);
    if (cached) return cached;
    const start = this.periodStart(account, p);
    const end = this.periodEnd(account, p);
    const from = Math.max(start, account.openedDay);
    const drafts: Draft[] = [];
    for (let day = from; day <= end; day++) this.dayDrafts(account, day, drafts);
    if (end >= account.openedDay) this.recurringDrafts(account, p, from, end, drafts);
    this.own.set(key, drafts);
    return drafts;
  }

  /** Everyday transactions of one day, from a generator seeded by (user, account, day) only. */
  private dayDrafts(account: AccountPlan, day: number, out: Draft[]): void {
    const plan = this.plan;
    const r = rng(plan.seed, K.day, account.index, day);
    const g = growth(day);
    const weekend = isWeekend(day);
    switch (account.kind) {
      case 'checking': {
        if (plan.business) {
          if (!weekend) {
            for (let i = r.poisson(2.2); i > 0; i--) {
              const client = r.pick(plan.clients);
              const amount = this.money((plan.income / 48) * r.float(0.3, 1.7) * g);
              out.push(this.transfer(r, day, 'INFLOW', amount, client, 'Income & Payments'));
            }
            for (let i = r.poisson(1.3); i > 0; i--) {
              if (r.chance(0.5)) {
                const supplier = r.pick(plan.clients);
                const amount = this.money((plan.income / 60) * r.float(0.2, 1.5) * g);
                out.push(this.transfer(r, day, 'OUTFLOW', amount, supplier, 'Transfers'));
              } else out.push(this.purchase(r, day, account, pickMerchant(r, BUSINESS_SUPPLIERS, 'd'), g * 1.5));
            }
          }
          return;
        }
        const n = r.poisson(plan.intensity * (weekend ? 1.25 : 1));
        for (let i = 0; i < n; i++) {
          const roll = r.next();
          if (roll < 0.07) {
            const amount = this.money(r.float(200, 3000) * plan.fx * g);
            out.push(this.transfer(r, day, 'OUTFLOW', amount, r.pick(plan.contacts), 'Transfers'));
          } else if (roll < 0.1) {
            const amount = this.money(r.float(150, 2500) * plan.fx * g);
            out.push(this.transfer(r, day, 'INFLOW', amount, r.pick(plan.contacts), 'Transfers'));
          } else {
            out.push(this.purchase(r, day, account, pickMerchant(r, MERCHANTS[plan.country], 'd'), g));
          }
        }
        return;
      }
      case 'credit': {
        const catalogue = plan.business ? BUSINESS_SUPPLIERS : MERCHANTS[plan.country];
        const n = r.poisson(account.intensity * (weekend ? 1.2 : 1));
        for (let i = 0; i < n; i++) out.push(this.purchase(r, day, account, pickMerchant(r, catalogue, 'c'), g));
        return;
      }
      case 'savings':
      case 'investment': {
        const pIn = account.kind === 'savings' ? 0.035 : 0.012;
        const pOut = account.kind === 'savings' ? 0.02 : 0.008;
        if (r.chance(pIn)) {
          const amount = this.money(account.level * r.float(0.03, 0.15) * g);
          out.push(D({
            day, sec: r.int(hms(8, 0), hms(20, 0)), flow: 'INFLOW', amount,
            description: r.chance(0.3) ? this.labels.deposit : this.labels.fromAccount(this.plan.accounts[0].last4),
            category: 'Investments & Savings', subcategory: account.kind === 'savings' ? 'Savings' : 'Fixed income',
            reference: r.digits(8),
          }));
        }
        if (r.chance(pOut)) {
          const amount = this.money(account.level * r.float(0.02, 0.1) * g);
          out.push(D({
            day, sec: r.int(hms(8, 0), hms(20, 0)), flow: 'OUTFLOW', amount,
            description: this.labels.toAccount(this.plan.accounts[0].last4),
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
  private recurringDrafts(account: AccountPlan, p: number, from: number, end: number, out: Draft[]): void {
    const plan = this.plan;
    const L = this.labels;
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
        for (const payday of this.paydays(p)) {
          if (!inRange(payday.day)) continue;
          const amount = this.money(plan.income * payday.share * (plan.business ? 0.32 : 1) * g);
          out.push(
            plan.business
              ? D({ day: payday.day, sec: hms(7, 30), flow: 'OUTFLOW', amount, description: 'PAGO DE NOMINA DISPERSION', category: 'Transfers', reference: r.digits(10) })
              : D({ day: payday.day, sec: hms(6, 15), flow: 'INFLOW', amount, description: L.salary(plan.employer.toUpperCase()), category: 'Income & Payments', subcategory: 'Salary', reference: r.digits(10) }),
          );
        }
        if (plan.rent) {
          const day = dayInMonth(p, plan.rent.day);
          if (inRange(day)) {
            out.push(D({ day, sec: hms(9, 0), flow: 'OUTFLOW', amount: this.money(plan.rent.amount * g), description: L.rent, observations: `${L.concepts[0]} ${monthYear(p).month}/${monthYear(p).year}`, category: 'Bills & Utilities', subcategory: 'Rent', reference: r.digits(10) }));
          }
        }
        if (plan.business) {
          const day = previousBusinessDay(dayInMonth(p, 17));
          if (inRange(day)) {
            out.push(D({ day, sec: hms(11, 0), flow: 'OUTFLOW', amount: this.money(plan.income * 0.05 * g), description: 'PAGO REFERENCIADO SAT', category: 'Taxes', subcategory: 'Income Tax', reference: r.digits(20) }));
            out.push(D({ day, sec: hms(11, 5), flow: 'OUTFLOW', amount: this.money(plan.income * 0.035 * g), description: 'PAGO CUOTAS IMSS SIPARE', category: 'Taxes', subcategory: 'Government Fees', reference: r.digits(12) }));
          }
          const rentDay = dayInMonth(p, 3);
          if (inRange(rentDay)) {
            out.push(D({ day: rentDay, sec: hms(9, 0), flow: 'OUTFLOW', amount: this.money(plan.income * 0.06 * g), description: 'PAGO ARRENDAMIENTO OFICINA', category: 'Bills & Utilities', subcategory: 'Rent', reference: r.digits(10) }));
          }
        }
        if (account.monthlyFee > 0 && inRange(end)) {
          out.push(D({ day: end, sec: hms(21, 0), flow: 'OUTFLOW', amount: this.money(account.monthlyFee * g), description: L.fee, category: 'Fees & Charges', subcategory: 'Bank Fees', reference: r.digits(8) }));
        }
        return;
      }
      case 'savings':
      case 'investment': {
        const opening = this.opening(account, p);
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
          out.push(D({ day: feeDay, sec: hms(4, 0), flow: 'OUTFLOW', amount: this.money((plan.business ? 1500 : 800) * plan.fx * g), description: L.annualFee, category: 'Fees & Charges', subcategory: 'Bank Fees', reference: r.digits(8) }));
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
  private linkedDrafts(account: AccountPlan, p: number, start: number, end: number, opening: number): Draft[] {
    const out: Draft[] = [];
    const L = this.labels;
    const r = rng(this.plan.seed, K.period, account.index, p, 99);
    if (account.kind === 'credit') {
      // This cycle pays the previous cycle's statement (= the opening debt) on its due day.
      const day = this.dueDay(account, p - 1);
      if (opening > 0 && day >= start && day <= end) {
        out.push(D({ day, sec: hms(12, 0), flow: 'INFLOW', amount: opening, description: L.cardPaymentReceived, category: 'Credits & Loans', subcategory: 'Credit Card', reference: r.digits(10) }));
      }
      return out;
    }
    if (account.kind !== 'checking' || account.index !== 0) return out;
    const from = Math.max(start, account.openedDay);
    for (const other of this.plan.accounts) {
      if (other.kind === 'credit') {
        for (let q = this.periodOf(other, from - 20); q <= this.periodOf(other, end - 20); q++) {
          const day = this.dueDay(other, q);
          const amount = this.charges(other, q);
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

  private balancingDraft(account: AccountPlan, p: number, end: number, gap: number): Draft {
    const L = this.labels;
    const r = rng(this.plan.seed, K.period, account.index, p, 98);
    const flow: Flow = gap > 0 ? 'INFLOW' : 'OUTFLOW';
    const amount = Math.abs(gap);
    const sibling =
      account.kind === 'checking'
        ? this.plan.accounts.find((a) => a.kind === 'savings') ?? this.plan.accounts.find((a) => a.kind === 'investment')
        : this.plan.accounts[0];
    if (account.kind === 'checking' && !sibling) {
      return this.transfer(r, end, flow, amount, r.pick(this.plan.business ? this.plan.clients : this.plan.contacts), 'Transfers', hms(23, 30));
    }
    const last4 = sibling?.last4 ?? this.plan.accounts[0].last4;
    return D({
      day: end, sec: hms(23, 30), flow, amount,
      description: flow === 'INFLOW' ? L.fromAccount(last4) : L.toAccount(last4),
      category: account.kind === 'checking' ? 'Transfers' : 'Investments & Savings',
      subcategory: account.kind === 'checking' ? null : account.kind === 'savings' ? 'Savings' : 'Fixed income',
      reference: r.digits(10),
    });
  }

  // ---- helpers ------------------------------------------------------------------------------

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

  /** Paydays of month `p`: the 15th and the last day (Brazil: the 5th and the 20th), moved back to a weekday. */
  private paydays(p: number): { day: number; share: number }[] {
    if (this.plan.country === 'BR') {
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
  private money(units: number): number {
    return Math.max(this.plan.unit, roundCents(units * 100, this.plan.unit));
  }

  private purchase(r: Rng, day: number, account: AccountPlan, m: Merchant, g: number): Draft {
    // Skewed towards the low end: most purchases are small.
    const units = (m.min + (m.max - m.min) * r.next() ** 1.7) * g * account.scale;
    const amount = this.money(units);
    const store = r.digits(4);
    return D({
      day,
      sec: r.int(hms(7, 0), hms(22, 30)),
      flow: 'OUTFLOW',
      amount,
      description: account.kind === 'credit' ? `${m.desc} ${store}` : `${this.labels.debit}${m.desc} ${store}`,
      category: m.category,
      subcategory: m.subcategory,
      merchant: { logo: null, website: m.website, merchant_name: m.name },
      reference: r.digits(r.int(6, 10)),
    });
  }

  private transfer(r: Rng, day: number, flow: Flow, amount: number, counterparty: string, category: TxCategory, sec?: number): Draft {
    const name = counterparty.toUpperCase();
    return D({
      day,
      sec: sec ?? r.int(hms(8, 0), hms(22, 0)),
      flow,
      amount,
      description: flow === 'INFLOW' ? this.labels.transferIn(name) : this.labels.transferOut(name),
      observations: r.chance(0.6) ? `${r.pick(this.labels.concepts)}` : null,
      category,
      subcategory: null,
      reference: r.digits(10),
    });
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
