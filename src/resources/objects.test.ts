import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESOURCE_DEFINITIONS } from './definitions.js';
import { toObject, toObjectJson } from './objects.js';
import type { DataRow, DataRowText } from '../store/queries/link-data.js';

/** jsonb's text form: PostgreSQL prints `{"a": 1, "b": [1, 2]}`, with spaces, keys in its own order. */
const jsonbText = (v: unknown): string => JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ').replace(/\{ /g, '{').replace(/ \}/g, '}').replace(/\[ /g, '[').replace(/ \]/g, ']');

function rows(data: Record<string, unknown>, accountData: Record<string, unknown>): { row: DataRow; text: DataRowText } {
  const at = new Date('2026-12-06T10:11:12.345Z');
  const account: DataRow = { id: '0193a0c0-0000-7000-8000-000000000001', link_id: '0193a0c0-0000-7000-8000-0000000000aa', data: accountData, collected_at: at, created_at: at };
  const row: DataRow = { id: '0193a0c0-0000-7000-8000-000000000002', link_id: account.link_id, data, collected_at: at, created_at: new Date(0), account };
  const text = (r: DataRow): DataRowText => ({ id: r.id, link_id: r.link_id, data: jsonbText(r.data), collected_at: r.collected_at.toISOString(), created_at: r.created_at.toISOString() });
  return { row, text: { ...text(row), account: text(account) } };
}

describe('objects as JSON text (lists)', () => {
  for (const def of RESOURCE_DEFINITIONS) {
    it(`${def.name}: toObjectJson is toObject serialised, same keys in the same order`, () => {
      const data = { value_date: '2026-12-01', amount: 12.5, description: 'Café "Lua" \\ \u2028', nested: { a: [1, 2, { b: null }] }, flag: false };
      const { row, text } = rows(data, { name: 'Cuenta', balance: { current: 1 } });
      const json = toObjectJson(def, text);
      assert.equal(JSON.stringify(JSON.parse(json)), JSON.stringify(toObject(def, row)));
    });
  }

  it('an object with no stored fields is still valid JSON', () => {
    const def = RESOURCE_DEFINITIONS.find((d) => d.name === 'OWNERS')!;
    const { row, text } = rows({}, {});
    assert.deepEqual(JSON.parse(toObjectJson(def, text)), toObject(def, row));
  });
});
