/**
 * Belvo-shaped bank records (accounts, transactions, balances, owners) from a user's plan and
 * ledger. Only `request.now` tells the time: it decides which transactions exist yet, which are
 * still PENDING, and every account's current balance.
 */
import type { Credentials, ExtractRequest, ExtractedRecord, InstitutionDefinition } from '../../connector.js';
import {
  DAY_MS,
  SHORT_MONTHS_ES,
  SHORT_MONTHS_PT,
  addMonths,
  compactDate,
  dayInMonth,
  dayOf,
  epochMs,
  isoDate,
  ymd,
} from './calendar.js';
import { normaliseUsername, planBank, type AccountPlan, type BankPlan } from './bank-plan.js';
import { requestWindow, type Window } from './window.js';
import { Ledger, type LedgerTxn } from './bank-ledger.js';

/** Transactions this recent (in days, today included) are still PENDING; then they become PROCESSED. */
export const PENDING_DAYS = 3;
const cents = (n: number) => Math.round(n) / 100;
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const hhmmss = (sec: number) => `${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor((sec % 3600) / 60))}:${pad2(sec % 60)}`;

/**
 * The plans and ledgers of the last few users. A ledger is a pure function of its user (what it
 * memoises, each period's transactions, never depends on `now`), and a refresh extracts accounts,
 * balances and transactions one after another: each rebuilt the same months of the same ledger
 * (~9 ms of a sandbox refresh's CPU, two thirds of it repeated). Bounded: a ledger holding two
 * years of history is ~1 MB.
 */
const RECENT_USERS = 16;
const recent = new Map<string, { plan: BankPlan; ledger: Ledger }>();

function ledgerFor(institution: InstitutionDefinition, credentials: Credentials): { plan: BankPlan; ledger: Ledger } {
  const key = JSON.stringify([institution.name, normaliseUsername(credentials)]);
  let user = recent.get(key);
  if (user) recent.delete(key);
  else {
    const plan = planBank(institution, credentials);
    user = { plan, ledger: new Ledger(plan) };
    if (recent.size >= RECENT_USERS) recent.delete(recent.keys().next().value!);
  }
  recent.set(key, user); // most recently used last
  return user;
}

class BankExtraction {
  readonly plan: BankPlan;
  readonly ledger: Ledger;
  readonly nowMs: number;
  readonly today: number;
  readonly nowIso: string;

  constructor(readonly request: ExtractRequest) {
    ({ plan: this.plan, ledger: this.ledger } = ledgerFor(request.institution, request.credentials));
    this.nowMs = request.now.getTime();
    this.today = dayOf(request.now);
    this.nowIso = request.now.toISOString();
  }

  /** The accounts the request covers (`request.account` narrows to one; unknown → none). */
  accounts(): AccountPlan[] {
    const wanted = this.request.account;
    return wanted === undefined ? this.plan.accounts : this.plan.accounts.filter((a) => a.id === wanted);
  }

  /** Balance (cents) of `account` as of epoch-ms `at`. */
  balanceAt(account: AccountPlan, at: number): number {
    const period = this.ledger.period(account, this.ledger.periodOf(account, Math.floor(at / DAY_MS)));
    let balance = period.opening;
    for (const t of period.txns) {
      if (t.ms > at) break;
      balance = t.balance;
    }
    return balance;
  }

  /** Calls `visit` with every visible transaction of `account` dated in the window, in order. */
  eachTxn(account: AccountPlan, window: Window, visit: (t: LedgerTxn) => void): void {
    const from = Math.max(window.from, account.openedDay);
    if (from > window.to) return;
    const last = this.ledger.periodOf(account, window.to);
    for (let p = this.ledger.periodOf(account, from); p <= last; p++) {
      for (const t of this.ledger.period(account, p).txns) {
        if (t.day < from || t.day > window.to || t.ms > this.nowMs) continue;
        visit(t);
      }
    }
  }

