/**
 * The taxpayer's CFDIs, issued (OUTFLOW) and received (INFLOW), generated day by day.
 *
 * Each day's invoices come from a generator seeded by (taxpayer, side, day) only, so any window
 * is generated without the rest of history and an invoice never changes once issued. A PPD
 * invoice ("paid later") also schedules its payment receipt (CFDI type P) 5 to 40 days later;
 * that receipt belongs to the day that created it, so a window is generated from 45 days before
 * its start. Cancellations are decided at issue time too: the invoice reads "Vigente" until its
 * cancellation date passes.
 *
 * Amounts are integer cents. Totals follow CFDI arithmetic: line amount = quantity x unit
 * price; VAT = rate x (amount - discount); subtotal = sum of amounts; total = subtotal -
 * discount + VAT.
 */
import { dayInMonth, isWeekend, monthOfDay, monthStart, monthEnd, previousBusinessDay, priceIndex, ymd } from './calendar.js';
import type { CfdiLine } from './cfdi-xml.js';
import type { Employee, Party, Product, Supplier, Taxpayer } from './fiscal-taxpayer.js';
import { rng, type Rng } from './random.js';

export type Side = 'INFLOW' | 'OUTFLOW';
export type CfdiKind = 'I' | 'E' | 'N' | 'P';

export interface PayrollData {
  paymentDate: number;
  from: number;
  to: number;
  days: number;
  gross: number;
  isr: number;
  socialSecurity: number;
  employerRegistration: string;
  curp: string;
  nss: string;
  employeeNumber: string;
  startDay: number;
  dailySalary: number;
}

export interface PaymentData {
  day: number;
  sec: number;
  form: string;
  amount: number;
  operation: string;
  relatedUuid: string;
  relatedSerie: string;
  relatedFolio: string;
  payerAccount: string;
  beneficiaryAccount: string;
  payerBank: string;
}

export interface InvoiceDraft {
  uuid: string;
  side: Side;
  kind: CfdiKind;
  day: number;
  /** Seconds after midnight (local time of issue). */
  sec: number;
  sender: Party;
  receiver: Party;
  usage: string;
  serie: string;
  folio: string;
  lines: CfdiLine[];
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
  paymentMethod: 'PUE' | 'PPD' | null;
  paymentForm: string | null;
  /** Day the issuer cancels it, or null. */
  cancelDay: number | null;
  payroll: PayrollData | null;
  payment: PaymentData | null;
}

/** Payment receipts come at most this many days after their invoice. */
export const PAYMENT_LAG_MAX = 40;

const SIDE_KEY: Record<Side, number> = { OUTFLOW: 10, INFLOW: 11 };
const BANKS = ['BANCO EREBOR', 'GRINGOTTS', 'BANCO GOTHAM', 'HEIMDALL'];

/** A version-4-looking UUID in upper case, as SAT prints them. */
function uuid(r: Rng): string {
  const h = (n: number) => (r.u32() >>> 0).toString(16).padStart(8, '0').slice(0, n);
  const variant = (8 + r.int(0, 3)).toString(16);
  return `${h(8)}-${h(4)}-4${h(3)}-${variant}${h(3)}-${h(4)}${h(8)}`.toUpperCase();
}

/** Annual ISR tariff (LISR art. 152, 2024 values): lower limit, fixed fee, marginal rate. */
export const ISR_TARIFF: readonly [number, number, number][] = [
  [0.01, 0, 0.0192],
  [8952.5, 171.88, 0.064],
  [75984.56, 4461.94, 0.1088],
  [133536.08, 10723.55, 0.16],
  [155229.81, 14194.54, 0.1792],
  [185852.58, 19682.13, 0.2136],
  [374837.89, 60049.4, 0.2352],
  [590796, 110842.74, 0.3],
  [1127926.85, 271981.99, 0.32],
  [1503902.47, 392294.17, 0.34],
  [4511707.38, 1414947.85, 0.35],
];

/**
 * ISR on `income` pesos earned over `months` months of the year: the annual tariff with its
 * limits prorated (how SAT's monthly and accumulated tables are built).
 */
export function isr(income: number, months = 12): number {
  if (income <= 0) return 0;
  const k = months / 12;
  let row = ISR_TARIFF[0];
  for (const candidate of ISR_TARIFF) if (income >= candidate[0] * k) row = candidate;
  return row[1] * k + (income - row[0] * k) * row[2];
}

export class InvoiceBook {
  private readonly days = new Map<string, InvoiceDraft[]>();

  constructor(readonly tp: Taxpayer) {}

