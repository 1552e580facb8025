import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { mapAccounts } from './accounts.js';
import { withAccount } from './testing.js';
import { HASHED_ID_PREFIX, mapTransactions } from './transactions.js';
import type { MappingContext, OfbAccountData, OfbAccounts, OfbAccountTransaction, OfbCardAccount, OfbCardBill, OfbCardTransaction } from './types.js';
import { ID_RE } from './values.js';

const ctx: MappingContext = { institution: 'ofmockbank_br_retail', collectedAt: new Date('2025-06-15T15:00:00Z') };
const brl = (amount: string) => ({ amount, currency: 'BRL' });
const ACCOUNT: OfbAccountData = { brandName: 'B', companyCnpj: '11222333000181', type: 'CONTA_DEPOSITO_A_VISTA', compeCode: '001', branchCode: '0001', number: '12345678', checkDigit: '9', accountId: 'acc-1' };

function tx(fields: Partial<OfbAccountTransaction> = {}): OfbAccountTransaction {
  return {
    transactionId: 'TX1',
    completedAuthorisedPaymentType: 'TRANSACAO_EFETIVADA',
    creditDebitType: 'DEBITO',
    transactionName: 'PIX ENVIADO JOAO',
    type: 'PIX',
    transactionAmount: brl('150.2550'),
    transactionDateTime: '2025-06-14T23:30:00.000Z',
    ...fields,
  };
}

const deposits = (transactions: OfbAccountTransaction[], transactionsCurrent?: OfbAccountTransaction[]): OfbAccounts => ({
  deposits: [{ account: ACCOUNT, transactions, transactionsCurrent }],
  cards: [],
});

function cardTx(fields: Partial<OfbCardTransaction> = {}): OfbCardTransaction {
  return {
    transactionId: 'CT1',
    identificationNumber: '4321',
    transactionName: 'PADARIA REAL',
    creditDebitType: 'DEBITO',
    transactionType: 'PAGAMENTO',
    paymentType: 'A_VISTA',
    brazilianAmount: brl('25.90'),
    amount: brl('25.90'),
    transactionDateTime: '2025-06-10T12:15:00.000Z',
    billPostDate: '2025-06-10',
    payeeMCC: 5462,
    ...fields,
  };
}

const bill = (billId: string, dueDate: string, total: string, paid?: string): OfbCardBill => ({
  billId,
  dueDate,
  billTotalAmount: brl(total),
  billMinimumAmount: brl('10.00'),
  isInstalment: false,
  payments: paid ? [{ valueType: 'VALOR_PAGAMENTO_FATURA_REALIZADO', paymentDate: dueDate, paymentMode: 'PIX', amount: paid, currency: 'BRL' }] : [],
});

function cards(transactions: OfbCardTransaction[], bills: OfbCardBill[] = []): OfbAccounts {
  const card: OfbCardAccount = {
    account: { creditCardAccountId: 'card-1', brandName: 'B', companyCnpj: '11222333000181', name: 'Gold', productType: 'GOLD', creditCardNetwork: 'VISA' },
    bills,
    transactions,
  };
  return { deposits: [], cards: [card] };
}

/** Maps and checks every record against Belvo's Transaction schema, as served. */
function mapped(input: OfbAccounts) {
  const records = mapTransactions(input, ctx);
  const accounts = mapAccounts(input, ctx);
  for (const r of records) assertSchema('Transaction', withAccount(r, accounts, ctx.collectedAt));
  return records;
}

