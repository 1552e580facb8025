import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { mapAccounts } from './accounts.js';
import { asServed } from './testing.js';
import type { MappingContext, OfbAccountType, OfbCardAccount, OfbCardBill, OfbCardLimit, OfbDepositAccount } from './types.js';

const ctx: MappingContext = { institution: 'ofmockbank_br_retail', collectedAt: new Date('2025-06-15T15:00:00Z') };
const brl = (amount: string) => ({ amount, currency: 'BRL' });

function deposit(type: OfbAccountType, extra: Partial<OfbDepositAccount> = {}, branchCode: string | null = '0444'): OfbDepositAccount {
  const common = { compeCode: '001', number: '45722000', checkDigit: '0', ...(branchCode ? { branchCode } : {}) };
  return {
    account: { brandName: 'Banco Exemplo', companyCnpj: '11222333000181', type, accountId: `acc-${type}`, ...common },
    identification: { ...common, type, subtype: 'INDIVIDUAL', currency: 'BRL' },
    balances: { availableAmount: brl('1000.0400'), blockedAmount: brl('50.0000'), automaticallyInvestedAmount: brl('2000.00'), updateDateTime: '2025-06-15T14:00:00Z' },
    ...extra,
  };
}

function limit(type: OfbCardLimit['creditLineLimitType'], fields: Partial<OfbCardLimit> = {}): OfbCardLimit {
  return { creditLineLimitType: type, consolidationType: 'CONSOLIDADO', identificationNumber: '1234', isLimitFlexible: false, limitAmount: brl('5000.00'), usedAmount: brl('1200.50'), availableAmount: brl('3799.50'), ...fields };
}

function bill(dueDate: string, total: string, minimum: string, payments: OfbCardBill['payments'] = []): OfbCardBill {
  return { billId: `bill-${dueDate}`, dueDate, billTotalAmount: brl(total), billMinimumAmount: brl(minimum), isInstalment: false, payments };
}

const payment = (paymentDate: string, amount: string) => ({ valueType: 'VALOR_PAGAMENTO_FATURA_REALIZADO', paymentDate, paymentMode: 'PIX', amount, currency: 'BRL' });

function card(extra: Partial<OfbCardAccount> = {}): OfbCardAccount {
  return {
    account: { creditCardAccountId: 'card-1', brandName: 'Banco Exemplo', companyCnpj: '11222333000181', name: 'Cartão Gold', productType: 'GOLD', creditCardNetwork: 'VISA' },
    identification: { name: 'Cartão Gold', productType: 'GOLD', creditCardNetwork: 'VISA', paymentMethod: [{ identificationNumber: '1234', isMultipleCreditCard: false }] },
    limits: [limit('LIMITE_CREDITO_TOTAL'), limit('LIMITE_CREDITO_MODALIDADE_OPERACAO', { lineName: 'SAQUE_CREDITO_BRASIL', limitAmount: brl('1000.00'), usedAmount: brl('0.00'), availableAmount: brl('1000.00') })],
    bills: [bill('2025-05-20', '900.00', '135.00', [payment('2025-05-19', '900.00')]), bill('2025-06-20', '1200.50', '180.08')],
    ...extra,
  };
}

const one = (d: OfbDepositAccount[], c: OfbCardAccount[] = []) => mapAccounts({ deposits: d, cards: c }, ctx);

