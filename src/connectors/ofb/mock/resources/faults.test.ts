/** Injected faults (429/423/500, latency) and the monthly operational limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localDay, ymd } from './documents.js';
import { ACC, CARDS, CPFS, CUSTOMERS, harness, RESOURCES, walk } from './testing.js';

describe('mock OFB resource servers: faults and limits', () => {
  for (const status of [429, 423, 500] as const) {
    it(`forces ${status} for one consent, a given number of times, with Retry-After`, async () => {
      const h = harness();
      const a = h.token({ cpf: CPFS[0], consentId: 'urn:ofmockbank:a' });
      const b = h.token({ cpf: CPFS[1], consentId: 'urn:ofmockbank:b' });
      h.faults.set('urn:ofmockbank:a', { status, times: 2, retryAfter: 7 });
      for (const url of [ACC, `${CUSTOMERS}/identifications`]) {
        const r = await h.call(url, { token: a });
        assert.equal(r.status, status, url);
        assert.equal(r.headers['retry-after'], '7');
      }
      assert.equal((await h.call(ACC, { token: a })).status, 200, 'times exhausted');
      assert.equal((await h.call(ACC, { token: b })).status, 200, 'other consents unaffected');
    });
  }

  it("'*' hits every consent until cleared; a consent's own fault wins; resources' 423 falls under `default`", async () => {
    const h = harness();
    const a = h.token({ cpf: CPFS[0], consentId: 'urn:ofmockbank:a' });
    const b = h.token({ cpf: CPFS[1], consentId: 'urn:ofmockbank:b' });
    h.faults.set('*', { status: 500 });
    h.faults.set('urn:ofmockbank:b', { status: 423 });
    assert.equal((await h.call(ACC, { token: a })).status, 500);
    assert.equal((await h.call(ACC, { token: a })).status, 500);
    assert.equal((await h.call(RESOURCES, { token: b })).status, 423);
    h.faults.clear('*');
    assert.equal((await h.call(ACC, { token: a })).status, 200);
    h.faults.clear();
    assert.equal((await h.call(ACC, { token: b })).status, 200);
    // Authentication still comes first.
    h.faults.set('*', { status: 500 });
    assert.equal((await h.call(ACC, { token: null })).status, 401);
  });

  it('slow(ms) delays the answers', async () => {
    const h = harness();
    h.token({ cpf: CPFS[2] });
    h.faults.slow(120);
    const started = performance.now();
    await h.call(RESOURCES);
    assert.ok(performance.now() - started >= 110);
    h.faults.slow(0);
  });

  it('limits accounts and customers endpoints to 4 calls a month per consent (429 then), reset next month', async () => {
    const h = harness(new Date('2025-06-29T15:00:00Z'));
    const t = h.token({ cpf: CPFS[0] });
    const other = h.token({ cpf: CPFS[0] });
    for (let i = 0; i < 4; i++) assert.equal((await h.call(ACC, { token: t })).status, 200);
    const refused = await h.call(ACC, { token: t });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal((await h.call(ACC, { token: other })).status, 200, 'per consent');
    for (let i = 0; i < 4; i++) assert.equal((await h.call(`${CUSTOMERS}/identifications`, { token: t })).status, 200);
    assert.equal((await h.call(`${CUSTOMERS}/identifications`, { token: t })).status, 429);
    assert.equal((await h.call(`${CUSTOMERS}/qualifications`, { token: t })).status, 200, 'per endpoint');
    h.clock.now = new Date('2025-07-01T03:00:00Z'); // 00:00 in São Paulo: a new month
    assert.equal((await h.call(ACC, { token: t })).status, 200);
  });

  it('counts transactions by window: 4 long-window calls, 240 short ones; pagination-key calls are free', async () => {
    const h = harness();
    h.token({ cpf: CPFS[1] });
    const today = localDay(h.clock.now);
    h.faults.setLimits({ accounts: Infinity });
    const account = (await h.call(ACC)).body.data[0].accountId;
    const long = `${ACC}/${account}/transactions?fromBookingDate=${ymd(today - 200)}&toBookingDate=${ymd(today)}&page-size=50`;
    const { pages } = await walk(h, long); // first page counted, the rest carry the key
    assert.ok(pages.length > 4, 'more pages than the limit');
    for (let i = 0; i < 3; i++) assert.equal((await h.call(long)).status, 200);
    assert.equal((await h.call(long)).status, 429);
    const short = `${ACC}/${account}/transactions?fromBookingDate=${ymd(today - 6)}&toBookingDate=${ymd(today)}`;
    assert.equal((await h.call(short)).status, 200, 'short windows have their own, larger budget');
    h.faults.setLimits({ transactionsShortWindow: 2 });
    assert.equal((await h.call(`${ACC}/${account}/transactions-current`)).status, 200);
    assert.equal((await h.call(`${ACC}/${account}/transactions-current`)).status, 200);
    assert.equal((await h.call(`${ACC}/${account}/transactions-current`)).status, 429);
    const usage = h.faults.usage();
    assert.ok(Object.entries(usage).some(([k, v]) => k.includes('transactions-current') && v === 2));
  });

  it('limits balances to 240 a month (per account), and a tampered pagination-key is counted', async () => {
    const h = harness();
    h.token({ cpf: CPFS[3] });
    h.faults.setLimits({ balances: 3, bills: 1 });
    const account = (await h.call(ACC)).body.data[0].accountId;
    for (let i = 0; i < 3; i++) assert.equal((await h.call(`${ACC}/${account}/balances`)).status, 200);
    assert.equal((await h.call(`${ACC}/${account}/balances`)).status, 429);
    assert.equal((await h.call(`${ACC}/${account}/overdraft-limits`)).status, 200, 'separate endpoint');
    const card = (await h.call(CARDS)).body.data[0].creditCardAccountId;
    assert.equal((await h.call(`${CARDS}/${card}/bills?pagination-key=123-forged`)).status, 200);
    assert.equal((await h.call(`${CARDS}/${card}/bills?pagination-key=123-forged`)).status, 429);
    assert.equal(h.faults.limits.balances, 3);
  });
});
