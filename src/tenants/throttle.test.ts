import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, ConcurrencyLimit, FailureThrottle, SlidingWindow } from './throttle.js';

describe('tenants: authentication throttle', () => {
  it('a sliding window: the limit-th failure blocks until the oldest ages out', () => {
    const w = new SlidingWindow(3, 60_000);
    w.add('a', 0);
    w.add('a', 10_000);
    assert.equal(w.wait('a', 10_000), 0);
    w.add('a', 20_000);
    assert.equal(w.wait('a', 20_000), 40_000, 'until the failure at 0 leaves the window');
    assert.equal(w.wait('a', 59_999), 1);
    assert.equal(w.wait('a', 60_000), 0);
    assert.equal(w.wait('b', 20_000), 0, 'other names are not affected');
  });

  it('remembers a bounded number of names, dropping the stalest', () => {
    const w = new SlidingWindow(1, 60_000, 3);
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) w.add(name, i);
    assert.equal(w.size, 3);
    assert.equal(w.wait('a', 10), 0, 'a was dropped');
    assert.ok(w.wait('d', 10) > 0);
  });

  it('counts an attempt when it starts and takes it back when it succeeds', () => {
    let now = 1_000;
    const t = new FailureThrottle({ perAddress: 2, perKey: 100, windowMs: 60_000 }, () => now);
    const first = t.begin('10.0.0.1', 'k1');
    const second = t.begin('10.0.0.1', 'k2');
    assert.ok('succeeded' in first && 'succeeded' in second);
    // Two in flight: a third concurrent attempt is refused before either has finished.
    const third = t.begin('10.0.0.1', 'k3');
    assert.deepEqual(third, { retryAfterMs: 60_000 });
    first.succeeded();
    assert.ok('succeeded' in t.begin('10.0.0.1', 'k4'));
    now += 60_000;
    assert.ok('succeeded' in t.begin('10.0.0.1', 'k5'), 'the window slid');
  });

  it('counts per key id whatever the address, and a null address by key id only', () => {
    const t = new FailureThrottle({ perAddress: 100, perKey: 2, windowMs: 60_000 }, () => 0);
    t.begin('10.0.0.1', 'victim');
    t.begin(null, 'victim');
    assert.ok('retryAfterMs' in t.begin('10.9.9.9', 'victim'));
    assert.ok('succeeded' in t.begin('10.9.9.9', 'other'));
  });

  it('0 turns a limit off', () => {
    const t = new FailureThrottle({ perAddress: 0, perKey: 0, windowMs: 60_000 }, () => 0);
    for (let i = 0; i < 100; i++) assert.ok('succeeded' in t.begin('10.0.0.1', 'k'));
  });

  it('counts IPv6 clients by their /64, IPv4-mapped ones as IPv4', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(addressKey('10.1.2.3'), '10.1.2.3');
  });

  it('runs at most `max` checks at once, queues a few, refuses the rest', async () => {
    const limit = new ConcurrencyLimit(2, 1);
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const job = () =>
      new Promise<number>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        gates.push(() => {
          running--;
          resolve(running);
        });
      });
    const a = limit.run(job);
    const b = limit.run(job);
    const c = limit.run(job);
    assert.equal(await limit.run(job), null, 'a fourth has no room to wait');
    assert.equal(gates.length, 2);
    gates.shift()!();
    await a;
    await new Promise((r) => setImmediate(r));
    assert.equal(gates.length, 2, 'the waiting one took the freed slot');
    while (gates.length) gates.shift()!();
    await Promise.all([b, c]);
    assert.equal(peak, 2);
  });
});
