import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/db.js';
import { rateLimitTokens, takeRateLimitToken } from '../store/queries/rate-limit.js';

/**
 * Requests per secret key: a token bucket per key that holds `burst` tokens (twice the rate, at
 * least one) and refills at `rate` tokens a second; each request takes one, a request that finds
 * less than one is refused. On PostgreSQL the buckets are rows every API process shares (one
 * atomic statement per request, see store/queries/rate-limit.ts); on the embedded store, which is
 * single-process, a Map.
 */
export interface RateLimitTake {
  allowed: boolean;
  /** The bucket's size: requests that may be sent at once (RateLimit-Limit). */
  limit: number;
  /** Whole tokens left (RateLimit-Remaining). */
  remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** When refused: milliseconds until a token is there again. */
  retryAfterMs: number;
}

export interface RateLimiter {
  readonly rate: number;
  take(keyId: string): Promise<RateLimitTake>;
}

export const burstOf = (rate: number) => Math.max(1, 2 * rate);

function answer(allowed: boolean, tokens: number, rate: number, burst: number): RateLimitTake {
  return {
    allowed,
    limit: Math.floor(burst),
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.max(0, Math.ceil((burst - tokens) / rate)),
    retryAfterMs: allowed ? 0 : Math.ceil(((1 - tokens) / rate) * 1000),
  };
}

/** PostgreSQL: one bucket row per key, shared by every process (table rate_limit_buckets). */
export class SharedBuckets implements RateLimiter {
  private readonly burst: number;

  constructor(
    private readonly db: Kysely<Database>,
    readonly rate: number,
  ) {
    this.burst = burstOf(rate);
  }

  async take(keyId: string): Promise<RateLimitTake> {
    const left = await takeRateLimitToken(this.db, keyId, this.rate, this.burst);
    if (left !== null) return answer(true, left, this.rate, this.burst);
    return answer(false, await rateLimitTokens(this.db, keyId, this.rate, this.burst), this.rate, this.burst);
  }
}

/** In this process (the embedded store): at most `maxKeys` buckets, full ones forgotten first. */
export class LocalBuckets implements RateLimiter {
  private readonly burst: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 10_000,
  ) {
    this.burst = burstOf(rate);
  }

  async take(keyId: string): Promise<RateLimitTake> {
    const now = this.now();
    const b = this.buckets.get(keyId) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate);
    b.at = now;
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    // Re-inserted: the Map's order is then least recently used first.
    this.buckets.delete(keyId);
    this.buckets.set(keyId, b);
    if (this.buckets.size > this.maxKeys) this.prune(now);
    return answer(allowed, b.tokens, this.rate, this.burst);
  }

  /** Forgets buckets that have refilled (they equal a new one), then the least recently used. */
  private prune(now: number): void {
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(id);
    }
    for (const id of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys * 0.9) break;
      this.buckets.delete(id);
    }
  }
}

/** The limiter for `store` at `rate` requests a second per key (null: no limit). */
export function createRateLimiter(store: Store, rate: number | null): RateLimiter | null {
  if (rate === null) return null;
  return store.kind === 'postgres' ? new SharedBuckets(store.db, rate) : new LocalBuckets(rate);
}