  /** Invoices that `day` created (payment receipts among them may be dated later). */
  created(side: Side, day: number): InvoiceDraft[] {
    const key = `${side}:${day}`;
    let list = this.days.get(key);
    if (!list) {
      list = day < this.tp.startDay ? [] : side === 'OUTFLOW' ? this.issuedOn(day) : this.receivedOn(day);
      this.days.set(key, list);
    }
    return list;
  }

  /** Invoices of `side` dated in [from, to], in date order. */
  between(side: Side, from: number, to: number): InvoiceDraft[] {
    const out: InvoiceDraft[] = [];
    for (let day = from - PAYMENT_LAG_MAX; day <= to; day++) {
      for (const inv of this.created(side, day)) if (inv.day >= from && inv.day <= to) out.push(inv);
    }
    return out.sort((a, b) => a.day - b.day || a.sec - b.sec);
  }

  // ---- issued --------------------------------------------------------------------------------

  private issuedOn(day: number): InvoiceDraft[] {
    const tp = this.tp;
    const r = rng(tp.seed, SIDE_KEY.OUTFLOW, day);
    const out: InvoiceDraft[] = [];
    const g = priceIndex(day);
    // Issuers number their own invoices in order: room for 100 a day.
    let folio = (day - tp.startDay) * 100;
    const nextFolio = () => String(++folio);
    if (!isWeekend(day)) {
      for (let i = r.poisson(tp.issuedPerDay); i > 0; i--) {
        const client = r.pick(tp.clients);
        const ppd = r.chance(tp.company ? 0.35 : 0.3);
        const lines = this.lines(r, tp.industry.products, r.int(1, tp.company ? 3 : 2), g, r.chance(0.1));
        const inv = this.invoice(r, 'OUTFLOW', 'I', day, tp.party, client, tp.company ? 'G01' : 'G03', 'A', nextFolio(), lines, ppd, ppd ? '99' : r.pick(['03', '03', '04']));
        out.push(inv);
        if (ppd) out.push(this.paymentReceipt(r, inv, 'OUTFLOW', tp.party, client, nextFolio()));
        if (tp.company && r.chance(0.02)) {
          // A credit note (returns, discounts) on part of the sale.
          const credit = inv.lines.slice(0, 1).map((l) => ({ ...l, quantity: 1, unitPrice: Math.round(l.amount * 0.1), amount: Math.round(l.amount * 0.1), discount: 0 }));
          for (const l of credit) l.tax = l.taxRate ? Math.round(l.amount * l.taxRate) : 0;
          out.push(this.invoice(r, 'OUTFLOW', 'E', day, tp.party, client, 'G02', 'NC', nextFolio(), credit, false, '03'));
        }
      }
    }
    if (tp.company && isPayday(day)) {
      for (const e of tp.employees) {
        if (e.startDay > day) continue;
        out.push(this.payroll(r, day, tp.party, e, registration(tp), nextFolio(), g));
      }
    }
    return out;
  }

  // ---- received ------------------------------------------------------------------------------

  private receivedOn(day: number): InvoiceDraft[] {
    const tp = this.tp;
    const r = rng(tp.seed, SIDE_KEY.INFLOW, day);
    const out: InvoiceDraft[] = [];
    const g = priceIndex(day);
    // Companies deduct everything as general expenses; persons file medical bills as personal deductions.
    const usageFor = (s: Supplier) => (tp.company && s.kind.usage !== 'G01' ? 'G03' : s.kind.usage);
    if (tp.employer && isPayday(day) && day >= tp.employer.startDay) {
      const me: Employee = {
        party: { ...tp.party, regime: '605' },
        curp: tp.curp ?? '',
        nss: tp.nss ?? '',
        number: String(1000 + (tp.seed[3] % 9000)),
        startDay: tp.employer.startDay,
        monthlyGross: tp.employer.monthlyGross,
        stateCode: 'DIF',
      };
      out.push(this.payroll(r, day, tp.employer, me, tp.employer.registration, String(r.int(1000, 99999)), g));
    }
    const { day: dom } = ymd(day);
    for (const s of tp.suppliers) {
      if (!s.kind.monthly || s.day !== dom) continue;
      out.push(...this.supplierInvoices(r, day, s, usageFor(s), g));
    }
    const random = tp.suppliers.filter((s) => !s.kind.monthly);
    for (let i = r.poisson(tp.receivedPerDay * (isWeekend(day) ? 0.6 : 1)); i > 0; i--) {
      const s = r.weighted(random, (x) => x.kind.weight);
      out.push(...this.supplierInvoices(r, day, s, usageFor(s), g));
    }
    return out;
  }