describe('OFB deposit accounts → Belvo Account', () => {
  it('files checking and prepaid as CHECKING_ACCOUNT, savings as SAVINGS_ACCOUNT, all ASSET', () => {
    const [checking, savings, prepaid] = one([deposit('CONTA_DEPOSITO_A_VISTA'), deposit('CONTA_POUPANCA'), deposit('CONTA_PAGAMENTO_PRE_PAGA')]);
    assert.equal(checking.category, 'CHECKING_ACCOUNT');
    assert.equal(savings.category, 'SAVINGS_ACCOUNT');
    assert.equal(prepaid.category, 'CHECKING_ACCOUNT');
    for (const a of [checking, savings, prepaid]) assert.equal(a.balance_type, 'ASSET');
    assert.equal(prepaid.type, 'CONTA_PAGAMENTO_PRE_PAGA', 'the raw OFB type keeps what the category loses');
    assert.equal(checking.name, 'Conta Corrente Banco Exemplo');
  });

  it('is UNCATEGORIZED for an account type the document does not know', () => {
    const [a] = one([deposit('CONTA_SALARIO' as OfbAccountType)]);
    assert.equal(a.category, 'UNCATEGORIZED');
    assert.equal(a.type, 'CONTA_SALARIO');
    assertSchema('Account', asServed(a, ctx.collectedAt));
  });

  it('takes available from availableAmount and current = available + blocked (invested kept out)', () => {
    const [a] = one([deposit('CONTA_DEPOSITO_A_VISTA')]);
    assert.deepEqual(a.balance, { current: 1050.04, available: 1000.04 });
    const [overdrawn] = one([deposit('CONTA_DEPOSITO_A_VISTA', { balances: { availableAmount: brl('-250.5050'), blockedAmount: brl('0.00'), automaticallyInvestedAmount: brl('0.00'), updateDateTime: '2025-06-15T14:00:00Z' } })]);
    assert.deepEqual(overdrawn.balance, { current: -250.51, available: -250.51 });
    const [unknown] = one([deposit('CONTA_POUPANCA', { balances: undefined })]);
    assert.deepEqual(unknown.balance, { current: null, available: null });
    assertSchema('Account', asServed(unknown, ctx.collectedAt));
  });

  it('writes number, agency and AGENCY/ACCOUNT as Belvo does for Brazil; prepaid without branch', () => {
    const [a] = one([deposit('CONTA_DEPOSITO_A_VISTA')]);
    assert.equal(a.number, '45722000-0');
    assert.equal(a.agency, '0444');
    assert.equal(a.public_identification_name, 'AGENCY/ACCOUNT');
    assert.equal(a.public_identification_value, '0444/45722000-0');
    assert.equal(a.internal_identification, 'acc-CONTA_DEPOSITO_A_VISTA');
    assert.deepEqual(a.institution, { name: 'ofmockbank_br_retail', type: 'bank' });
    assert.equal(a.currency, 'BRL');
    assert.equal(a.credit_data, null);
    assert.equal(a.last_accessed_at, '2025-06-15T15:00:00.000Z');
    const [p] = one([deposit('CONTA_PAGAMENTO_PRE_PAGA', {}, null)]);
    assert.equal(p.agency, null);
    assert.equal(p.public_identification_name, 'ACCOUNT');
    assert.equal(p.public_identification_value, '45722000-0');
    assertSchema('Account', asServed(p, ctx.collectedAt));
  });

  it('prefers the identification detail to the list item', () => {
    const d = deposit('CONTA_DEPOSITO_A_VISTA');
    d.identification = { ...d.identification!, number: '99999999', checkDigit: 'X', currency: 'USD' };
    const [a] = one([d]);
    assert.equal(a.number, '99999999-X');
    assert.equal(a.currency, 'USD');
  });
});

