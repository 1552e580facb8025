/**
 * Deposit accounts (checking, savings) of a mock customer and their transactions.
 *
 * A day's transactions are a pure function of (CPF, account, day): the generator is seeded by
 * those only, so ids and amounts never change when the clock moves; `now` only decides what is
 * visible (already happened, or scheduled within the next 30 days as LANCAMENTO_FUTURO) and what
 * is still TRANSACAO_PROCESSANDO (the last 15 minutes). Checking accounts get 1-4 everyday
 * transactions every day, so any D-6 window has data.
 */
import { hashHex, rng, type Rng, type Seed } from '../../../sandbox/data/random.js';
import { BANK, COUNTERPART_BANKS, MERCHANTS } from './bank.js';
import { dayOf, dayParts, localDay, localInstant, money, monthIndex, randomCnpj, randomCpf } from './documents.js';

export type AccountType = 'CONTA_DEPOSITO_A_VISTA' | 'CONTA_POUPANCA';
export type CompletedType = 'TRANSACAO_EFETIVADA' | 'LANCAMENTO_FUTURO' | 'TRANSACAO_PROCESSANDO';

/** `AccountTransactionsData` of accounts-2.4.2. */
export interface AccountTransaction {
  transactionId: string;
  completedAuthorisedPaymentType: CompletedType;
  creditDebitType: 'CREDITO' | 'DEBITO';
  transactionName: string;
  type: string;
  transactionAmount: { amount: string; currency: 'BRL' };
  transactionDateTime: string;
  partieCnpjCpf?: string;
  partiePersonType?: 'PESSOA_NATURAL' | 'PESSOA_JURIDICA';
  partieCompeCode?: string;
  partieBranchCode?: string;
  partieNumber?: string;
  partieCheckDigit?: string;
}

export interface DepositAccountPlan {
  index: number;
  accountId: string;
  type: AccountType;
  subtype: 'INDIVIDUAL' | 'CONJUNTA_SIMPLES' | 'CONJUNTA_SOLIDARIA';
  branchCode: string;
  number: string;
  checkDigit: string;
  /** Employer paying the salary into the checking account. */
  employer: { name: string; cnpj: string };
  salaryCents: number;
  overdraftCents: number;
}

/** Generator keys: one per kind of record, so kinds never share a stream. */
const K_DAY = 11;
const K_MONTH = 12;

/** A transaction before `now` decides its status; `at` is its instant. */
interface Draft extends Omit<AccountTransaction, 'completedAuthorisedPaymentType' | 'transactionDateTime'> {
  at: Date;
  /** Scheduled items exist before they happen (LANCAMENTO_FUTURO); everyday ones do not. */
  scheduled: boolean;
  cents: number;
}

function txId(cpf: string, account: DepositAccountPlan, day: number, n: number): string {
  // Stable and unique per (customer, account, day, position): the OFB immutability rule.
  return `TX${hashHex('ofmockbank', cpf, account.accountId, day, n).slice(0, 30).toUpperCase()}`;
}

function counterpart(r: Rng, person: boolean): Pick<AccountTransaction, 'partieCnpjCpf' | 'partiePersonType' | 'partieCompeCode' | 'partieBranchCode' | 'partieNumber' | 'partieCheckDigit'> {
  return {
    partieCnpjCpf: person ? randomCpf(r) : randomCnpj(r),
    partiePersonType: person ? 'PESSOA_NATURAL' : 'PESSOA_JURIDICA',
    partieCompeCode: r.pick(COUNTERPART_BANKS),
    partieBranchCode: r.digits(4),
    partieNumber: r.digits(r.int(8, 12)),
    partieCheckDigit: String(r.int(0, 9)),
  };
}

function draft(
  at: Date,
  cents: number,
  fields: Omit<Draft, 'at' | 'cents' | 'transactionAmount' | 'scheduled' | 'transactionId'>,
  scheduled = false,
): Omit<Draft, 'transactionId'> {
  return { ...fields, at, cents, scheduled, transactionAmount: { amount: money(cents), currency: 'BRL' } };
}

