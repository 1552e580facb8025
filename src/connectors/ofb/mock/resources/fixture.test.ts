/** Customer fixtures: CPF rules, determinism per CPF, stable ids while the clock moves. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cnpj, isValidCnpj, isValidCpf, localDay, randomCpf } from './documents.js';
import { fixtureFor } from './fixture.js';
import { BANK } from './bank.js';
import { rng } from '../../../sandbox/data/random.js';

const NOW = new Date('2025-06-15T15:00:00Z');

/** The first `n` valid CPFs from a seeded generator (a varied population). */
function population(n: number): string[] {
  const r = rng([1, 2, 3, 4], 99);
  return Array.from({ length: n }, () => randomCpf(r));
}

describe('mock OFB fixtures', () => {
  it('validates CPF check digits', () => {
    for (const ok of ['52998224725', '529.982.247-25', '11144477735', '39053344705']) assert.ok(isValidCpf(ok), ok);
    for (const bad of ['52998224724', '11111111111', '00000000000', '1234567890', '123456789012', 'abcdefghijk', '']) assert.ok(!isValidCpf(bad), bad);
    for (const c of population(200)) assert.ok(isValidCpf(c), c);
    assert.ok(isValidCnpj(BANK.companyCnpj));
    assert.equal(cnpj('11222333'), '11222333000181');
  });

  it('gives every CPF a checking account and a card; some a savings account or a second card', () => {
    let savings = 0;
    let twoCards = 0;
    for (const cpf of population(60)) {
      const f = fixtureFor(cpf, NOW);
      assert.ok(f.accounts.some((a) => a.plan.type === 'CONTA_DEPOSITO_A_VISTA'));
      assert.ok(f.cards.length >= 1);
      if (f.accounts.some((a) => a.plan.type === 'CONTA_POUPANCA')) savings++;
      if (f.cards.length > 1) twoCards++;
      assert.equal((f.identification.documents as { cpfNumber: string }).cpfNumber, cpf);
    }
    assert.ok(savings > 10 && savings < 50, `savings ${savings}/60`);
    assert.ok(twoCards > 5 && twoCards < 40, `two cards ${twoCards}/60`);
  });

  it('is deterministic per CPF and differs between CPFs', () => {
    const a = fixtureFor('52998224725', NOW);
    const b = fixtureFor('52998224725', () => NOW);
    const c = fixtureFor('11144477735', NOW);
    assert.deepEqual(a.identification, b.identification);
    assert.deepEqual(a.accounts.map((x) => x.data), b.accounts.map((x) => x.data));
    const day = localDay(NOW);
    assert.deepEqual(a.accounts[0].transactions(day - 30, day), b.accounts[0].transactions(day - 30, day));
    assert.notEqual(a.accounts[0].plan.accountId, c.accounts[0].plan.accountId);
    assert.notDeepEqual(a.identification.civilName, undefined);
  });

  it('keeps ids and past transactions stable as the clock moves; new days bring new ones', () => {
    const cpf = '39053344705';
    const before = fixtureFor(cpf, NOW);
    const later = fixtureFor(cpf, new Date(+NOW + 3 * 86_400_000));
    assert.deepEqual(later.resources, before.resources);
    const day = localDay(NOW);
    const old = before.accounts[0].transactions(day - 60, day - 1);
    assert.deepEqual(later.accounts[0].transactions(day - 60, day - 1), old);
    const fresh = later.accounts[0].transactions(day + 1, day + 3).filter((t) => t.completedAuthorisedPaymentType !== 'LANCAMENTO_FUTURO');
    assert.ok(fresh.length >= 3, 'at least one a day');
    const cardOld = before.cards[0].transactions(day - 60, day - 1);
    assert.deepEqual(later.cards[0].transactions(day - 60, day - 1).map((t) => t.transactionId), cardOld.map((t) => t.transactionId));
  });

  it('keeps transaction ids unique over a year, and amounts in the documented format', () => {
    const f = fixtureFor('12345678909', NOW);
    const day = localDay(NOW);
    for (const a of f.accounts) {
      const txs = a.transactions(day - 365, day + 30);
      assert.equal(new Set(txs.map((t) => t.transactionId)).size, txs.length);
      for (const t of txs) assert.match(t.transactionAmount.amount, /^\d{1,15}\.\d{2}$/);
    }
    for (const c of f.cards) {
      const txs = c.transactions(day - 365, day);
      assert.equal(new Set(txs.map((t) => t.transactionId)).size, txs.length);
    }
  });

  it('makes bills add up: a bill total is the net of its transactions but the payment, and it is paid on its due date', () => {
    const f = fixtureFor('52998224725', NOW);
    for (const c of f.cards) {
      for (const bill of c.bills.slice(0, 4)) {
        const txs = c.billTransactions(bill.billId) ?? [];
        const net = txs
          .filter((t) => t.transactionName !== 'PAGAMENTO DE FATURA')
          .reduce((s, t) => s + (t.creditDebitType === 'DEBITO' ? 1 : -1) * Math.round(Number(t.brazilianAmount.amount) * 100), 0);
        assert.equal(Math.round(Number(bill.billTotalAmount.amount) * 100), net, bill.billId);
        if (bill.dueDate < '2025-06-15' && net > 0) assert.equal(bill.payments[0]?.amount, bill.billTotalAmount.amount);
      }
      const total = c.limits.find((l) => l.creditLineLimitType === 'LIMITE_CREDITO_TOTAL') as any;
      assert.equal(Number(total.usedAmount.amount) + Number(total.availableAmount.amount), Number(total.limitAmount.amount));
    }
  });
});
