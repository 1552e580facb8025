/**
 * Failure injection for the mock resource servers: forced error statuses, latency, and the
 * monthly operational limits that make a real bank answer 429.
 *
 * Operational limits — source: OFB "limites operacionais" as summarised by Belvo
 * (https://developers.belvo.com/products/aggregation_brazil/aggregation-brazil-data-retrieval-limits;
 * the normative table lives on OFB's Confluence and should be re-checked; see ../../spec/README.md): per customer + API + client per calendar month, registration data ("owners") 4,
 * accounts 4, balances/limits 240, transactions 4 for long windows and 240 for windows of at most
 * 7 days (D-6). The YAMLs only define the 429 answer, no numbers.
 * Counting (our reading): one counter per consent, endpoint and resource (accountId/card id), per
 * São Paulo calendar month; calls carrying a valid `pagination-key` are not counted (the
 * parameter's documented purpose); calls refused before the data is served are not counted.
 * Unlisted endpoints (bills, resources) are our choice — see DEFAULT_LIMITS.
 */

export type FaultStatus = 423 | 429 | 500 | 504 | 529;

export interface Fault {
  status: FaultStatus;
  /** How many requests it hits, then it clears itself; unlimited when absent. */
  times?: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
}

export interface OperationalLimits {
  /** Each customers endpoint (identifications, qualifications, financial-relations). */
  customers: number;
  /** Accounts / card accounts: list and by-id. */
  accounts: number;
  /** Balances, overdraft limits, card limits. */
  balances: number;
  /** Transactions with a window longer than `shortWindowMaxSpanDays`. */
  transactions: number;
  /** Transactions (and transactions-current) with a short window. */
  transactionsShortWindow: number;
  /** Largest `to - from` (days) that is still a short window: 6 = D-6..D0, the 7 days of `-current`. */
  shortWindowMaxSpanDays: number;
  /** Card bills and bill transactions (not in the cited table: our choice, like accounts). */
  bills: number;
  /** Resources API (not in the cited table: unlimited by default). */
  resources: number;
}

export const DEFAULT_LIMITS: Readonly<OperationalLimits> = Object.freeze({
  customers: 4,
  accounts: 4,
  balances: 240,
  transactions: 4,
  transactionsShortWindow: 240,
  shortWindowMaxSpanDays: 6,
  bills: 4,
  resources: Number.POSITIVE_INFINITY,
});

export type LimitClass = Exclude<keyof OperationalLimits, 'shortWindowMaxSpanDays'>;

export interface Faults {
  /** Forces `fault` on every request of a consent (`'*'`: all consents; a consent's own fault wins). */
  set(target: string, fault: Fault): void;
  /** Removes one target's fault, or all. */
  clear(target?: string): void;
  /** Adds `ms` of latency to every answer (0 turns it off). */
  slow(ms: number): void;
  readonly delayMs: number;
  /** Changes limits (e.g. `{ accounts: Infinity }` to switch one off). */
  setLimits(limits: Partial<OperationalLimits>): void;
  readonly limits: Readonly<OperationalLimits>;
  /** Counters `"<consent> <endpoint> <resource> <class> <YYYY-MM>" → calls`, optionally for one consent. */
  usage(consentId?: string): Record<string, number>;
  resetCounters(): void;
  /** Internal: the fault to apply to this consent's request now (consumes one `times`). */
  take(consentId: string): Fault | null;
  /**
   * Internal: counts one call; returns false (and does not count) when the limit is reached.
   * `month` is `YYYY-MM`.
   */
  count(key: { consentId: string; endpoint: string; resource: string; cls: LimitClass; month: string }): boolean;
}

export function createFaults(limits: Partial<OperationalLimits> = {}): Faults {
  const forced = new Map<string, Fault & { left: number }>();
  const counters = new Map<string, number>();
  let delay = 0;
  let current: OperationalLimits = { ...DEFAULT_LIMITS, ...limits };
  return {
    set(target, fault) {
      forced.set(target, { ...fault, left: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clear(target) {
      if (target === undefined) forced.clear();
      else forced.delete(target);
    },
    slow(ms) {
      delay = Math.max(0, ms);
    },
    get delayMs() {
      return delay;
    },
    setLimits(l) {
      current = { ...current, ...l };
    },
    get limits() {
      return current;
    },
    usage(consentId) {
      const out: Record<string, number> = {};
      for (const [k, v] of counters) if (consentId === undefined || k.startsWith(`${consentId} `)) out[k] = v;
      return out;
    },
    resetCounters() {
      counters.clear();
    },
    take(consentId) {
      for (const target of [consentId, '*']) {
        const f = forced.get(target);
        if (!f) continue;
        f.left--;
        if (f.left <= 0) forced.delete(target);
        return { status: f.status, ...(f.retryAfter !== undefined ? { retryAfter: f.retryAfter } : {}) };
      }
      return null;
    },
    count({ consentId, endpoint, resource, cls, month }) {
      const key = `${consentId} ${endpoint} ${resource || '-'} ${cls} ${month}`;
      const n = counters.get(key) ?? 0;
      if (n >= current[cls]) return false;
      counters.set(key, n + 1);
      return true;
    },
  };
}
