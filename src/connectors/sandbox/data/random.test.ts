import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dayNumber, isoDate, monthEnd, monthIndex, parseIsoDate, previousBusinessDay, weekday, ymd } from './calendar.js';
import { clabe, cpf, cpfValid, curp, curpCheckDigit, luhnValid, nss } from './documents.js';
import { Rng, rng, rootSeed } from './random.js';

describe('sandbox PRNG', () => {
  it('is a pure function of its seed and keys', () => {
    const seed = rootSeed('bank', 'erebor_mx_retail', 'alice');
    const a = rng(seed, 3, 1, 20_000);
    const b = rng(seed, 3, 1, 20_000);
    const xs = Array.from({ length: 50 }, () => a.u32());
    assert.deepEqual(Array.from({ length: 50 }, () => b.u32()), xs);
    assert.notDeepEqual(Array.from({ length: 50 }, () => rng(seed, 3, 1, 20_001).u32()), xs, 'next day differs');
    assert.notDeepEqual(rootSeed('bank', 'erebor_mx_retail', 'bob'), seed, 'other user differs');
  });

  it('is roughly uniform and its helpers stay in range', () => {
    const r = new Rng(1, 2, 3, 4);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) buckets[Math.floor(r.next() * 10)]++;
    for (const n of buckets) assert.ok(n > 1700 && n < 2300, `bucket ${n}`);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 7);
      assert.ok(n >= 3 && n <= 7 && Number.isInteger(n));
    }
    assert.match(r.digits(23), /^\d{23}$/);
    const mean = Array.from({ length: 5000 }, () => r.poisson(2.5)).reduce((s, x) => s + x, 0) / 5000;
    assert.ok(Math.abs(mean - 2.5) < 0.15, `poisson mean ${mean}`);
  });
});

describe('sandbox calendar', () => {
  it('converts day numbers without Date and agrees with Date', () => {
    for (let day = dayNumber(1960, 1, 1); day < dayNumber(2060, 1, 1); day += 37) {
      const d = new Date(day * 86_400_000);
      assert.deepEqual(ymd(day), { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
      assert.equal(isoDate(day), d.toISOString().slice(0, 10));
    }
    assert.equal(parseIsoDate('2024-02-29'), dayNumber(2024, 2, 29));
    assert.equal(parseIsoDate('2024-2-29'), undefined);
    assert.equal(isoDate(monthEnd(monthIndex(2024, 2))), '2024-02-29');
  });

  it('moves weekend paydays back to Friday', () => {
    const saturday = dayNumber(2025, 3, 15);
    assert.equal(weekday(saturday), 6);
    assert.equal(isoDate(previousBusinessDay(saturday)), '2025-03-14');
  });
});

describe('sandbox documents', () => {
  it('computes CLABE check digits (weights 3, 7, 1)', () => {
    // A published example CLABE: 002010077777777771.
    assert.equal(clabe('002', '010', '07777777777'), '002010077777777771');
  });

  it('generates CPFs with valid check digits and validates them', () => {
    assert.ok(cpfValid('529.982.247-25'));
    assert.ok(!cpfValid('529.982.247-26'));
    assert.ok(!cpfValid('111.111.111-11'));
    const r = new Rng(9, 9, 9, 9);
    for (let i = 0; i < 50; i++) assert.ok(cpfValid(cpf(r)));
  });

  it('builds CURPs from name, birth date, sex and state with RENAPO check digit', () => {
    const r = new Rng(5, 6, 7, 8);
    const c = curp({ first: 'Laura', paternal: 'Martínez', maternal: 'Ortiz' }, { year: 1985, month: 3, day: 12 }, 'M', 'DF', r);
    assert.match(c, /^MAOL850312MDFRRR\d\d$/);
    assert.equal(c[17], curpCheckDigit(c.slice(0, 17)));
    // python-stdnum's documented example CURP, BOXW310820HNERXN09.
    assert.equal(curpCheckDigit('BOXW310820HNERXN0'), '9');
  });

  it('gives NSS numbers a Luhn check digit', () => {
    const r = new Rng(1, 1, 2, 3);
    for (let i = 0; i < 20; i++) {
      const n = nss(r, 2008, 1985);
      assert.match(n, /^\d{2}0885\d{5}$/);
      assert.ok(luhnValid(n));
    }
  });
});