  private supplierInvoices(r: Rng, day: number, s: Supplier, usage: string, g: number): InvoiceDraft[] {
    const inv = this.supplierInvoice(r, day, s, usage, g);
    return inv.paymentMethod === 'PPD'
      ? [inv, this.paymentReceipt(r, inv, 'INFLOW', s.party, this.tp.party, String(r.int(1000, 99999)))]
      : [inv];
  }

  private supplierInvoice(r: Rng, day: number, s: Supplier, usage: string, g: number): InvoiceDraft {
    const ppd = r.chance(s.kind.ppd);
    const lines = this.lines(r, s.kind.products, s.kind.products.length > 1 ? r.int(1, 2) : 1, g, false);
    const receiver = { ...this.tp.party };
    return this.invoice(r, 'INFLOW', 'I', day, s.party, receiver, usage, r.pick(['A', 'F', 'FAC']), String(r.int(1000, 99999)), lines, ppd, ppd ? '99' : r.pick(s.kind.forms));
  }

  // ---- builders ------------------------------------------------------------------------------

  private lines(r: Rng, products: Product[], count: number, g: number, discounted: boolean): CfdiLine[] {
    const out: CfdiLine[] = [];
    for (let i = 0; i < count; i++) {
      const prod = r.pick(products);
      const quantity = r.int(prod.qty[0], prod.qty[1]);
      const unitPrice = Math.round((prod.min + (prod.max - prod.min) * r.next() ** 1.5) * g * 100);
      const amount = quantity * unitPrice;
      const discount = discounted ? Math.round(amount * r.pick([0.05, 0.1, 0.15])) : 0;
      const tax = prod.tax ? Math.round((amount - discount) * prod.tax) : 0;
      out.push({
        productCode: prod.code,
        quantity,
        unitCode: prod.unitCode,
        unitName: prod.unitName,
        description: prod.description,
        unitPrice,
        amount,
        discount,
        taxRate: prod.tax,
        tax,
        taxable: true,
      });
    }
    return out;
  }

  private invoice(
    r: Rng,
    side: Side,
    kind: CfdiKind,
    day: number,
    sender: Party,
    receiver: Party,
    usage: string,
    serie: string,
    folio: string,
    lines: CfdiLine[],
    ppd: boolean,
    paymentForm: string | null,
  ): InvoiceDraft {
    const subtotal = lines.reduce((s, l) => s + l.amount, 0);
    const discount = lines.reduce((s, l) => s + l.discount, 0);
    const tax = lines.reduce((s, l) => s + l.tax, 0);
    return {
      uuid: uuid(r),
      side,
      kind,
      day,
      sec: r.int(8 * 3600, 20 * 3600),
      sender,
      receiver,
      usage,
      serie,
      folio,
      lines,
      subtotal,
      discount,
      tax,
      total: subtotal - discount + tax,
      paymentMethod: kind === 'P' ? null : ppd ? 'PPD' : 'PUE',
      paymentForm,
      cancelDay: kind === 'I' && r.chance(0.03) ? day + r.int(0, 3) : null,
      payroll: null,
      payment: null,
    };
  }

  /** The payment receipt (CFDI type P) settling a PPD invoice in one installment. */
  private paymentReceipt(r: Rng, paid: InvoiceDraft, side: Side, sender: Party, receiver: Party, folio: string): InvoiceDraft {
    const day = paid.day + r.int(5, PAYMENT_LAG_MAX);
    const line: CfdiLine = {
      productCode: '84111506',
      quantity: 1,
      unitCode: 'ACT',
      unitName: 'Actividad',
      description: 'Pago',
      unitPrice: 0,
      amount: 0,
      discount: 0,
      taxRate: null,
      tax: 0,
      taxable: false,
    };
    const inv = this.invoice(r, side, 'P', day, sender, receiver, 'CP01', 'P', folio, [line], false, null);
    inv.cancelDay = null;
    const paidAt = r.int(9 * 3600, 17 * 3600);
    // The receipt is issued after the money arrives, the same day.
    inv.sec = paidAt + r.int(600, 6 * 3600);
    inv.payment = {
      day,
      sec: paidAt,
      form: '03',
      amount: paid.total,
      operation: r.digits(10),
      relatedUuid: paid.uuid,
      relatedSerie: paid.serie,
      relatedFolio: paid.folio,
      payerAccount: r.digits(18),
      beneficiaryAccount: r.digits(18),
      payerBank: r.pick(BANKS),
    };
    return inv;
  }