  accountRecord(account: AccountPlan): ExtractedRecord {
    const current = this.balanceAt(account, this.nowMs);
    let available = current;
    if (account.kind === 'credit') available = Math.max(0, Math.round(account.creditLimit * 100) - current);
    if (account.kind === 'loan') available = this.loanState(account).outstandingPrincipal;
    return {
      internal_identification: account.id,
      institution: { name: this.plan.institution.name, type: this.plan.institution.type },
      category: account.category,
      balance_type: account.balanceType,
      type: account.type,
      name: account.name,
      number: account.number,
      balance: { current: cents(current), available: cents(available) },
      currency: this.plan.currency,
      public_identification_name: account.publicName,
      public_identification_value: account.publicValue,
      last_accessed_at: this.nowIso,
      credit_data: account.kind === 'credit' ? this.creditData(account, current) : null,
      loan_data: account.kind === 'loan' ? this.loanData(account) : null,
      funds_data: null,
      receivables_data: null,
      bank_product_id: null,
    };
  }

  private creditData(account: AccountPlan, current: number): Record<string, unknown> {
    const L = this.ledger;
    const cycle = L.periodOf(account, this.today);
    const lastDue = L.dueDay(account, cycle - 1);
    // Until its due day the last statement is what the user must pay; afterwards, the open cycle.
    const statementOpen = this.today <= lastDue;
    const statement = statementOpen ? L.charges(account, cycle - 1) : current;
    const unit = this.plan.unit;
    const minimum = Math.min(statement, Math.max(Math.round((statement * 0.05) / unit) * unit, 200 * this.plan.fx * 100));
    const lastPayment = L.dueDay(account, statementOpen ? cycle - 2 : cycle - 1);
    return {
      collected_at: this.nowIso,
      credit_limit: account.creditLimit,
      cutting_date: isoDate(L.periodEnd(account, cycle)),
      next_payment_date: isoDate(statementOpen ? lastDue : L.dueDay(account, cycle)),
      minimum_payment: cents(Math.round(minimum)),
      no_interest_payment: cents(statement),
      interest_rate: account.rate,
      end_date: null,
      monthly_payment: null,
      last_payment_date: lastPayment >= account.openedDay ? isoDate(lastPayment) : null,
    };
  }

  /**
   * Where the user is in the current loan contract. Read from the ledger balance (the debt is
   * always installment x installments left), so loan_data never disagrees with the transactions.
   */
  private loanState(account: AccountPlan) {
    const loan = account.loan!;
    const current = this.balanceAt(account, this.nowMs);
    const remaining = Math.round(current / loan.installment);
    // The latest disbursement at or before now (they happen at 11:00 on the payment day).
    let contract = -1;
    while (epochMs(dayInMonth(loan.firstMonth + (contract + 1) * loan.term, loan.day), 11 * 3600) <= this.nowMs) contract++;
    const started = contract >= 0;
    const paid = started ? loan.term - remaining : 0;
    const r = loan.monthlyRate;
    const P = loan.principal * 100;
    const outstandingPrincipal =
      started && remaining > 0 ? Math.max(0, Math.round(P * (1 + r) ** paid - (loan.installment * ((1 + r) ** paid - 1)) / r)) : 0;
    const startDay = dayInMonth(loan.firstMonth + Math.max(0, contract) * loan.term, loan.day);
    return { loan, contract: Math.max(0, contract), remaining, outstandingPrincipal, startDay };
  }

  private loanData(account: AccountPlan): Record<string, unknown> {
    const s = this.loanState(account);
    const { loan } = s;
    const outstanding = loan.installment * s.remaining;
    return {
      collected_at: this.nowIso,
      contract_amount: cents(loan.installment * loan.term),
      principal: loan.principal,
      loan_type: loan.loanType,
      payment_day: String(loan.day),
      outstanding_principal: cents(s.outstandingPrincipal),
      outstanding_balance: cents(outstanding),
      monthly_payment: cents(loan.installment),
      interest_rates: [{ name: 'Tasa ordinaria', type: 'YEARLY', value: loan.yearlyRate }],
      fees: loan.fee > 0 ? [{ type: 'OPERATION_FEE', value: loan.fee }] : [],
      number_of_installments_total: loan.term,
      number_of_installments_outstanding: s.remaining,
      contract_start_date: isoDate(s.startDay),
      contract_end_date: isoDate(addMonths(s.startDay, loan.term)),
      contract_number: `${account.number.replace(/\D/g, '').slice(-6)}${String(s.contract + 1).padStart(2, '0')}${account.id.slice(0, 4)}`,
      credit_limit: null,
      last_period_balance: null,
      interest_rate: null,
      limit_day: null,
      cutting_day: null,
      cutting_date: null,
      last_payment_date: null,
      no_interest_payment: null,
    };
  }

