/**
 * TRANSACTIONS: deposit-account transactions (accounts-2.4.2 `/transactions`,
 * `/transactions-current`) and card transactions (credit-cards-2.3.1 `/transactions`,
 * `/transactions-current`, bill transactions) → Belvo `Transaction` records.
 */
import type { ExtractedRecord } from '../../connector.js';
import { billName, billStatus, newestFirst } from './bills.js';
import { cardCategory, depositCategory } from './categories.js';
import type { MappingContext, OfbAccounts, OfbAccountTransaction, OfbCardBill, OfbCardTransaction, OfbCompletedAuthorisedPaymentType, OfbCreditDebitType } from './types.js';
import { absoluteAmount, amountCents, amountNumber, calendarDate, centsText, ID_RE, isoInstant, saoPauloDate, stableId, text } from './values.js';

export const DIRECTION: Record<OfbCreditDebitType, 'INFLOW' | 'OUTFLOW'> = { CREDITO: 'INFLOW', DEBITO: 'OUTFLOW' };

/** Only TRANSACAO_EFETIVADA is settled; the document says the id of the other two "pode mudar". */
export const DEPOSIT_STATUS: Record<OfbCompletedAuthorisedPaymentType, 'PROCESSED' | 'PENDING'> = {
  TRANSACAO_EFETIVADA: 'PROCESSED',
  LANCAMENTO_FUTURO: 'PENDING',
  TRANSACAO_PROCESSANDO: 'PENDING',
};

/** Prefix of ids the mapping makes for transactions it cannot key on the bank's id. */
export const HASHED_ID_PREFIX = 'ofbh';

/**
 * Gives items without a usable bank id a content hash, numbered among identical items of the
 * same list (two equal coffees in the same minute stay two transactions). One `Keys` per list
 * answered by the bank: the same item in two overlapping lists gets the same key.
 */
export class Keys {
  private seen = new Map<string, number>();
  hashed(parts: readonly (string | number | undefined)[]): string {
    const base = stableId(HASHED_ID_PREFIX, parts);
    const n = this.seen.get(base) ?? 0;
    this.seen.set(base, n + 1);
    return n === 0 ? base : stableId(HASHED_ID_PREFIX, [...parts, n]);
  }
}

/**
 * Deposit transactions are keyed on `transactionId` once TRANSACAO_EFETIVADA (immutable from then
 * on per the document's immutability table). Pending ones, and any without a valid id, get a hash
 * of what does not change while pending, so collecting twice never duplicates them.
 */
export function depositTransactionKey(accountId: string, tx: OfbAccountTransaction, keys = new Keys()): string {
  if (tx.completedAuthorisedPaymentType === 'TRANSACAO_EFETIVADA' && tx.transactionId && ID_RE.test(tx.transactionId)) return tx.transactionId;
  return keys.hashed([
    'account',
    accountId,
    tx.creditDebitType,
    amountCents(tx.transactionAmount.amount).toString(),
    tx.transactionAmount.currency,
    isoInstant(tx.transactionDateTime),
    tx.transactionName,
    tx.type,
    tx.partieCnpjCpf,
  ]);
}

/**
 * Card transaction ids are required and, while not final, "estável, mudando apenas quando a
 * transação sofrer uma mudança em seu estado" (credit-cards-2.3.1): keyed on them; a hash only
 * when one is missing or malformed.
 */
export function cardTransactionKey(cardId: string, tx: OfbCardTransaction, keys = new Keys()): string {
  if (tx.transactionId && ID_RE.test(tx.transactionId)) return tx.transactionId;
  return keys.hashed([
    'card',
    cardId,
    tx.creditDebitType,
    amountCents(tx.brazilianAmount.amount).toString(),
    isoInstant(tx.transactionDateTime),
    tx.transactionName,
    tx.transactionType,
    tx.identificationNumber,
  ]);
}

const joined = (parts: (string | null | undefined | false)[]) => {
  const kept = parts.filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return kept.length ? kept.join('; ') : null;
};

/** The OFB transaction type and the counterparty the bank identified (IN BCB 371 made it mandatory). */
export function depositObservations(tx: OfbAccountTransaction): string | null {
  const doc = tx.partieCnpjCpf ? `${tx.partiePersonType === 'PESSOA_JURIDICA' || tx.partieCnpjCpf.length === 14 ? 'CNPJ' : 'CPF'} ${tx.partieCnpjCpf}` : null;
  const account = tx.partieNumber
    ? `banco ${tx.partieCompeCode ?? '?'} agência ${tx.partieBranchCode ?? '?'} conta ${tx.partieCheckDigit ? `${tx.partieNumber}-${tx.partieCheckDigit}` : tx.partieNumber}`
    : tx.partieCompeCode
      ? `banco ${tx.partieCompeCode}`
      : null;
  return joined([tx.type, doc && `contraparte ${doc}`, account]);
}

