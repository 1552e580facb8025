import { isIPv4, isIPv6 } from 'node:net';
import { apiError, type VinculoError } from '../errors.js';

/**
 * Guards against authentication being used to burn the CPU: verifying a password costs one scrypt
 * (~35–90 ms of the libuv thread pool), so failures are counted and callers that fail too often
 * are told to wait (429) before any scrypt runs.
 *
 * All state is in this process (each process of a deployment counts on its own) and bounded.
 */

export interface ThrottleLimits {
  /** Failed checks allowed per client address in `windowMs` (0: no limit). */
  perAddress: number;
  /** Failed checks allowed per key id in `windowMs` (0: no limit). */
  perKey: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = Object.freeze({ perAddress: 10, perKey: 10, windowMs: 60_000 });

/**
 * A sliding-window counter per name: the times of the last failures within the window. At most
 * `maxNames` names are remembered; the one whose last failure is oldest goes first.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxNames = 10_000,
  ) {}

  /** Milliseconds until `name` may try again (0: now). */
  wait(name: string, now: number): number {
    if (this.limit <= 0) return 0;
    const times = this.live(name, now);
    if (!times || times.length < this.limit) return 0;
    // The window frees up when enough of the oldest failures have aged out of it.
    return Math.max(1, times[times.length - this.limit] + this.windowMs - now);
  }

  add(name: string, now: number): void {
    if (this.limit <= 0) return;
    const times = this.live(name, now) ?? [];
    times.push(now);
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    this.hits.delete(name);
    this.hits.set(name, times);
    while (this.hits.size > this.maxNames) this.hits.delete(this.hits.keys().next().value!);
  }

  /** Takes back one failure recorded at `at` (an attempt that turned out to succeed). */
  remove(name: string, at: number): void {
    const times = this.hits.get(name);
    const i = times?.lastIndexOf(at) ?? -1;
    if (i < 0) return;
    times!.splice(i, 1);
    if (!times!.length) this.hits.delete(name);
  }

  get size(): number {
    return this.hits.size;
  }

  private live(name: string, now: number): number[] | undefined {
    const times = this.hits.get(name);
    if (!times) return undefined;
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop] <= from) drop++;
    if (drop) times.splice(0, drop);
    if (!times.length) {
      this.hits.delete(name);
      return undefined;
    }
    return times;
  }
}

/** Belvo's 429 too_many_requests, with Retry-After: what every throttle and limit answers. */
export function throttledError(retryAfterMs: number): VinculoError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return apiError('too_many_requests', `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`, {
    retryAfterSeconds: seconds,
  });
}

/** An attempt that passed the throttle; it counts as a failure unless `succeeded()` is called. */
export interface Attempt {
  succeeded(): void;
}

/**
 * Failed authentications per client address and per key id. An attempt is counted when it starts
 * (so a burst of concurrent attempts cannot all slip in before the first one fails) and taken back
 * if it succeeds.
 */
export class FailureThrottle {
  private readonly byAddress: SlidingWindow;
  private readonly byKey: SlidingWindow;

  constructor(
    limits: ThrottleLimits = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
    maxNames = 10_000,
  ) {
    this.byAddress = new SlidingWindow(limits.perAddress, limits.windowMs, maxNames);
    this.byKey = new SlidingWindow(limits.perKey, limits.windowMs, maxNames);
  }

  /**
   * Starts an attempt: `{ retryAfterMs }` when the address or the key id has failed too often
   * (nothing is counted then), else the attempt. `address` null: counted by key id only.
   */
  begin(address: string | null, keyId: string): Attempt | { retryAfterMs: number } {
    const now = this.now();
    const a = address === null ? null : addressKey(address);
    const k = keyName(keyId);
    const wait = Math.max(a === null ? 0 : this.byAddress.wait(a, now), this.byKey.wait(k, now));
    if (wait > 0) return { retryAfterMs: wait };
    if (a !== null) this.byAddress.add(a, now);
    this.byKey.add(k, now);
    return {
      succeeded: () => {
        if (a !== null) this.byAddress.remove(a, now);
        this.byKey.remove(k, now);
      },
    };
  }
}

/** Key ids are caller-chosen text: bound the memory one name can take. */
const keyName = (id: string) => (id.length > 200 ? id.slice(0, 200) : id);

/**
 * The name an address is counted under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64 (one
 * host usually holds a whole /64, so counting single IPv6 addresses would not limit anybody).
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head, tail] = ip.toLowerCase().split('%')[0].split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:a.b.c.d handled above) counts as two groups.
  const groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * At most `max` password checks at once (the rest wait in turn, at most `maxWaiting` of them), so
 * attempts spread over many addresses still cannot take the whole libuv thread pool (4 threads
 * by default) that file and DNS work share.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs `fn` in turn; null (without running it) when too many are already waiting. */
  async run<T>(fn: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.maxWaiting) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return { value: await fn() };
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