  private dateCache = { day: -1, iso: '' };

  /** `YYYY-MM-DD` of `day`, remembering the last one (transactions come in date order). */
  private isoDay(day: number): string {
    if (this.dateCache.day !== day) this.dateCache = { day, iso: isoDate(day) };
    return this.dateCache.iso;
  }

  transactionRecord(account: AccountPlan, t: LedgerTxn): ExtractedRecord {
    const date = this.isoDay(t.day);
    return {
      internal_identification: t.id,
      account_internal_identification: account.id,
      value_date: date,
      accounting_date: `${date}T${hhmmss(t.sec)}.000Z`,
      amount: cents(t.amount),
      balance: cents(t.balance),
      currency: this.plan.currency,
      description: t.description,
      observations: t.observations,
      merchant: t.merchant,
      category: t.category,
      subcategory: t.subcategory,
      reference: t.reference,
      type: t.flow,
      status: this.today - t.day < PENDING_DAYS ? 'PENDING' : 'PROCESSED',
      credit_card_data: t.cycle === null ? null : this.billData(account, t.cycle),
    };
  }

  private readonly bills = new Map<string, Record<string, unknown>>();

  /** The bill a card transaction belongs to; computed once per cycle, copied per record. */
  private billData(account: AccountPlan, cycle: number): Record<string, unknown> {
    const key = `${account.index}:${cycle}`;
    let bill = this.bills.get(key);
    if (!bill) {
      bill = this.computeBill(account, cycle);
      this.bills.set(key, bill);
    }
    return { ...bill };
  }

  private computeBill(account: AccountPlan, cycle: number): Record<string, unknown> {
    const L = this.ledger;
    const close = L.periodEnd(account, cycle);
    const { year, month } = ymd(close);
    const months = this.plan.country === 'BR' ? SHORT_MONTHS_PT : SHORT_MONTHS_ES;
    const status = this.today <= close ? 'OPEN' : this.today <= L.dueDay(account, cycle) ? 'CLOSED' : 'PAID';
    return {
      collected_at: null,
      bill_name: `${months[month - 1]}-${year}`,
      bill_status: status,
      // An open bill's total is not known yet (later purchases will add to it).
      bill_amount: status === 'OPEN' ? null : cents(L.charges(account, cycle)),
      previous_bill_total: cents(L.charges(account, cycle - 1)).toFixed(2),
    };
  }
}

export function extractAccounts(request: ExtractRequest): ExtractedRecord[] {
  const x = new BankExtraction(request);
  return x.accounts().map((a) => x.accountRecord(a));
}

export function extractTransactions(request: ExtractRequest): ExtractedRecord[] {
  const x = new BankExtraction(request);
  const window = requestWindow(request);
  if (!window) return [];
  const out: ExtractedRecord[] = [];
  for (const account of x.accounts()) x.eachTxn(account, window, (t) => out.push(x.transactionRecord(account, t)));
  return out;
}

/** One balance per account per day of the window: the balance at the end of that day (today: now). */
export function extractBalances(request: ExtractRequest): ExtractedRecord[] {
  const x = new BankExtraction(request);
  const window = requestWindow(request);
  if (!window) return [];
  const out: ExtractedRecord[] = [];
  for (const account of x.accounts()) {
    const from = Math.max(window.from, account.openedDay);
    if (from > window.to) continue;
    let balance = x.balanceAt(account, from * DAY_MS - 1);
    const txns: LedgerTxn[] = [];
    x.eachTxn(account, { from, to: window.to }, (t) => txns.push(t));
    let i = 0;
    for (let day = from; day <= window.to; day++) {
      while (i < txns.length && txns[i].day === day) balance = txns[i++].balance;
      const value = cents(balance);
      out.push({
        internal_identification: `${account.id}-${compactDate(day)}`,
        account_internal_identification: account.id,
        value_date: isoDate(day),
        balance: value,
        current_balance: value,
        statement: null,
      });
    }
  }
  return out;
}

export function extractOwners(request: ExtractRequest): ExtractedRecord[] {
  const plan = planBank(request.institution, request.credentials);
  return plan.owners.map((o) => ({
    internal_identification: o.id,
    display_name: o.displayName,
    email: o.email,
    phone_number: o.phone,
    address: o.address,
    document_id: { document_type: o.documentType, document_number: o.documentNumber },
    last_name: null,
    second_last_name: null,
  }));
}
