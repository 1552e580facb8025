/** Pagination and filters as the documents define them, walked the way a client must: via `links.next`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localDay, ymd } from './documents.js';
import { ACC, CARDS, CPFS, harness, RESOURCES, walk } from './testing.js';

const ids = (items: any[], key = 'transactionId') => items.map((t) => t[key]);

describe('mock OFB resource servers: pagination and filters', () => {
  it('walks account transactions page by page: every item once, TransactionsLinks without last, meta without totals', async () => {
    const h = harness();
    h.token({ cpf: CPFS[0] });
    const today = localDay(h.clock.now);
    const account = (await h.call(ACC)).body.data[0].accountId;
    const q = `fromBookingDate=${ymd(today - 90)}&toBookingDate=${ymd(today)}`;
    const all = (await h.call(`${ACC}/${account}/transactions?${q}&page-size=1000`)).body.data;
    const { items, pages } = await walk(h, `${ACC}/${account}/transactions?${q}&page-size=25`);
    assert.ok(pages.length > 3);
    assert.deepEqual(ids(items), ids(all));
    assert.equal(new Set(ids(items)).size, items.length, 'no duplicates');
    for (const [i, p] of pages.entries()) {
      assert.equal(p.body.links.last, undefined);
      assert.deepEqual(Object.keys(p.body.meta), ['requestDateTime']);
      assert.equal(p.body.links.prev !== undefined, i > 0);
      assert.equal(p.body.links.first !== undefined, i > 0);
    }
    // Every item is within the window and newest first.
    for (const t of items) assert.ok(t.transactionDateTime >= `${ymd(today - 90)}`);
    const times = items.map((t) => t.transactionDateTime);
    assert.deepEqual([...times].sort().reverse(), times);
  });

  it('keeps a walk consistent while the clock moves (the pagination-key freezes it)', async () => {
    const h = harness();
    h.token({ cpf: CPFS[1] });
    const today = localDay(h.clock.now);
    const card = (await h.call(CARDS)).body.data[0].creditCardAccountId;
    const url = `${CARDS}/${card}/transactions?fromTransactionDate=${ymd(today - 30)}&toTransactionDate=${ymd(today)}&page-size=10`;
    const before = (await walk(h, url)).items;
    const first = await h.call(url);
    h.clock.now = new Date(+h.clock.now + 6 * 3_600_000); // new purchases happen meanwhile
    const rest = await walk(h, first.body.links.next);
    assert.deepEqual(ids([...first.body.data, ...rest.items]), ids(before));
    // A fresh walk sees the new ones, with the old ones unchanged.
    const after = (await walk(h, url)).items;
    assert.ok(after.length > before.length);
    assert.deepEqual(ids(after).slice(after.length - before.length), ids(before));
  });

  it('paginates list endpoints with Links (first/prev/next/last) and Meta totals', async () => {
    const h = harness();
    h.token({ cpf: CPFS[2] });
    const card = (await h.call(CARDS)).body.data[0].creditCardAccountId;
    const { items, pages } = await walk(h, `${CARDS}/${card}/bills?page-size=5`);
    const total = pages[0].body.meta.totalRecords;
    assert.equal(items.length, total);
    assert.equal(pages.length, pages[0].body.meta.totalPages);
    assert.ok(pages[0].body.links.last.includes(`page=${pages.length}`));
    assert.equal(pages.at(-1)?.body.links.next, undefined);
    assert.equal(new Set(ids(items, 'billId')).size, total);
    // page=N directly, and a page past the end is refused.
    const second = await h.call(`${CARDS}/${card}/bills?page-size=5&page=2`);
    assert.deepEqual(second.body.data, pages[1].body.data);
    assert.equal((await h.call(`${CARDS}/${card}/bills?page-size=5&page=${pages.length + 1}`)).status, 422);
  });

  it('accepts page-size 1 on accounts (minimum 1) and treats < 25 as 25 on resources', async () => {
    const h = harness();
    h.token({ cpf: CPFS[3] });
    const one = await h.call(`${ACC}?page-size=1`);
    assert.equal(one.body.data.length, 1);
    const res = await h.call(`${RESOURCES}?page-size=2`);
    assert.equal(res.status, 200);
    assert.equal(res.body.meta.totalPages, 1, 'page-size 2 read as 25');
    assert.equal(res.body.data.length, res.body.meta.totalRecords);
  });

  it('rejects malformed paging (400) and page-size above 1000', async () => {
    const h = harness();
    h.token({ cpf: CPFS[0] });
    for (const q of ['page=0', 'page=abc', 'page-size=1001', 'page-size=0', 'accountType=CONTA_X']) {
      const r = await h.call(`${ACC}?${q}`);
      assert.equal(r.status, 400, q);
    }
  });

  it('filters: accountType, creditDebitIndicator, transactionType, payeeMCC, due dates', async () => {
    const h = harness();
    h.token({ cpf: CPFS[0] });
    const today = localDay(h.clock.now);
    const savingsOnly = await h.call(`${ACC}?accountType=CONTA_POUPANCA`);
    assert.ok(savingsOnly.body.data.every((a: any) => a.type === 'CONTA_POUPANCA'));
    const account = (await h.call(`${ACC}?accountType=CONTA_DEPOSITO_A_VISTA`)).body.data[0].accountId;
    const q = `fromBookingDate=${ymd(today - 60)}&toBookingDate=${ymd(today)}&page-size=1000`;
    const credits = (await h.call(`${ACC}/${account}/transactions?${q}&creditDebitIndicator=CREDITO`)).body.data;
    const debits = (await h.call(`${ACC}/${account}/transactions?${q}&creditDebitIndicator=DEBITO`)).body.data;
    const all = (await h.call(`${ACC}/${account}/transactions?${q}`)).body.data;
    assert.ok(credits.length > 0 && debits.length > 0);
    assert.ok(credits.every((t: any) => t.creditDebitType === 'CREDITO'));
    assert.equal(credits.length + debits.length, all.length);
    for (const t of all) {
      const day = ymd(localDay(new Date(t.transactionDateTime)));
      assert.ok(day >= ymd(today - 60) && day <= ymd(today), `${day} in window`);
    }

    const card = (await h.call(CARDS)).body.data[0].creditCardAccountId;
    const cq = `fromTransactionDate=${ymd(today - 200)}&toTransactionDate=${ymd(today)}&page-size=1000`;
    const fees = (await h.call(`${CARDS}/${card}/transactions?${cq}&transactionType=TARIFA`)).body.data;
    assert.ok(fees.length >= 6 && fees.every((t: any) => t.transactionType === 'TARIFA' && t.feeType === 'ANUIDADE'));
    const mcc = (await h.call(`${CARDS}/${card}/transactions?${cq}&payeeMCC=5411`)).body.data;
    assert.ok(mcc.length > 0 && mcc.every((t: any) => t.payeeMCC === 5411));
    assert.equal((await h.call(`${CARDS}/${card}/transactions?${cq}&payeeMCC=abc`)).status, 400);

    const bills = (await h.call(`${CARDS}/${card}/bills`)).body.data;
    const due = bills[2].dueDate;
    const some = (await h.call(`${CARDS}/${card}/bills?fromDueDate=${due}&toDueDate=${ymd(today)}`)).body.data;
    assert.deepEqual(some.map((b: any) => b.billId), bills.slice(0, 3).map((b: any) => b.billId));
  });

  it('applies the date-window rules: default today, pairs required, 12 months back, D-6 for -current', async () => {
    const h = harness();
    h.token({ cpf: CPFS[1] });
    const today = localDay(h.clock.now);
    const account = (await h.call(ACC)).body.data[0].accountId;
    const card = (await h.call(CARDS)).body.data[0].creditCardAccountId;
    const todays = (await h.call(`${ACC}/${account}/transactions-current`)).body.data;
    assert.ok(todays.every((t: any) => ymd(localDay(new Date(t.transactionDateTime))) === ymd(today)));
    const cases: [string, number][] = [
      [`${ACC}/${account}/transactions?fromBookingDate=${ymd(today - 10)}`, 400],
      [`${ACC}/${account}/transactions?toBookingDate=${ymd(today)}`, 400],
      [`${ACC}/${account}/transactions?fromBookingDate=2025-13-01&toBookingDate=2025-06-01`, 400],
      [`${ACC}/${account}/transactions?fromBookingDate=${ymd(today)}&toBookingDate=${ymd(today - 1)}`, 422],
      [`${ACC}/${account}/transactions?fromBookingDate=${ymd(today - 400)}&toBookingDate=${ymd(today)}`, 422],
      [`${ACC}/${account}/transactions?fromBookingDate=${ymd(today)}&toBookingDate=${ymd(today + 400)}`, 422],
      [`${ACC}/${account}/transactions-current?fromBookingDate=${ymd(today - 7)}&toBookingDate=${ymd(today)}`, 422],
      [`${ACC}/${account}/transactions-current?fromBookingDate=${ymd(today - 6)}&toBookingDate=${ymd(today + 20)}`, 200],
      [`${CARDS}/${card}/transactions-current?fromTransactionDate=${ymd(today - 7)}&toTransactionDate=${ymd(today)}`, 422],
      [`${CARDS}/${card}/transactions?fromTransactionDate=${ymd(today - 400)}&toTransactionDate=${ymd(today)}`, 422],
      [`${CARDS}/${card}/transactions?fromTransactionDate=${ymd(today - 10)}`, 400],
    ];
    for (const [url, status] of cases) assert.equal((await h.call(url)).status, status, url);
    // Scheduled items (LANCAMENTO_FUTURO) show up when asking for the future.
    const future = (await h.call(`${ACC}/${account}/transactions?fromBookingDate=${ymd(today + 1)}&toBookingDate=${ymd(today + 40)}`)).body.data;
    assert.ok(future.length > 0 && future.every((t: any) => t.completedAuthorisedPaymentType === 'LANCAMENTO_FUTURO'));
  });
});
