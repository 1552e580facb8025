import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { absoluteAmount, amountCents, amountNumber, calendarDate, centsText, ID_RE, isoInstant, OfbMappingError, saoPauloDate, stableId } from './values.js';

describe('OFB amounts → Belvo numbers', () => {
  it('parses the documented format exactly, to 2 decimals', () => {
    assert.equal(amountNumber('1000.0400'), 1000.04);
    assert.equal(amountNumber('1000.04'), 1000.04);
    assert.equal(amountNumber('0.10'), 0.1);
    assert.equal(amountNumber('0.20'), 0.2);
    assert.equal(amountNumber('19.99'), 19.99);
    assert.equal(amountNumber('100.00'), 100);
  });

  it('rounds half away from zero on the first dropped digit', () => {
    assert.equal(amountNumber('0.0050'), 0.01);
    assert.equal(amountNumber('0.0049'), 0);
    assert.equal(amountNumber('0.0150'), 0.02);
    assert.equal(amountNumber('2.6750'), 2.68, 'a double would round 2.675 down');
    assert.equal(amountNumber('1.0049'), 1);
    assert.equal(amountNumber('-0.0050'), -0.01);
    assert.equal(amountNumber('-12.3450'), -12.35);
  });

  it('keeps negative values (balances, bill totals) and never yields -0', () => {
    assert.equal(amountNumber('-1500.25'), -1500.25);
    assert.ok(Object.is(amountNumber('-0.0040'), 0));
    assert.ok(Object.is(amountNumber('-0.00'), 0));
    assert.equal(absoluteAmount('-73.5000'), 73.5);
  });

  it('handles the largest documented amounts without drift', () => {
    assert.equal(amountCents('999999999999999.9999'), 100000000000000000n);
    assert.equal(amountCents('123456789012345.6749'), 12345678901234567n);
    assert.equal(centsText(amountCents('123456789012345.6749')), '123456789012345.67');
    assert.equal(amountNumber('90071992547.4099'), 90071992547.41);
    assert.equal(amountNumber('1234567.8900'), 1234567.89);
  });

  it('rejects what is not an amount', () => {
    for (const bad of ['', '1,00', 'abc', '1.2.3', ' ', '--1.00', '1e3', undefined as unknown as string]) {
      assert.throws(() => amountCents(bad), OfbMappingError, String(bad));
    }
  });
});

describe('OFB dates and ids', () => {
  it('gives the São Paulo calendar day of a UTC instant', () => {
    assert.equal(saoPauloDate('2025-06-16T02:59:59.999Z'), '2025-06-15');
    assert.equal(saoPauloDate('2025-06-16T03:00:00.000Z'), '2025-06-16');
    assert.equal(saoPauloDate(new Date('2025-01-01T01:00:00Z')), '2024-12-31');
    // Summer time (UTC-2) still applied in January 2018.
    assert.equal(saoPauloDate('2018-01-15T02:30:00.000Z'), '2018-01-15');
  });

  it('normalises instants and rejects garbage', () => {
    assert.equal(isoInstant('2025-06-15T10:00:00Z'), '2025-06-15T10:00:00.000Z');
    assert.throws(() => isoInstant('15/06/2025'), OfbMappingError);
    assert.throws(() => saoPauloDate('2025-13-45T00:00:00Z'), OfbMappingError);
    assert.equal(calendarDate('2025-02-29'), null);
    assert.equal(calendarDate('2024-02-29'), '2024-02-29');
    assert.equal(calendarDate('0001-01-01'), '0001-01-01');
  });

  it('makes stable ids that fit the OFB/Belvo id pattern and depend on every part', () => {
    const a = stableId('ofbh', ['acc', 'DEBITO', '1000', '2025-06-15T10:00:00.000Z']);
    assert.equal(a, stableId('ofbh', ['acc', 'DEBITO', '1000', '2025-06-15T10:00:00.000Z']));
    assert.match(a, ID_RE);
    assert.notEqual(a, stableId('ofbh', ['acc', 'CREDITO', '1000', '2025-06-15T10:00:00.000Z']));
    assert.notEqual(stableId('p', ['ab', 'c']), stableId('p', ['a', 'bc']));
    // An absent part is absent, whether the bank left it out or sent null.
    assert.equal(stableId('p', [undefined]), stableId('p', [null]));
  });
});