describe('OFB deposit transactions → Belvo Transaction', () => {
  it('maps CREDITO to INFLOW and DEBITO to OUTFLOW, with a positive amount rounded to cents', () => {
    const [out, inn] = mapped(deposits([tx(), tx({ transactionId: 'TX2', creditDebitType: 'CREDITO', transactionAmount: brl('0.0050') })]));
    assert.equal(out.type, 'OUTFLOW');
    assert.equal(out.amount, 150.26);
    assert.equal(inn.type, 'INFLOW');
    assert.equal(inn.amount, 0.01);
    assert.equal(out.currency, 'BRL');
  });

  it('dates by the São Paulo day of transactionDateTime and keeps the instant as accounting_date', () => {
    const [t] = mapped(deposits([tx()]));
    assert.equal(t.value_date, '2025-06-14');
    assert.equal(t.accounting_date, '2025-06-14T23:30:00.000Z');
    const [late] = mapped(deposits([tx({ transactionDateTime: '2025-06-15T02:30:00.000Z' })]));
    assert.equal(late.value_date, '2025-06-14', '23:30 in São Paulo');
  });

  it('maps the settlement indicator to PROCESSED / PENDING', () => {
    const records = mapped(
      deposits([
        tx({ transactionId: 'A' }),
        tx({ transactionId: 'B', completedAuthorisedPaymentType: 'LANCAMENTO_FUTURO', transactionDateTime: '2025-06-20T12:00:00.000Z' }),
        tx({ transactionId: 'C', completedAuthorisedPaymentType: 'TRANSACAO_PROCESSANDO', transactionName: 'OUTRO' }),
      ]),
    );
    assert.deepEqual(records.map((r) => r.status), ['PROCESSED', 'PENDING', 'PENDING']);
  });

  it('keys settled transactions on transactionId and keeps it as reference', () => {
    const [t] = mapped(deposits([tx({ transactionId: 'E2E-12345abc' })]));
    assert.equal(t.internal_identification, 'E2E-12345abc');
    assert.equal(t.reference, 'E2E-12345abc');
    assert.equal(t.account_internal_identification, 'acc-1');
  });

  it('gives a pending transaction without an id the same hashed key on every call', () => {
    const pending = () => tx({ transactionId: undefined, completedAuthorisedPaymentType: 'TRANSACAO_PROCESSANDO' });
    const [first] = mapped(deposits([pending()]));
    const [second] = mapped(deposits([tx({ transactionId: 'OTHER' }), pending()])).filter((r) => r.status === 'PENDING');
    assert.equal(first.internal_identification, second.internal_identification);
    assert.match(String(first.internal_identification), new RegExp(`^${HASHED_ID_PREFIX}-[0-9a-f]{40}$`));
    assert.match(String(first.internal_identification), ID_RE);
    assert.equal(first.reference, null);
  });

  it('hashes a pending transaction even when it has an id (the document says it may change)', () => {
    const [a] = mapped(deposits([tx({ transactionId: 'TEMP-1', completedAuthorisedPaymentType: 'LANCAMENTO_FUTURO' })]));
    const [b] = mapped(deposits([tx({ transactionId: 'TEMP-2', completedAuthorisedPaymentType: 'TRANSACAO_PROCESSANDO' })]));
    assert.ok(String(a.internal_identification).startsWith(`${HASHED_ID_PREFIX}-`));
    assert.equal(a.internal_identification, b.internal_identification, 'a new temporary id or status does not re-key it');
    assert.equal(a.reference, 'TEMP-1');
  });

  it('keeps two identical pending items apart, and one item in both lists once', () => {
    const twin = tx({ transactionId: undefined, completedAuthorisedPaymentType: 'TRANSACAO_PROCESSANDO' });
    const records = mapped(deposits([twin, { ...twin }], [{ ...twin }, { ...twin }, tx({ transactionId: 'TX9' })]));
    assert.equal(records.filter((r) => r.status === 'PENDING').length, 2);
    assert.equal(records.length, 3);
    const again = mapped(deposits([twin, { ...twin }]));
    assert.deepEqual(again.map((r) => r.internal_identification), records.filter((r) => r.status === 'PENDING').map((r) => r.internal_identification));
  });

  it('hashes a settled transaction whose id is missing or malformed', () => {
    const [t] = mapped(deposits([tx({ transactionId: 'not valid!' })]));
    assert.ok(String(t.internal_identification).startsWith(`${HASHED_ID_PREFIX}-`));
  });

  it('categorises only types whose purpose is certain', () => {
    const cases: [string, 'CREDITO' | 'DEBITO', string | null, string | null][] = [
      ['PACOTE_TARIFA_SERVICOS', 'DEBITO', 'Fees & Charges', 'Bank Fees'],
      ['SAQUE', 'DEBITO', 'Withdrawal & ATM', null],
      ['FOLHA_PAGAMENTO', 'CREDITO', 'Income & Payments', 'Salary'],
      ['FOLHA_PAGAMENTO', 'DEBITO', null, null],
      ['RENDIMENTO_APLIC_FINANCEIRA', 'CREDITO', 'Income & Payments', 'Interest'],
      ['ENCARGOS_JUROS_CHEQUE_ESPECIAL', 'DEBITO', 'Credits & Loans', 'Interest & Charges'],
      ['PIX', 'DEBITO', null, null],
      ['BOLETO', 'DEBITO', null, null],
      ['CARTAO', 'DEBITO', null, null],
      ['ALGO_NOVO', 'DEBITO', null, null],
    ];
    for (const [type, creditDebitType, category, subcategory] of cases) {
      const [t] = mapped(deposits([tx({ type, creditDebitType })]));
      assert.deepEqual([t.category, t.subcategory], [category, subcategory], type);
      assert.equal(t.merchant, null);
    }
  });

  it('puts the type and the counterparty in observations', () => {
    const [t] = mapped(deposits([tx({ partieCnpjCpf: '12345678909', partiePersonType: 'PESSOA_NATURAL', partieCompeCode: '237', partieBranchCode: '1234', partieNumber: '87654321', partieCheckDigit: '5' })]));
    assert.equal(t.observations, 'PIX; contraparte CPF 12345678909; banco 237 agência 1234 conta 87654321-5');
    assert.equal(t.description, 'PIX ENVIADO JOAO');
    assert.equal(t.balance, null);
    assert.equal(t.credit_card_data, null);
  });

  it('maps large amounts exactly', () => {
    const [t] = mapped(deposits([tx({ transactionAmount: brl('123456789012.3450') })]));
    assert.equal(t.amount, 123456789012.35);
  });
});

