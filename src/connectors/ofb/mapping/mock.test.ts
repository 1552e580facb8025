/**
 * End to end over the mock bank: for several customers, the resource servers' answers (valid per
 * the OFB documents) map to records that, dressed as the server serves them, are valid Belvo
 * Account, Transaction, Balance and Owner objects (spec/belvo/belvo-openapi-1.35.0.yaml).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { CPFS } from '../mock/resources/testing.js';
import { HASHED_ID_PREFIX, mapAccounts, mapBalances, mapOwners, mapTransactions } from './index.js';
import { asServed, collect, withAccount } from './testing.js';

const cents = (n: unknown) => Math.round(Number(n) * 100);

describe('OFB mapping over the mock bank', () => {
  for (const cpf of CPFS) {
    it(`maps CPF ${cpf} to valid Belvo objects`, async () => {
      const { ctx, accounts: ofb, identifications } = await collect(cpf);
      const accounts = mapAccounts(ofb, ctx);
      const transactions = mapTransactions(ofb, ctx);
      const balances = mapBalances(ofb, ctx);
      const owners = mapOwners(identifications);

      assert.equal(accounts.length, ofb.deposits.length + ofb.cards.length);
      assert.equal(new Set(accounts.map((a) => a.internal_identification)).size, accounts.length);
      for (const a of accounts) assertSchema('Account', asServed(a, ctx.collectedAt));
      for (const t of transactions) assertSchema('Transaction', withAccount(t, accounts, ctx.collectedAt));
      for (const b of balances) assertSchema('Balance', withAccount(b, accounts, ctx.collectedAt));
      for (const o of owners) assertSchema('Owner', asServed(o, ctx.collectedAt));

      // One balance per account (all fetched the same day), equal to the account's current balance.
      assert.equal(balances.length, accounts.length);
      for (const b of balances) {
        const account = accounts.find((a) => a.internal_identification === b.account_internal_identification)!;
        assert.equal(b.balance, (account.balance as { current: number }).current);
        assert.equal(b.value_date, '2025-06-15');
      }

      // Cards: available = limit − used, as Belvo documents; bill figures where a bill is due.
      for (const card of accounts.filter((a) => a.category === 'CREDIT_CARD')) {
        const credit = card.credit_data as Record<string, unknown>;
        const balance = card.balance as { current: number; available: number };
        assert.equal(cents(balance.available), cents(credit.credit_limit) - cents(balance.current));
        assert.equal(card.balance_type, 'LIABILITY');
        if (credit.next_payment_date !== null) assert.ok(String(credit.next_payment_date) >= '2025-06-15');
        assert.equal(credit.interest_rate, null);
      }

      // Transactions: every fetched item once (lists overlap), amounts positive, ids valid.
      const ids = new Set(transactions.map((t) => t.internal_identification));
      assert.equal(ids.size, transactions.length);
      const settled = new Set<string>();
      for (const d of ofb.deposits) for (const t of [...(d.transactions ?? []), ...(d.transactionsCurrent ?? [])]) if (t.completedAuthorisedPaymentType === 'TRANSACAO_EFETIVADA') settled.add(t.transactionId!);
      for (const c of ofb.cards) for (const t of [...(c.transactions ?? []), ...(c.transactionsCurrent ?? []), ...(c.billTransactions ?? [])]) settled.add(t.transactionId!);
      for (const id of settled) assert.ok(ids.has(id), `settled ${id} keyed on its transactionId`);
      const pending = transactions.filter((t) => t.status === 'PENDING');
      assert.ok(pending.length > 0, 'scheduled items (LANCAMENTO_FUTURO) come as PENDING');
      for (const t of pending) assert.ok(String(t.internal_identification).startsWith(`${HASHED_ID_PREFIX}-`));
      assert.equal(transactions.length, settled.size + pending.length);
      for (const t of transactions) assert.ok((t.amount as number) > 0 || t.amount === 0);

      assert.equal(owners.length, 1);
      assert.deepEqual(owners[0].document_id, { document_type: 'CPF', document_number: cpf });
    });
  }

  it('gives the same records when the same data is collected again', async () => {
    const first = await collect(CPFS[0]);
    const again = await collect(CPFS[0]);
    assert.deepEqual(mapTransactions(again.accounts, again.ctx), mapTransactions(first.accounts, first.ctx));
    assert.deepEqual(mapAccounts(again.accounts, again.ctx), mapAccounts(first.accounts, first.ctx));
  });

  it('keeps keys when the clock moves a day: settled ones, and pending ones still pending', async () => {
    const day1 = await collect(CPFS[1], new Date('2025-06-15T15:00:00Z'));
    const day2 = await collect(CPFS[1], new Date('2025-06-16T15:00:00Z'));
    const before = mapTransactions(day1.accounts, day1.ctx);
    const after = new Map(mapTransactions(day2.accounts, day2.ctx).map((t) => [t.internal_identification, t]));
    let pendingKept = 0;
    for (const t of before) {
      // Both windows cover these days; 2025-06-17 on is still in the future on day 2.
      if (t.status === 'PROCESSED' && String(t.value_date) >= '2025-02-17') assert.ok(after.has(t.internal_identification), `${t.internal_identification} kept`);
      if (t.status === 'PENDING' && String(t.value_date) >= '2025-06-17') {
        assert.equal(after.get(t.internal_identification)?.status, 'PENDING', `${t.internal_identification} kept`);
        pendingKept++;
      }
    }
    assert.ok(pendingKept > 0);
  });

  it('re-keys a scheduled item once it settles (its transactionId stays in reference)', async () => {
    // The mock schedules the salary on the 5th; on the 4th it is LANCAMENTO_FUTURO.
    const day1 = await collect(CPFS[2], new Date('2025-06-04T15:00:00Z'));
    const day2 = await collect(CPFS[2], new Date('2025-06-05T15:00:00Z'));
    const salary = (list: ReturnType<typeof mapTransactions>) => list.find((t) => t.value_date === '2025-06-05' && t.category === 'Income & Payments');
    const pending = salary(mapTransactions(day1.accounts, day1.ctx));
    const settled = salary(mapTransactions(day2.accounts, day2.ctx));
    assert.ok(pending && settled);
    assert.equal(pending.status, 'PENDING');
    assert.equal(settled.status, 'PROCESSED');
    assert.equal(settled.internal_identification, settled.reference);
    assert.notEqual(pending.internal_identification, settled.internal_identification);
    assert.equal(pending.reference, settled.reference);
  });
});
