/**
 * Manual redeliveries per endpoint: a token bucket of REDELIVERY_LIMIT that refills over a
 * minute. A redelivery makes the server send a request at the tenant's say-so, so without a limit
 * one endpoint could turn the server into a request cannon (or a timing probe). The buckets live
 * in this process: with N API processes behind a balancer the limit is at most N times higher.
 */
export const REDELIVERY_LIMIT = { perMinute: 10 } as const;

const REFILL_MS = 60_000 / REDELIVERY_LIMIT.perMinute;

export class RedeliveryLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one redelivery for `endpointId`: 0 if allowed, otherwise the seconds until one is. */
  take(endpointId: string): number {
    const now = this.now();
    const b = this.buckets.get(endpointId) ?? { tokens: REDELIVERY_LIMIT.perMinute, at: now };
    b.tokens = Math.min(REDELIVERY_LIMIT.perMinute, b.tokens + (now - b.at) / REFILL_MS);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(endpointId, b);
      return Math.max(1, Math.ceil(((1 - b.tokens) * REFILL_MS) / 1000));
    }
    b.tokens -= 1;
    this.buckets.set(endpointId, b);
    if (this.buckets.size > 10_000) this.prune(now);
    return 0;
  }

  /** Forgets buckets that have refilled (they equal a fresh one). */
  private prune(now: number): void {
    for (const [id, b] of this.buckets) {
      if (b.tokens + (now - b.at) / REFILL_MS >= REDELIVERY_LIMIT.perMinute) this.buckets.delete(id);
    }
  }
}
