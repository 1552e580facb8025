import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { retryingDeadlocks } from './deadlock.js';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
const standalone = { isTransaction: false } as Kysely<any>;
const inTransaction = { isTransaction: true } as Kysely<any>;

describe('retryingDeadlocks', () => {
  it('runs a standalone statement again when it lost a deadlock', async () => {
    let calls = 0;
    const result = await retryingDeadlocks(standalone, async () => {
      if (++calls < 3) throw deadlock();
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(calls, 3);
  });

  it('gives up after three attempts', async () => {
    let calls = 0;
    await assert.rejects(retryingDeadlocks(standalone, async () => (calls++, Promise.reject(deadlock()))), { code: '40P01' });
    assert.equal(calls, 3);
  });

  it('never runs again inside a transaction (it is aborted) or for another error', async () => {
    let calls = 0;
    await assert.rejects(retryingDeadlocks(inTransaction, async () => (calls++, Promise.reject(deadlock()))), { code: '40P01' });
    await assert.rejects(retryingDeadlocks(standalone, async () => (calls++, Promise.reject(Object.assign(new Error('x'), { code: '23505' })))), { code: '23505' });
    assert.equal(calls, 2);
  });
});