describe('OFB credit-card accounts → Belvo Account with credit_data', () => {
  it('is a LIABILITY CREDIT_CARD named by the bank, numbered by the card, typed by product', () => {
    const [a] = one([], [card()]);
    assert.equal(a.category, 'CREDIT_CARD');
    assert.equal(a.balance_type, 'LIABILITY');
    assert.equal(a.name, 'Cartão Gold');
    assert.equal(a.number, '1234');
    assert.equal(a.type, 'GOLD');
    assert.equal(a.public_identification_name, null);
    assertSchema('Account', asServed(a, ctx.collectedAt));
    const [other] = one([], [card({ identification: { name: 'X', productType: 'OUTROS', productAdditionalInfo: 'Cartão Universitário', creditCardNetwork: 'ELO', paymentMethod: [{ identificationNumber: '9', isMultipleCreditCard: true }] } })]);
    assert.equal(other.type, 'Cartão Universitário');
  });

  it('takes balance and limit from the total limit line, not the per-operation ones', () => {
    const [a] = one([], [card()]);
    assert.deepEqual(a.balance, { current: 1200.5, available: 3799.5 });
    assert.equal((a.credit_data as Record<string, unknown>).credit_limit, 5000);
  });

  it('prefers the CONSOLIDADO total over INDIVIDUAL ones, and computes available when absent', () => {
    const limits = [
      limit('LIMITE_CREDITO_TOTAL', { consolidationType: 'INDIVIDUAL', identificationNumber: '1111', limitAmount: brl('100.00') }),
      limit('LIMITE_CREDITO_TOTAL', { limitAmount: brl('8000.00'), usedAmount: brl('500.0050'), availableAmount: undefined }),
    ];
    const [a] = one([], [card({ limits })]);
    assert.deepEqual(a.balance, { current: 500.01, available: 7499.99 });
    assert.equal((a.credit_data as Record<string, unknown>).credit_limit, 8000);
  });

  it('has no credit limit for a flexible ("sem limite") card, and nulls without limits', () => {
    const [flex] = one([], [card({ limits: [limit('LIMITE_CREDITO_TOTAL', { isLimitFlexible: true, limitAmount: undefined, availableAmount: undefined })] })]);
    assert.equal((flex.credit_data as Record<string, unknown>).credit_limit, null);
    assert.deepEqual(flex.balance, { current: 1200.5, available: null });
    const [none] = one([], [card({ limits: [] })]);
    assert.deepEqual(none.balance, { current: null, available: null });
    assertSchema('Account', asServed(flex, ctx.collectedAt));
    assertSchema('Account', asServed(none, ctx.collectedAt));
  });

  it('fills payment figures from the newest closed bill while it is due, net of payments', () => {
    const credit = one([], [card()])[0].credit_data as Record<string, unknown>;
    assert.equal(credit.next_payment_date, '2025-06-20');
    assert.equal(credit.minimum_payment, 180.08);
    assert.equal(credit.no_interest_payment, 1200.5);
    assert.equal(credit.last_payment_date, '2025-05-19');
    assert.equal(credit.collected_at, '2025-06-15T15:00:00.000Z');
    for (const k of ['cutting_date', 'interest_rate', 'monthly_payment', 'end_date']) assert.equal(credit[k], null, k);

    const partly = card({ bills: [bill('2025-06-20', '1200.50', '180.08', [payment('2025-06-10', '200.00')])] });
    const net = one([], [partly])[0].credit_data as Record<string, unknown>;
    assert.equal(net.minimum_payment, 0);
    assert.equal(net.no_interest_payment, 1000.5);
    assert.equal(net.last_payment_date, '2025-06-10');
  });

  it('leaves payment figures null once the newest bill is past due (the open bill is not shared)', () => {
    const credit = one([], [card({ bills: [bill('2025-06-10', '700.00', '105.00', [payment('2025-06-10', '700.00')])] })])[0].credit_data as Record<string, unknown>;
    assert.equal(credit.next_payment_date, null);
    assert.equal(credit.minimum_payment, null);
    assert.equal(credit.no_interest_payment, null);
    assert.equal(credit.last_payment_date, '2025-06-10');
    const empty = one([], [card({ bills: undefined })])[0].credit_data as Record<string, unknown>;
    assert.equal(empty.next_payment_date, null);
    assert.equal(empty.last_payment_date, null);
  });

  it('never asks for a negative payment on a bill in credit', () => {
    const credit = one([], [card({ bills: [bill('2025-06-25', '-35.10', '0.00')] })])[0].credit_data as Record<string, unknown>;
    assert.equal(credit.no_interest_payment, 0);
    assert.equal(credit.minimum_payment, 0);
  });
});
