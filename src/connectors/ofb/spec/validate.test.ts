/** The OFB response validator: finds violations with their paths, resolves templates, stays fast. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specVersion, templateFor, validateResponse } from './validate.js';

const meta = { totalRecords: 1, totalPages: 1, requestDateTime: '2025-06-15T15:00:00Z' };
const account = { brandName: 'B', companyCnpj: '99887766000105', type: 'CONTA_DEPOSITO_A_VISTA', compeCode: '998', branchCode: '0001', number: '12345678', checkDigit: '1', accountId: 'abc' };

describe('OFB response validator', () => {
  it('accepts a conforming answer and reports each violation with its JSON path', () => {
    assert.deepEqual(validateResponse('accounts', 'GET', '/accounts', 200, { data: [account], links: { self: 'https://api.banco.com.br/x' }, meta }), []);
    const issues = validateResponse('accounts', 'GET', '/accounts', 200, {
      data: [{ ...account, type: 'CONTA_X', number: '12', accountId: undefined }],
      links: {},
      meta: { requestDateTime: '2025-06-15T15:00:00.123Z' },
    });
    const paths = issues.map((i) => `${i.path} ${i.keyword}`).sort();
    assert.deepEqual(paths, [
      '$.data[0].accountId required',
      '$.data[0].number pattern',
      '$.data[0].type enum',
      '$.links.self required',
      '$.meta.requestDateTime maxLength',
      '$.meta.totalPages required',
      '$.meta.totalRecords required',
    ]);
  });

  it('resolves concrete paths (with or without the base path) to templates', () => {
    assert.equal(templateFor('accounts', '/open-banking/accounts/v2/accounts/abc/transactions-current'), '/accounts/{accountId}/transactions-current');
    assert.equal(templateFor('credit-cards', '/accounts/x/bills/y/transactions'), '/accounts/{creditCardAccountId}/bills/{billId}/transactions');
    assert.equal(templateFor('resources', '/open-banking/resources/v3/resources'), '/resources');
    assert.equal(templateFor('accounts', '/nope'), null);
    assert.deepEqual(validateResponse('accounts', 'GET', '/open-banking/accounts/v2/accounts', 200, { data: [], links: { self: 'https://api.banco.com.br/x' }, meta }), []);
  });

  it('uses `default` for undocumented statuses and refuses unknown operations', () => {
    // resources documents no 423: the `default` error schema applies.
    assert.deepEqual(validateResponse('resources', 'GET', '/resources', 423, { errors: [{ code: 'a', title: 'b', detail: 'c' }] }), []);
    assert.equal(validateResponse('resources', 'POST', '/resources', 200, {})[0].keyword, 'operation');
    assert.equal(validateResponse('resources', 'GET', '/nope', 200, {})[0].keyword, 'operation');
  });

  it('checks declared response headers when given', () => {
    const body = { data: [], links: { self: 'https://api.banco.com.br/x' }, meta };
    const missing = validateResponse('resources', 'GET', '/resources', 200, body, { 'x-fapi-interaction-id': 'd78fc4e5-37ca-4da3-adf2-9b082bf92280' });
    assert.deepEqual(missing.map((i) => i.path), ['headers.x-v']);
    const bad = validateResponse('accounts', 'GET', '/accounts', 200, { data: [], links: { self: 'https://api.banco.com.br/x' }, meta }, { 'x-fapi-interaction-id': 'nope' });
    assert.ok(bad.every((i) => i.path === 'headers.x-fapi-interaction-id') && bad.length > 0);
    assert.equal(specVersion('resources'), '3.1.0');
  });

  it("applies the credit-cards document's link pattern (it rejects localhost and IP hosts)", () => {
    const page = (self: string) => ({ data: [], links: { self }, meta });
    assert.deepEqual(validateResponse('credit-cards', 'GET', '/accounts', 200, page('https://mockbank.vinculo.dev/open-banking/credit-cards-accounts/v2/accounts?page=1')), []);
    assert.equal(validateResponse('credit-cards', 'GET', '/accounts', 200, page('https://localhost:8443/x'))[0].keyword, 'pattern');
    assert.equal(validateResponse('credit-cards', 'GET', '/accounts', 200, page('https://127.0.0.1:8443/x'))[0].keyword, 'pattern');
  });

  it('handles OpenAPI-only formats (`format: integer` on numbers)', () => {
    const tx = {
      transactionId: 'T1', identificationNumber: '4453', transactionName: 'X', creditDebitType: 'DEBITO', transactionType: 'PAGAMENTO',
      brazilianAmount: { amount: '1.00', currency: 'BRL' }, amount: { amount: '1.00', currency: 'BRL' },
      transactionDateTime: '2025-06-15T15:00:00.000Z', billPostDate: '2025-06-15', payeeMCC: 5411.5,
    };
    const body = { data: [tx], links: { self: 'https://api.banco.com.br/x' }, meta: { requestDateTime: '2025-06-15T15:00:00Z' } };
    assert.deepEqual(validateResponse('credit-cards', 'GET', '/accounts/{creditCardAccountId}/transactions', 200, body).map((i) => i.path), ['$.data[0].payeeMCC']);
  });
});