describe('OFB card transactions → Belvo Transaction', () => {
  it('uses the BRL amount, keeps the original currency in observations, and is PROCESSED', () => {
    const [t] = mapped(cards([cardTx({ brazilianAmount: brl('530.4567'), amount: { amount: '100.00', currency: 'USD' }, transactionName: 'AMAZON.COM' })]));
    assert.equal(t.amount, 530.46);
    assert.equal(t.currency, 'BRL');
    assert.equal(t.status, 'PROCESSED');
    assert.equal(t.type, 'OUTFLOW');
    assert.equal(t.observations, 'PAGAMENTO; A_VISTA; valor original USD 100.00; MCC 5462; cartão 4321');
  });

  it('posts on billPostDate (São Paulo midnight), or on the transaction instant while the date is the dummy', () => {
    const [posted] = mapped(cards([cardTx()]));
    assert.equal(posted.accounting_date, '2025-06-10T03:00:00.000Z');
    assert.equal(posted.value_date, '2025-06-10');
    const [dummy] = mapped(cards([cardTx({ billPostDate: '0001-01-01' })]));
    assert.equal(dummy.accounting_date, '2025-06-10T12:15:00.000Z');
  });

  it('describes the bill: PAID / CLOSED closed bills with totals, OPEN without', () => {
    const bills = [bill('B-MAY', '2025-05-20', '800.00', '800.00'), bill('B-JUN', '2025-06-20', '1234.5600'), bill('B-APR', '2025-04-20', '600.10', '600.10')];
    const [paid, closed, open, unknown] = mapped(
      cards([cardTx({ transactionId: 'A', billId: 'B-MAY' }), cardTx({ transactionId: 'B', billId: 'B-JUN' }), cardTx({ transactionId: 'C' }), cardTx({ transactionId: 'D', billId: 'B-OLD' })], bills),
    );
    const data = (t: Record<string, unknown>) => t.credit_card_data as Record<string, unknown>;
    assert.deepEqual(data(paid), { collected_at: '2025-06-15T15:00:00.000Z', bill_name: 'mai-2025', bill_status: 'PAID', bill_amount: 800, previous_bill_total: '600.10' });
    assert.deepEqual(data(closed), { collected_at: '2025-06-15T15:00:00.000Z', bill_name: 'jun-2025', bill_status: 'CLOSED', bill_amount: 1234.56, previous_bill_total: '800.00' });
    assert.deepEqual(data(open), { collected_at: '2025-06-15T15:00:00.000Z', bill_name: null, bill_status: 'OPEN', bill_amount: null, previous_bill_total: '1234.56' });
    assert.equal(data(unknown).bill_status, 'CLOSED');
    assert.equal(data(unknown).bill_name, null);
  });

  it('categorises fees and contracted credit; refunds are INFLOW', () => {
    const [fee, instalments, refund, purchase] = mapped(
      cards([
        cardTx({ transactionId: 'F', transactionType: 'TARIFA', feeType: 'ANUIDADE', paymentType: undefined }),
        cardTx({ transactionId: 'P', transactionType: 'OPERACOES_CREDITO_CONTRATADAS_CARTAO', otherCreditsType: 'PARCELAMENTO_FATURA', paymentType: undefined }),
        cardTx({ transactionId: 'R', transactionType: 'ESTORNO', creditDebitType: 'CREDITO', paymentType: undefined }),
        cardTx({ transactionId: 'X' }),
      ]),
    );
    assert.deepEqual([fee.category, fee.subcategory], ['Fees & Charges', 'Bank Fees']);
    assert.deepEqual([instalments.category, instalments.subcategory], ['Credits & Loans', 'Instalment']);
    assert.deepEqual([refund.category, refund.type], [null, 'INFLOW']);
    assert.equal(purchase.category, null);
    assert.ok(String(fee.observations).includes('tarifa ANUIDADE'));
  });

  it('describes instalments in observations', () => {
    const [t] = mapped(cards([cardTx({ paymentType: 'A_PRAZO', chargeIdentificator: 2, chargeNumber: 10 })]));
    assert.ok(String(t.observations).includes('parcela 2/10'));
  });

  it('keys on transactionId; one missing gets the same hash on every call', () => {
    const [keyed] = mapped(cards([cardTx({ transactionId: 'CT-77' })]));
    assert.equal(keyed.internal_identification, 'CT-77');
    const a = mapped(cards([cardTx({ transactionId: undefined })]))[0];
    const b = mapped(cards([cardTx({ transactionId: undefined })]))[0];
    assert.equal(a.internal_identification, b.internal_identification);
    assert.ok(String(a.internal_identification).startsWith(`${HASHED_ID_PREFIX}-`));
  });

  it('collapses the same card transaction from the bill, history and current lists', () => {
    const input = cards([cardTx()]);
    input.cards[0].billTransactions = [cardTx({ billId: 'B-JUN' })];
    input.cards[0].transactionsCurrent = [cardTx()];
    input.cards[0].bills = [bill('B-JUN', '2025-06-20', '25.90')];
    assert.equal(mapped(input).length, 1);
  });
});
