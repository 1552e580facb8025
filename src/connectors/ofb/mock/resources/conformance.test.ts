/**
 * Every endpoint, for several customers, answers what the OFB documents describe (each `call`
 * validates status, body and headers against the YAML of its API).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ymd, localDay } from './documents.js';
import { ACC, CARDS, CPFS, CUSTOMERS, harness, RESOURCES } from './testing.js';

describe('mock OFB resource servers: conformance', () => {
  for (const cpf of CPFS) {
    it(`serves every endpoint for CPF ${cpf} as documented`, async () => {
      const h = harness();
      h.token({ cpf });
      const today = localDay(h.clock.now);
      const yearAgo = ymd(today - 364);

      const accounts = await h.call(ACC);
      assert.equal(accounts.status, 200);
      assert.ok(accounts.body.data.some((a: any) => a.type === 'CONTA_DEPOSITO_A_VISTA'), 'a checking account');
      for (const a of accounts.body.data) {
        const id = a.accountId;
        assert.equal((await h.call(`${ACC}/${id}`)).status, 200);
        assert.equal((await h.call(`${ACC}/${id}/balances`)).status, 200);
        assert.equal((await h.call(`${ACC}/${id}/overdraft-limits`)).status, 200);
        const history = await h.call(`${ACC}/${id}/transactions?fromBookingDate=${yearAgo}&toBookingDate=${ymd(today + 30)}&page-size=1000`);
        assert.equal(history.status, 200);
        assert.ok(history.body.data.length > 0);
        const current = await h.call(`${ACC}/${id}/transactions-current?fromBookingDate=${ymd(today - 6)}&toBookingDate=${ymd(today)}`);
        assert.equal(current.status, 200);
        if (a.type === 'CONTA_DEPOSITO_A_VISTA') assert.ok(current.body.data.length > 0, 'D-6 has transactions');
        assert.equal((await h.call(`${ACC}/${id}/transactions`)).status, 200, 'no dates: today');
      }

      const cards = await h.call(CARDS);
      assert.ok(cards.body.data.length >= 1, 'a credit card');
      for (const c of cards.body.data) {
        const id = c.creditCardAccountId;
        assert.equal((await h.call(`${CARDS}/${id}`)).status, 200);
        assert.equal((await h.call(`${CARDS}/${id}/limits`)).status, 200);
        const bills = await h.call(`${CARDS}/${id}/bills?page-size=100`);
        assert.ok(bills.body.data.length >= 11, 'a year of closed bills');
        for (const b of bills.body.data.slice(0, 2)) {
          const bt = await h.call(`${CARDS}/${id}/bills/${b.billId}/transactions?page-size=1000`);
          assert.ok(bt.body.data.length > 0);
          assert.ok(bt.body.data.every((t: any) => t.billId === b.billId));
        }
        const txs = await h.call(`${CARDS}/${id}/transactions?fromTransactionDate=${yearAgo}&toTransactionDate=${ymd(today)}&page-size=1000`);
        assert.ok(txs.body.data.length > 300);
        const current = await h.call(`${CARDS}/${id}/transactions-current?fromTransactionDate=${ymd(today - 6)}&toTransactionDate=${ymd(today)}`);
        assert.ok(current.body.data.length > 0);
      }

      const ident = await h.call(`${CUSTOMERS}/identifications`);
      assert.equal(ident.body.data[0].documents.cpfNumber, cpf);
      assert.equal((await h.call(`${CUSTOMERS}/qualifications`)).status, 200);
      assert.equal((await h.call(`${CUSTOMERS}/financial-relations`)).status, 200);

      const resources = await h.call(RESOURCES);
      const ids = resources.body.data.map((r: any) => r.resourceId).sort();
      const expected = [...accounts.body.data.map((a: any) => a.accountId), ...cards.body.data.map((c: any) => c.creditCardAccountId)].sort();
      assert.deepEqual(ids, expected, 'resourceId = accountId / creditCardAccountId');
    });
  }

  it('echoes x-fapi-interaction-id and sends x-v and the content types the documents give', async () => {
    const h = harness();
    h.token({ cpf: CPFS[0] });
    const id = 'd78fc4e5-37ca-4da3-adf2-9b082bf92280';
    const ok = await h.call(RESOURCES, { interactionId: id });
    assert.equal(ok.headers['x-fapi-interaction-id'], id);
    assert.equal(ok.headers['x-v'], '3.1.0');
    assert.equal(ok.headers['content-type'], 'application/json');
    const err = await h.call(`${ACC}/nope`, { interactionId: id });
    assert.equal(err.status, 404);
    assert.equal(err.headers['x-fapi-interaction-id'], id);
    assert.equal(err.headers['content-type'], 'application/json; charset=utf-8');
  });

  it('answers consistently across the day: transactions at several clock instants all conform', async () => {
    for (const iso of ['2025-01-01T02:59:59Z', '2025-03-01T03:00:00Z', '2025-12-31T23:59:59Z', '2026-02-28T12:00:00Z']) {
      const h = harness(new Date(iso));
      h.token({ cpf: CPFS[1] });
      const today = localDay(h.clock.now);
      const accounts = await h.call(ACC);
      for (const a of accounts.body.data) {
        await h.call(`${ACC}/${a.accountId}/transactions-current?fromBookingDate=${ymd(today - 6)}&toBookingDate=${ymd(today)}`);
        await h.call(`${ACC}/${a.accountId}/balances`);
      }
      const cards = await h.call(CARDS);
      for (const c of cards.body.data) {
        await h.call(`${CARDS}/${c.creditCardAccountId}/bills`);
        await h.call(`${CARDS}/${c.creditCardAccountId}/limits`);
      }
    }
  });
});
