/**
 * Test support (not used by the server): collects what a connector would from the mock bank's
 * resource servers (in process, every answer validated against the OFB documents), and dresses
 * records in the fields the server owns, as src/resources/objects.ts does, for Belvo's schemas.
 */
import { randomUUID } from 'node:crypto';
import type { ExtractedRecord } from '../../connector.js';
import { localDay, ymd } from '../mock/resources/documents.js';
import { ACC, CARDS, CUSTOMERS, harness, walk } from '../mock/resources/testing.js';
import type { MappingContext, OfbAccounts, OfbPersonalIdentification } from './types.js';

export const INSTITUTION = 'ofmockbank_br_retail';

export interface Collected {
  ctx: MappingContext;
  accounts: OfbAccounts;
  identifications: OfbPersonalIdentification[];
}

/**
 * Everything the mock bank has for `cpf` at `now`: accounts with detail, balances and 120 days
 * of transactions (plus 30 scheduled days ahead), cards with limits, bills, the two newest bills'
 * transactions and 120 days of transactions, and the personal identification.
 */
export async function collect(cpf: string, now = new Date('2025-06-15T15:00:00Z')): Promise<Collected> {
  const h = harness(now);
  h.token({ cpf });
  const today = localDay(now);
  const accounts: OfbAccounts = { deposits: [], cards: [] };
  for (const account of (await walk(h, ACC)).items) {
    const base = `${ACC}/${account.accountId}`;
    accounts.deposits.push({
      account,
      identification: (await h.call(base)).body.data,
      balances: (await h.call(`${base}/balances`)).body.data,
      transactions: (await walk(h, `${base}/transactions?fromBookingDate=${ymd(today - 120)}&toBookingDate=${ymd(today + 30)}&page-size=500`)).items,
      transactionsCurrent: (await walk(h, `${base}/transactions-current?fromBookingDate=${ymd(today - 6)}&toBookingDate=${ymd(today)}`)).items,
    });
  }
  for (const account of (await walk(h, CARDS)).items) {
    const base = `${CARDS}/${account.creditCardAccountId}`;
    const bills = (await walk(h, `${base}/bills?page-size=100`)).items;
    const billTransactions = [];
    for (const bill of bills.slice(0, 2)) billTransactions.push(...(await walk(h, `${base}/bills/${bill.billId}/transactions?page-size=1000`)).items);
    accounts.cards.push({
      account,
      identification: (await h.call(base)).body.data,
      limits: (await h.call(`${base}/limits`)).body.data,
      bills,
      billTransactions,
      transactions: (await walk(h, `${base}/transactions?fromTransactionDate=${ymd(today - 120)}&toTransactionDate=${ymd(today)}&page-size=1000`)).items,
      transactionsCurrent: (await walk(h, `${base}/transactions-current?fromTransactionDate=${ymd(today - 6)}&toTransactionDate=${ymd(today)}`)).items,
    });
  }
  const identifications = (await walk(h, `${CUSTOMERS}/identifications`)).items;
  return { ctx: { institution: INSTITUTION, collectedAt: now }, accounts, identifications };
}

/** Adds what the server owns (`id`, `link`, timestamps), as the API sends a record. */
export function asServed(record: ExtractedRecord, collectedAt: Date, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { account_internal_identification: _, ...rest } = record;
  const at = collectedAt.toISOString();
  return { id: randomUUID(), link: randomUUID(), ...rest, collected_at: at, created_at: at, ...extra };
}

/** A transaction or balance as served: its account embedded instead of a `link`. */
export function withAccount(record: ExtractedRecord, accounts: readonly ExtractedRecord[], collectedAt: Date): Record<string, unknown> {
  const account = accounts.find((a) => a.internal_identification === record.account_internal_identification);
  if (!account) throw new Error(`no account ${String(record.account_internal_identification)}`);
  const { link: _, ...served } = asServed(record, collectedAt, { account: asServed(account, collectedAt) });
  return served;
}
