/**
 * BALANCES: one Belvo `Balance` per account per day, from what one collection saw: deposit
 * accounts' `/balances` (accounts-2.4.2) and cards' `/limits` (credit-cards-2.3.1). OFB has no
 * balance history endpoint, so a day's balance exists only if the connector collected that day.
 */
import type { ExtractedRecord } from '../../connector.js';
import { depositBalance } from './accounts.js';
import { cardBalance } from './bills.js';
import type { MappingContext, OfbAccounts } from './types.js';
import { instantMs, saoPauloDate } from './values.js';

/** `<accountId>-<YYYYMMDD>`: collecting twice on a day updates that day's balance. */
export function balanceId(accountId: string, valueDate: string): string {
  return `${accountId}-${valueDate.replaceAll('-', '')}`;
}

function record(accountId: string, valueDate: string, balance: number): ExtractedRecord {
  return {
    internal_identification: balanceId(accountId, valueDate),
    account_internal_identification: accountId,
    value_date: valueDate,
    balance,
    current_balance: balance,
    statement: null,
  };
}

/**
 * The day a deposit balance is for: the São Paulo date of its `updateDateTime` (banks that
 * capture balances asynchronously may send one hours or days old), never after the collection.
 */
function depositDay(updateDateTime: string, ctx: MappingContext): string {
  const at = Math.min(instantMs(updateDateTime), ctx.collectedAt.getTime());
  return saoPauloDate(new Date(at));
}

/** Balances of the accounts whose balance was fetched; the figure is the account's `balance.current`. */
export function mapBalances(input: OfbAccounts, ctx: MappingContext): ExtractedRecord[] {
  const out: ExtractedRecord[] = [];
  for (const a of input.deposits) {
    if (!a.balances) continue;
    const { current } = depositBalance(a.balances);
    out.push(record(a.account.accountId, depositDay(a.balances.updateDateTime, ctx), current!));
  }
  const today = saoPauloDate(ctx.collectedAt);
  for (const c of input.cards) {
    const { current } = cardBalance(c.limits);
    // A card without a total limit line has no used amount to report.
    if (current === null) continue;
    out.push(record(c.account.creditCardAccountId, today, current));
  }
  return out;
}
