import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { afterMonthly, firstMonthly, MONTHLY_MAX_ATTEMPTS, nextSlot, REFRESH_PERIODS, retryAfterDown, slotOf } from './schedule.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

/** Every bucket's count within ±10 % of the mean. */
function assertEven(counts: number[], what: string): void {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  for (const [i, c] of counts.entries()) {
    assert.ok(Math.abs(c - mean) <= mean * 0.1, `${what}: bucket ${i} has ${c}, mean ${mean.toFixed(0)}`);
  }
}

describe('refresh schedule', () => {
  it('keeps a link on its slot: the next refresh is one period after the last', () => {
    for (const [rate, period] of Object.entries(REFRESH_PERIODS)) {
      const id = randomUUID();
      const first = nextSlot(id, period, NOW);
      assert.ok(first > NOW && first.getTime() - NOW.getTime() <= period * 1000, rate);
      const second = nextSlot(id, period, first);
      assert.equal(second.getTime() - first.getTime(), period * 1000, rate);
      assert.equal((first.getTime() / 1000) % period, slotOf(id, period));
    }
  });

  it('spreads 100,000 links per rate uniformly (each 10-minute bucket of 6h within ±10 %)', () => {
    const links = ids(100_000);
    for (const [rate, period] of Object.entries(REFRESH_PERIODS)) {
      const buckets = rate === '6h' ? period / 600 : 24;
      const counts = new Array(buckets).fill(0);
      for (const id of links) {
        const offset = (nextSlot(id, period, NOW).getTime() / 1000) % period;
        counts[Math.floor((offset / period) * buckets)]++;
      }
      assertEven(counts, rate);
    }
  });

  it('30d: 100,000 links land only on days 1–20, each day within ±10 % of the mean', () => {
    const counts = new Array(20).fill(0);
    for (const id of ids(100_000)) {
      const { at, day } = firstMonthly(id, NOW);
      assert.ok(at > NOW);
      assert.equal(at.getUTCDate(), day);
      counts[at.getUTCDate() - 1]++;
    }
    assertEven(counts, '30d days');
  });

  it('30d: nothing is first scheduled after the 20th — a day already past goes to next month', () => {
    const late = new Date('2026-11-25T00:00:00Z');
    const plan = firstMonthly('x', late, () => 7);
    assert.equal(plan.at.toISOString().slice(0, 10), '2026-12-07');
    const ahead = firstMonthly('x', new Date('2026-11-02T00:00:00Z'), () => 7);
    assert.equal(ahead.at.toISOString().slice(0, 10), '2026-11-07');
  });

  it('30d: a success keeps the day; failures retry daily up to 6 attempts, then a new day next month', () => {
    const id = randomUUID();
    const onDay = new Date('2026-11-07T03:00:00Z');
    const ok = afterMonthly(id, { day: 7, attempts: 0 }, onDay, true);
    assert.deepEqual([ok.at.toISOString().slice(0, 10), ok.day, ok.attempts], ['2026-12-07', 7, 0]);

    let state = { day: 7, attempts: 0 };
    let when = onDay;
    for (let i = 1; i < MONTHLY_MAX_ATTEMPTS; i++) {
      const next = afterMonthly(id, state, when, false);
      assert.equal(next.attempts, i);
      assert.equal(next.at.getUTCDate(), when.getUTCDate() + 1);
      state = { day: next.day!, attempts: next.attempts };
      when = next.at;
    }
    const giveUp = afterMonthly(id, state, when, false, () => 3);
    assert.deepEqual([giveUp.at.toISOString().slice(0, 10), giveUp.day, giveUp.attempts], ['2026-12-03', 3, 0]);

    // A retry that succeeds by the 20th makes its day the sticky one; after the 20th, a new random day.
    const retryOk = afterMonthly(id, { day: 7, attempts: 2 }, new Date('2026-11-09T03:00:00Z'), true);
    assert.equal(retryOk.day, 9);
    const lateOk = afterMonthly(id, { day: 19, attempts: 3 }, new Date('2026-11-22T03:00:00Z'), true, () => 4);
    assert.deepEqual([lateOk.at.toISOString().slice(0, 10), lateOk.day], ['2026-12-04', 4]);
  });

  it('backs off after an institution outage, never past one period', () => {
    assert.equal(retryAfterDown(0, 21600, NOW).getTime() - NOW.getTime(), 300_000);
    assert.equal(retryAfterDown(3, 21600, NOW).getTime() - NOW.getTime(), 2_400_000);
    assert.equal(retryAfterDown(30, 21600, NOW).getTime() - NOW.getTime(), 21_600_000);
  });
});