/** Everyday movements of a checking account on `day`. */
function everyday(r: Rng, day: number): Omit<Draft, 'transactionId'>[] {
  const out: Omit<Draft, 'transactionId'>[] = [];
  const n = r.int(1, 4);
  for (let i = 0; i < n; i++) {
    const at = localInstant(day, r.int(7 * 60, 22 * 60 + 59), r.int(0, 59), r.int(0, 999));
    const kind = r.weighted(['CARTAO', 'PIX_OUT', 'PIX_IN', 'SAQUE', 'TED_IN'] as const, (k) => ({ CARTAO: 10, PIX_OUT: 6, PIX_IN: 3, SAQUE: 1, TED_IN: 0.5 })[k]);
    if (kind === 'CARTAO') {
      const m = r.pick(MERCHANTS);
      out.push(draft(at, r.int(m.min, m.max), { creditDebitType: 'DEBITO', transactionName: `COMPRA CARTAO DEBITO ${m.name.toUpperCase()}`, type: 'CARTAO' }));
    } else if (kind === 'SAQUE') {
      out.push(draft(at, r.int(5, 40) * 1000, { creditDebitType: 'DEBITO', transactionName: 'SAQUE TERMINAL 24H', type: 'SAQUE' }));
    } else {
      const incoming = kind !== 'PIX_OUT';
      const cp = counterpart(r, kind !== 'TED_IN' || r.chance(0.5));
      const type = kind === 'TED_IN' ? 'TED' : 'PIX';
      const name = `${type} ${incoming ? 'RECEBIDO' : 'ENVIADO'} ${cp.partieCnpjCpf?.slice(0, 3)}***`;
      out.push(draft(at, r.int(1000, incoming ? 60000 : 35000), { creditDebitType: incoming ? 'CREDITO' : 'DEBITO', transactionName: name, type, ...cp }));
    }
  }
  return out;
}

/** Monthly items of a checking account that fall on `day` (salary, fees, bills, savings). */
function monthly(cpf: string, seed: Seed, account: DepositAccountPlan, day: number, hasSavings: boolean): Omit<Draft, 'transactionId'>[] {
  const { year, month, dom } = dayParts(day);
  const r = rng(seed, K_MONTH, account.index, monthIndex(day));
  const out: Omit<Draft, 'transactionId'>[] = [];
  const salaryDay = dayOf(year, month, 5);
  const rentDay = dayOf(year, month, 10);
  const utilityDay = dayOf(year, month, 20);
  const utilityCents = r.int(9000, 45000);
  const rentCents = r.int(90000, 250000);
  const feeCents = r.int(1990, 4990);
  const savingsCents = r.int(100, 800) * 100;
  if (dom === 1) {
    out.push(draft(localInstant(day, 6 * 60), feeCents, { creditDebitType: 'DEBITO', transactionName: 'TARIFA PACOTE DE SERVICOS', type: 'PACOTE_TARIFA_SERVICOS' }));
  }
  if (day === salaryDay) {
    out.push(
      draft(localInstant(day, 8 * 60 + 30), account.salaryCents, {
        creditDebitType: 'CREDITO',
        transactionName: `CREDITO SALARIO ${account.employer.name.toUpperCase()}`,
        type: 'FOLHA_PAGAMENTO',
        partieCnpjCpf: account.employer.cnpj,
        partiePersonType: 'PESSOA_JURIDICA',
      }, true),
    );
  }
  if (day === rentDay) {
    out.push(draft(localInstant(day, 9 * 60), rentCents, { creditDebitType: 'DEBITO', transactionName: 'PAGAMENTO BOLETO ALUGUEL', type: 'BOLETO', ...counterpart(r, false) }, true));
  }
  if (day === utilityDay) {
    out.push(draft(localInstant(day, 9 * 60 + 15), utilityCents, { creditDebitType: 'DEBITO', transactionName: 'PAGAMENTO CONTA ENERGIA', type: 'CONVENIO_ARRECADACAO' }, true));
  }
  if (hasSavings && dom === 6) {
    out.push(draft(localInstant(day, 10 * 60), savingsCents, { creditDebitType: 'DEBITO', transactionName: 'TRANSFERENCIA PARA POUPANCA', type: 'TRANSFERENCIA_MESMA_INSTITUICAO', partieCnpjCpf: cpf, partiePersonType: 'PESSOA_NATURAL', partieCompeCode: BANK.compeCode }, true));
  }
  return out;
}