  /** A half-month payroll receipt (CFDI type N): gross pay, less ISR and social security. */
  private payroll(r: Rng, day: number, employer: Party, e: Employee, registrationNumber: string, folio: string, g: number): InvoiceDraft {
    const gross = Math.round((e.monthlyGross / 2) * g * 100);
    const isrCents = Math.round(isr((gross / 100) * 24) * 100 / 24);
    const socialSecurity = Math.round(gross * 0.02775);
    const { day: dom } = ymd(day);
    const m = monthOfDay(day);
    const firstHalf = dom <= 15;
    const from = firstHalf ? monthStart(m) : dayInMonth(m, 16);
    const to = firstHalf ? dayInMonth(m, 15) : monthEnd(m);
    const line: CfdiLine = {
      productCode: '84111505',
      quantity: 1,
      unitCode: 'ACT',
      unitName: 'Actividad',
      description: 'Pago de nómina',
      unitPrice: gross,
      amount: gross,
      discount: isrCents + socialSecurity,
      taxRate: null,
      tax: 0,
      taxable: false,
    };
    const side: Side = employer.rfc === this.tp.rfc ? 'OUTFLOW' : 'INFLOW';
    const inv = this.invoice(r, side, 'N', day, employer, e.party, 'CN01', 'N', folio, [line], false, '99');
    inv.sec = 6 * 3600 + r.int(0, 3600);
    inv.cancelDay = null;
    inv.payroll = {
      paymentDate: day,
      from,
      to,
      days: to - from + 1,
      gross,
      isr: isrCents,
      socialSecurity,
      employerRegistration: registrationNumber,
      curp: e.curp,
      nss: e.nss,
      employeeNumber: e.number,
      startDay: e.startDay,
      // Integrated daily salary: daily pay times the legal minimum benefits factor.
      dailySalary: Math.round(((gross * 2) / 30.4) * 1.0493),
    };
    return inv;
  }
}

/** Payroll is paid on the 15th and the last day of the month, or the business day before. */
export function isPayday(day: number): boolean {
  const m = monthOfDay(day);
  return day === previousBusinessDay(dayInMonth(m, 15)) || day === previousBusinessDay(monthEnd(m));
}

function registration(tp: Taxpayer): string {
  return `${tp.rfc.charAt(0)}${String(tp.seed[0] % 1e10).padStart(10, '0')}`;
}

/** What the monthly and yearly returns need from one month of invoices, in cents. */
export interface MonthTotals {
  /** Issued income net of discounts and credit notes, by VAT treatment. */
  income16: number;
  income0: number;
  incomeExempt: number;
  /** VAT charged on issued invoices (net of credit notes). */
  vatCharged: number;
  /** Deductible purchases (usage G01/G03) and their VAT. */
  expenses: number;
  vatCreditable: number;
  /** Payroll received (persons) or paid (companies) and its ISR withheld. */
  payrollGross: number;
  payrollIsr: number;
  /** Personal deductions (usage D01/D02) by issuer. */
  personal: { rfc: string; amount: number }[];
  /** Number of valid CFDIs issued / received. */
  issuedCount: number;
  receivedCount: number;
}

/** Sums one month of valid (never cancelled) invoices. */
export function monthTotals(book: InvoiceBook, month: number): MonthTotals {
  const t: MonthTotals = {
    income16: 0, income0: 0, incomeExempt: 0, vatCharged: 0, expenses: 0, vatCreditable: 0,
    payrollGross: 0, payrollIsr: 0, personal: [], issuedCount: 0, receivedCount: 0,
  };
  for (let day = monthStart(month); day <= monthEnd(month); day++) {
    for (const side of ['OUTFLOW', 'INFLOW'] as const) {
      for (const inv of book.created(side, day)) {
        if (inv.cancelDay !== null || inv.kind === 'P') continue;
        if (side === 'OUTFLOW') t.issuedCount++;
        else t.receivedCount++;
        if (inv.kind === 'N') {
          t.payrollGross += inv.payroll!.gross;
          t.payrollIsr += inv.payroll!.isr;
          continue;
        }
        const sign = inv.kind === 'E' ? -1 : 1;
        if (side === 'OUTFLOW') {
          for (const l of inv.lines) {
            const base = (l.amount - l.discount) * sign;
            if (l.taxRate === null) t.incomeExempt += base;
            else if (l.taxRate === 0) t.income0 += base;
            else t.income16 += base;
          }
          t.vatCharged += inv.tax * sign;
        } else if (inv.usage.startsWith('D')) {
          t.personal.push({ rfc: inv.sender.rfc, amount: inv.total });
        } else if (inv.usage.startsWith('G')) {
          t.expenses += inv.subtotal - inv.discount;
          t.vatCreditable += inv.tax;
        }
      }
    }
  }
  return t;
}