/** The card type, instalment, fee, foreign amount, MCC and the bank's free text. */
export function cardObservations(tx: OfbCardTransaction): string | null {
  const foreign = tx.amount && tx.amount.currency !== tx.brazilianAmount.currency ? `valor original ${tx.amount.currency} ${tx.amount.amount}` : null;
  const instalment = tx.chargeIdentificator !== undefined ? `parcela ${tx.chargeIdentificator}${tx.chargeNumber !== undefined ? `/${tx.chargeNumber}` : ''}` : null;
  return joined([
    tx.transactionType,
    tx.paymentType,
    instalment,
    tx.feeType && `tarifa ${tx.feeType}`,
    tx.otherCreditsType && `crédito ${tx.otherCreditsType}`,
    foreign,
    tx.payeeMCC !== undefined && `MCC ${tx.payeeMCC}`,
    tx.transactionalAdditionalInfo,
    tx.feeTypeAdditionalInfo,
    tx.otherCreditsAdditionalInfo,
    `cartão ${tx.identificationNumber}`,
  ]);
}

export function depositTransactionRecord(accountId: string, tx: OfbAccountTransaction, key: string): ExtractedRecord {
  return {
    internal_identification: key,
    account_internal_identification: accountId,
    value_date: saoPauloDate(tx.transactionDateTime),
    // OFB gives one instant, "data e hora original da transação": both dates come from it.
    accounting_date: isoInstant(tx.transactionDateTime),
    amount: absoluteAmount(tx.transactionAmount.amount),
    balance: null,
    currency: text(tx.transactionAmount.currency) ?? 'BRL',
    description: text(tx.transactionName),
    observations: depositObservations(tx),
    merchant: null,
    ...depositCategory(tx.type, tx.creditDebitType),
    reference: text(tx.transactionId),
    type: DIRECTION[tx.creditDebitType] ?? null,
    status: DEPOSIT_STATUS[tx.completedAuthorisedPaymentType] ?? null,
    credit_card_data: null,
  };
}

/** The bill figures of a card transaction (closed bill by `billId`, else the open one). */
function billData(tx: OfbCardTransaction, bills: OfbCardBill[], ctx: MappingContext): Record<string, unknown> {
  const collected_at = ctx.collectedAt.toISOString();
  const index = tx.billId ? bills.findIndex((b) => b.billId === tx.billId) : -1;
  if (index >= 0) {
    const bill = bills[index];
    const previous = bills[index + 1];
    return {
      collected_at,
      bill_name: billName(bill),
      bill_status: billStatus(bill),
      bill_amount: amountNumber(bill.billTotalAmount.amount),
      previous_bill_total: previous ? centsText(amountCents(previous.billTotalAmount.amount)) : null,
    };
  }
  // A billId whose bill was not fetched is still a closed bill; no billId means the open bill,
  // whose name and total OFB does not give.
  const latest = bills[0];
  return {
    collected_at,
    bill_name: null,
    bill_status: tx.billId ? 'CLOSED' : 'OPEN',
    bill_amount: null,
    previous_bill_total: !tx.billId && latest ? centsText(amountCents(latest.billTotalAmount.amount)) : null,
  };
}

/** When the transaction was put on a bill; its own instant while `billPostDate` is the dummy 0001-01-01. */
function cardAccountingDate(tx: OfbCardTransaction): string {
  const posted = calendarDate(tx.billPostDate);
  // Midnight in São Paulo (UTC-3, no summer time since 2019) of the posting date.
  return posted && posted !== '0001-01-01' ? `${posted}T03:00:00.000Z` : isoInstant(tx.transactionDateTime);
}

export function cardTransactionRecord(cardId: string, tx: OfbCardTransaction, key: string, bills: OfbCardBill[], ctx: MappingContext): ExtractedRecord {
  return {
    internal_identification: key,
    account_internal_identification: cardId,
    value_date: saoPauloDate(tx.transactionDateTime),
    accounting_date: cardAccountingDate(tx),
    // brazilianAmount: the BRL figure the bill charges (the original currency goes to observations).
    amount: absoluteAmount(tx.brazilianAmount.amount),
    balance: null,
    currency: text(tx.brazilianAmount.currency) ?? 'BRL',
    description: text(tx.transactionName),
    observations: cardObservations(tx),
    merchant: null,
    ...cardCategory(tx),
    reference: text(tx.transactionId),
    type: DIRECTION[tx.creditDebitType] ?? null,
    // Card lists hold reconciled transactions only ("após conciliado").
    status: 'PROCESSED',
    credit_card_data: billData(tx, bills, ctx),
  };
}

/**
 * Every transaction of every account. The same transaction listed twice (`/transactions`,
 * `/transactions-current` and bill transactions overlap) is one record: the later list wins, as
 * the server's upsert does.
 */
export function mapTransactions(input: OfbAccounts, ctx: MappingContext): ExtractedRecord[] {
  const out = new Map<string, ExtractedRecord>();
  for (const a of input.deposits) {
    const id = a.account.accountId;
    for (const list of [a.transactions, a.transactionsCurrent]) {
      const keys = new Keys();
      for (const tx of list ?? []) {
        const key = depositTransactionKey(id, tx, keys);
        out.set(key, depositTransactionRecord(id, tx, key));
      }
    }
  }
  for (const c of input.cards) {
    const id = c.account.creditCardAccountId;
    const bills = newestFirst(c.bills);
    for (const list of [c.billTransactions, c.transactions, c.transactionsCurrent]) {
      const keys = new Keys();
      for (const tx of list ?? []) {
        const key = cardTransactionKey(id, tx, keys);
        out.set(key, cardTransactionRecord(id, tx, key, bills, ctx));
      }
    }
  }
  return [...out.values()];
}