/** Savings: monthly yield on the 1st, the transfer from checking on the 6th, rare withdrawals. */
function savingsDay(cpf: string, seed: Seed, account: DepositAccountPlan, day: number): Omit<Draft, 'transactionId'>[] {
  const { dom } = dayParts(day);
  const r = rng(seed, K_MONTH, account.index, monthIndex(day));
  const out: Omit<Draft, 'transactionId'>[] = [];
  if (dom === 1) out.push(draft(localInstant(day, 5 * 60), r.int(500, 9000), { creditDebitType: 'CREDITO', transactionName: 'RENDIMENTO POUPANCA', type: 'RENDIMENTO_APLIC_FINANCEIRA' }));
  // Same amount as the checking account's debit: both come from the checking account's monthly stream.
  if (dom === 6) {
    const c = rng(seed, K_MONTH, 0, monthIndex(day));
    c.int(9000, 45000); // utility
    c.int(90000, 250000); // rent
    c.int(1990, 4990); // fee
    const cents = c.int(100, 800) * 100;
    out.push(draft(localInstant(day, 10 * 60), cents, { creditDebitType: 'CREDITO', transactionName: 'TRANSFERENCIA DA CONTA CORRENTE', type: 'TRANSFERENCIA_MESMA_INSTITUICAO', partieCnpjCpf: cpf, partiePersonType: 'PESSOA_NATURAL', partieCompeCode: BANK.compeCode }, true));
  }
  if (dom === 15 && r.chance(0.2)) out.push(draft(localInstant(day, 14 * 60), r.int(100, 500) * 100, { creditDebitType: 'DEBITO', transactionName: 'RESGATE POUPANCA', type: 'TRANSFERENCIA_MESMA_INSTITUICAO', partieCnpjCpf: cpf, partiePersonType: 'PESSOA_NATURAL', partieCompeCode: BANK.compeCode }));
  return out;
}

/** Every transaction dated on `day`, whatever `now` (status not decided yet). */
function dayDrafts(cpf: string, seed: Seed, account: DepositAccountPlan, day: number, hasSavings: boolean): Draft[] {
  const items =
    account.type === 'CONTA_POUPANCA'
      ? savingsDay(cpf, seed, account, day)
      : [...monthly(cpf, seed, account, day, hasSavings), ...everyday(rng(seed, K_DAY, account.index, day), day)];
  return items.map((d, n) => ({ ...d, transactionId: txId(cpf, account, day, n) }));
}

const SCHEDULE_AHEAD_DAYS = 30;
const PROCESSING_MS = 15 * 60_000;

/**
 * Transactions booked on São Paulo days [fromDay, toDay] as seen at `now`, newest first: past ones
 * (TRANSACAO_PROCESSANDO within the last 15 minutes), and scheduled ones up to 30 days ahead.
 */
export function accountTransactions(cpf: string, seed: Seed, account: DepositAccountPlan, hasSavings: boolean, fromDay: number, toDay: number, now: Date): AccountTransaction[] {
  const today = localDay(now);
  const last = Math.min(toDay, today + SCHEDULE_AHEAD_DAYS);
  const out: AccountTransaction[] = [];
  for (let day = last; day >= fromDay; day--) {
    const drafts = dayDrafts(cpf, seed, account, day, hasSavings).sort((a, b) => +b.at - +a.at);
    for (const { at, scheduled, cents: _c, transactionId, ...tx } of drafts) {
      let status: CompletedType;
      if (+at > +now) {
        if (!scheduled) continue;
        status = 'LANCAMENTO_FUTURO';
      } else status = +now - +at < PROCESSING_MS ? 'TRANSACAO_PROCESSANDO' : 'TRANSACAO_EFETIVADA';
      out.push({ transactionId, completedAuthorisedPaymentType: status, ...tx, transactionDateTime: at.toISOString() });
    }
  }
  return out;
}

/**
 * Balance at `now`: a seeded opening level for the month plus this month's settled movements.
 * Cheap (one month of days) and consistent with the transactions listed for the month.
 */
export function accountBalanceCents(cpf: string, seed: Seed, account: DepositAccountPlan, hasSavings: boolean, now: Date): number {
  const today = localDay(now);
  const { year, month } = dayParts(today);
  const first = dayOf(year, month, 1);
  let cents = rng(seed, K_MONTH, 100 + account.index, monthIndex(today)).int(account.type === 'CONTA_POUPANCA' ? 200_000 : 150_000, 1_200_000);
  for (const tx of accountTransactions(cpf, seed, account, hasSavings, first, today, now)) {
    if (tx.completedAuthorisedPaymentType !== 'TRANSACAO_EFETIVADA') continue;
    const c = Math.round(Number(tx.transactionAmount.amount) * 100);
    cents += tx.creditDebitType === 'CREDITO' ? c : -c;
  }
  return cents;
}
