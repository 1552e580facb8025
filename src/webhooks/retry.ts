/** First retry 30 s after the first failed attempt, doubling, at most 6 h apart; for 24 h. */
export const RETRY = { firstMs: 30_000, maxMs: 6 * 3600_000, windowMs: 24 * 3600_000 } as const;

/** The delay after the `failures`-th failed attempt (1-based). */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY.maxMs, RETRY.firstMs * 2 ** Math.min(failures - 1, 20));
}
