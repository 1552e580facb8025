import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Health } from './health.js';

describe('Health (readiness)', () => {
  const never = () => new Promise<void>(() => {});

  it('ready when every check answers; else names each one that failed, with why', async () => {
    assert.deepEqual(await new Health({ a: async () => 1, b: async () => {} }).readiness(), { ready: true });
    const r = await new Health({ a: async () => {}, b: async () => Promise.reject(new Error('refused')), c: never }, 20).readiness();
    assert.deepEqual(r, { ready: false, failed: ['b', 'c'], errors: { b: 'refused', c: 'no answer within 20 ms' } });
  });

  it('not ready once shutdown has begun, also when it begins while the checks run', async () => {
    const h = new Health({ a: async () => {} });
    h.beginShutdown();
    assert.equal(h.shutdownBegun, true);
    assert.deepEqual(await h.readiness(), { ready: false, failed: ['shutting_down'], errors: {} });

    let answer!: () => void;
    const slow = new Health({ a: () => new Promise<void>((r) => (answer = r)) });
    const pending = slow.readiness();
    slow.beginShutdown();
    answer();
    assert.deepEqual(await pending, { ready: false, failed: ['shutting_down'], errors: {} });
  });
});
