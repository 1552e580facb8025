import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidv7 } from './ids.js';

describe('uuidv7', () => {
  it('is a valid version-7 RFC 9562 uuid', () => {
    const id = uuidv7();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    assert.ok(Math.abs(ms - Date.now()) < 5_000);
  });

  it('sorts in creation order, also many within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });
});
