import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { mapAccounts } from './accounts.js';
import { mapBalances } from './balances.js';
import { withAccount } from './testing.js';
import type { MappingContext, OfbAccounts, OfbDepositAccount } from './types.js';

const brl = (amount: string) => ({ amount, currency: 'BRL' });
const at = (iso: string): MappingContext => ({ institution: 'ofmockbank_br_retail', collectedAt: new Date(iso) });

function deposit(updateDateTime: string, available = '10.00'): OfbDepositAccount {
  return {
    account: { brandName: 'B', companyCnpj: '11222333000181', type: 'CONTA_DEPOSITO_A_VISTA', compeCode: '001', branchCode: '0001', number: '12345678', checkDigit: '9', accountId: 'acc-1' },
    balances: { availableAmount: brl(available), blockedAmount: brl('5.00'), automaticallyInvestedAmount: brl('0.00'), updateDateTime },
  };
}

const cardWith = (used: string | null): OfbAccounts['cards'][number] => ({
  account: { creditCardAccountId: 'card-1', brandName: 'B', companyCnpj: '11222333000181', name: 'C', productType: 'GOLD', creditCardNetwork: 'VISA' },
  limits: used === null ? [] : [{ creditLineLimitType: 'LIMITE_CREDITO_TOTAL', consolidationType: 'CONSOLIDADO', identificationNumber: '1', isLimitFlexible: false, limitAmount: brl('100.00'), usedAmount: brl(used), availableAmount: brl('0.00') }],
});

describe('OFB balances → Belvo Balance', () => {
  it('gives one balance per account for the São Paulo day, equal to the account current balance', () => {
    const ctx = at('2025-06-16T02:00:00Z'); // still the 15th in São Paulo
    const input: OfbAccounts = { deposits: [deposit('2025-06-16T01:59:00Z')], cards: [cardWith('42.4250')] };
    const balances = mapBalances(input, ctx);
    assert.deepEqual(balances, [
      { internal_identification: 'acc-1-20250615', account_internal_identification: 'acc-1', value_date: '2025-06-15', balance: 15, current_balance: 15, statement: null },
      { internal_identification: 'card-1-20250615', account_internal_identification: 'card-1', value_date: '2025-06-15', balance: 42.43, current_balance: 42.43, statement: null },
    ]);
    const accounts = mapAccounts(input, ctx);
    for (const b of balances) assertSchema('Balance', withAccount(b, accounts, ctx.collectedAt));
  });

  it('dates a stale balance by its updateDateTime, and never after the collection', () => {
    const ctx = at('2025-06-15T15:00:00Z');
    assert.equal(mapBalances({ deposits: [deposit('2025-06-12T10:00:00Z')], cards: [] }, ctx)[0].value_date, '2025-06-12');
    const future = mapBalances({ deposits: [deposit('2025-06-20T10:00:00Z')], cards: [] }, ctx)[0];
    assert.equal(future.value_date, '2025-06-15');
    assert.equal(future.internal_identification, 'acc-1-20250615');
  });

  it('keeps the same id when collected twice on a day, a new one the next day', () => {
    const morning = mapBalances({ deposits: [deposit('2025-06-15T12:00:00Z', '1.00')], cards: [] }, at('2025-06-15T12:00:00Z'))[0];
    const evening = mapBalances({ deposits: [deposit('2025-06-15T22:00:00Z', '2.00')], cards: [] }, at('2025-06-15T22:00:00Z'))[0];
    const next = mapBalances({ deposits: [deposit('2025-06-16T12:00:00Z', '3.00')], cards: [] }, at('2025-06-16T12:00:00Z'))[0];
    assert.equal(morning.internal_identification, evening.internal_identification);
    assert.notEqual(evening.balance, morning.balance);
    assert.notEqual(next.internal_identification, evening.internal_identification);
  });

  it('skips accounts whose balance was not fetched and cards without a total limit', () => {
    const noBalance = { ...deposit('2025-06-15T12:00:00Z'), balances: undefined };
    assert.deepEqual(mapBalances({ deposits: [noBalance], cards: [cardWith(null)] }, at('2025-06-15T12:00:00Z')), []);
  });
});
