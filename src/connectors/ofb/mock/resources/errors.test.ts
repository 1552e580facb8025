/** Error answers (401, 403, 400 interaction id, 404, 405) conform to each endpoint's documented error schema. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACC, ALL_PERMISSIONS, CARDS, CPFS, CUSTOMERS, harness, RESOURCES } from './testing.js';
import { UUID_RE } from './http.js';

/** Every implemented endpoint with the permission the documents name for it. */
async function endpoints(h: ReturnType<typeof harness>): Promise<[string, string][]> {
  const account = (await h.call(ACC)).body.data[0].accountId;
  const card = (await h.call(CARDS)).body.data[0].creditCardAccountId;
  const bill = (await h.call(`${CARDS}/${card}/bills`)).body.data[0].billId;
  return [
    [ACC, 'ACCOUNTS_READ'],
    [`${ACC}/${account}`, 'ACCOUNTS_READ'],
    [`${ACC}/${account}/balances`, 'ACCOUNTS_BALANCES_READ'],
    [`${ACC}/${account}/overdraft-limits`, 'ACCOUNTS_OVERDRAFT_LIMITS_READ'],
    [`${ACC}/${account}/transactions`, 'ACCOUNTS_TRANSACTIONS_READ'],
    [`${ACC}/${account}/transactions-current`, 'ACCOUNTS_TRANSACTIONS_READ'],
    [CARDS, 'CREDIT_CARDS_ACCOUNTS_READ'],
    [`${CARDS}/${card}`, 'CREDIT_CARDS_ACCOUNTS_READ'],
    [`${CARDS}/${card}/limits`, 'CREDIT_CARDS_ACCOUNTS_LIMITS_READ'],
    [`${CARDS}/${card}/bills`, 'CREDIT_CARDS_ACCOUNTS_BILLS_READ'],
    [`${CARDS}/${card}/bills/${bill}/transactions`, 'CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ'],
    [`${CARDS}/${card}/transactions`, 'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ'],
    [`${CARDS}/${card}/transactions-current`, 'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ'],
    [`${CUSTOMERS}/identifications`, 'CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ'],
    [`${CUSTOMERS}/qualifications`, 'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ'],
    [`${CUSTOMERS}/financial-relations`, 'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ'],
    [RESOURCES, 'RESOURCES_READ'],
  ];
}

describe('mock OFB resource servers: errors', () => {
  it('403 on every endpoint whose permission the consent lacks, 200 with it', async () => {
    const h = harness();
    const full = h.token({ cpf: CPFS[0] });
    for (const [url, permission] of await endpoints(h)) {
      const without = h.token({ cpf: CPFS[0], permissions: ALL_PERMISSIONS.filter((p) => p !== permission) });
      const denied = await h.call(url, { token: without });
      assert.equal(denied.status, 403, url);
      assert.match(denied.body.errors[0].detail, new RegExp(permission));
      const only = h.token({ cpf: CPFS[0], permissions: [permission] });
      assert.equal((await h.call(url, { token: only })).status, 200, `${url} with only ${permission}`);
      assert.equal((await h.call(url, { token: full })).status, 200);
    }
  });

  it('401 without a token or with one authorize() refuses, on every endpoint', async () => {
    const h = harness();
    h.token({ cpf: CPFS[1] });
    for (const [url] of await endpoints(h)) {
      assert.equal((await h.call(url, { token: null })).status, 401, url);
      assert.equal((await h.call(url, { token: 'not-a-token' })).status, 401, url);
    }
  });

  it('400 with a fresh interaction id when x-fapi-interaction-id is missing or not a UUID', async () => {
    const h = harness();
    h.token({ cpf: CPFS[2] });
    for (const [url] of await endpoints(h)) {
      for (const interactionId of [null, 'not-a-uuid', '']) {
        const r = await h.call(url, { interactionId });
        assert.equal(r.status, 400, `${url} ${interactionId}`);
        assert.match(r.headers['x-fapi-interaction-id'], UUID_RE);
        assert.notEqual(r.headers['x-fapi-interaction-id'], interactionId);
      }
    }
  });

  it('404 for unknown ids and paths, 405 for other methods, null for paths that are not ours', async () => {
    const h = harness();
    const t = h.token({ cpf: CPFS[3] });
    const other = h.token({ cpf: CPFS[0] });
    const mine = (await h.call(ACC, { token: t })).body.data[0].accountId;
    const card = (await h.call(CARDS, { token: t })).body.data[0].creditCardAccountId;
    assert.equal((await h.call(`${ACC}/${mine}/balances`, { token: other })).status, 404, "another customer's account");
    assert.equal((await h.call(`${ACC}/unknown-1`, { token: t })).status, 404);
    assert.equal((await h.call(`${CARDS}/${card}/bills/NOPE/transactions`, { token: t })).status, 404);
    assert.equal((await h.call(`${CARDS}/unknown/limits`, { token: t })).status, 404);
    assert.equal((await h.call('/open-banking/customers/v2/business/identifications', { token: h.token({ cpf: CPFS[3], permissions: ['CUSTOMERS_BUSINESS_IDENTIFICATIONS_READ'] }) })).status, 404);
    assert.equal((await h.call('/open-banking/customers/v2/business/identifications', { token: t })).status, 403);
    const post = await h.call(ACC, { token: t, method: 'POST', raw: true });
    assert.equal(post.status, 405);
    assert.ok(post.body.errors.length === 1);
    const unknown = await h.call('/open-banking/accounts/v2/foo', { token: t, raw: true });
    assert.equal(unknown.status, 404);
    for (const path of ['/open-banking/consents/v3/consents', '/token', '/open-banking/accounts/v20/accounts']) {
      assert.equal(await h.server.handle({ method: 'GET', path, query: new URLSearchParams(), headers: {} }), null, path);
    }
  });

  it('refuses a token whose grant names an invalid CPF (403)', async () => {
    const h = harness();
    h.token({ cpf: '12345678900' });
    assert.equal((await h.call(ACC)).status, 403);
  });
});
