import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric a Vinculo process exposes, on a registry of its own (never prom-client's
 * global one: tests run many servers in one process). Services receive this object and record
 * what they do; the HTTP layer serves it at /metrics (src/http/observability.ts).
 *
 * Counters and histograms are recorded as things happen. The job queue and the store's pool are
 * read when scraped, from the sources given to `observe`, each bounded by `scrapeTimeoutMs`: a
 * source that fails or is slow leaves its gauges empty for that scrape and counts in
 * `vinculo_metrics_source_errors_total`.
 */

/** Jobs of one pg-boss queue (not yet completed, cancelled or failed). */
export interface QueueStats {
  queue: string;
  /** Runnable now (`created` or `retry`, start time reached). */
  waiting: number;
  /** Waiting for a later start time (a retry's backoff, a delayed send). */
  deferred: number;
  active: number;
  /** How long the oldest runnable job has been runnable (0: none). */
  oldestWaitingSeconds: number;
}

/** Connections of the store's pool (PGlite: its one connection). */
export interface PoolStats {
  inUse: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

export interface MetricSources {
  queues?: () => Promise<readonly QueueStats[]>;
  pool?: () => PoolStats;
}

export interface MetricsOptions {
  /** Bound on each scrape-time source (default 1,000 ms). */
  scrapeTimeoutMs?: number;
}

type HttpLabels = 'route' | 'method' | 'status';

/** Latency buckets (seconds) for API requests: a cached GET takes ~1 ms, a first login seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Webhook POSTs: a receiver's answer, up to the delivery timeout (5 s by default). */
const WEBHOOK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  readonly httpRequests = new Counter<HttpLabels>({
    name: 'vinculo_http_requests_total',
    help: 'HTTP requests answered, by route template (unmatched: no route), method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram<HttpLabels>({
    name: 'vinculo_http_request_duration_seconds',
    help: 'Time from receiving a request to having answered it, by route template, method and status.',
    labelNames: ['route', 'method', 'status'],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  readonly refreshOutcomes = new Counter<'kind' | 'institution' | 'result'>({
    name: 'vinculo_refresh_outcomes_total',
    help:
      'Ended first loads (kind=historical) and refreshes (kind=refresh) by institution and result: ' +
      'loaded, refreshed, skipped, invalid, token_required, retry_scheduled, or the error code of a failed attempt.',
    labelNames: ['kind', 'institution', 'result'],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter<'outcome'>({
    name: 'vinculo_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (failed, retry scheduled), failed (for good), skipped (nothing to send), error (the store failed; the job is retried).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly webhookDuration = new Histogram<'outcome'>({
    name: 'vinculo_webhook_delivery_duration_seconds',
    help: "Time a webhook POST took (to the receiver's answer, or to the failure), by outcome.",
    labelNames: ['outcome'],
    buckets: WEBHOOK_BUCKETS,
    registers: [this.registry],
  });

  private readonly sourceErrors = new Counter<'source'>({
    name: 'vinculo_metrics_source_errors_total',
    help: 'Scrapes whose reading of a source (queues, pool) failed or timed out; its gauges are left out of that scrape.',
    labelNames: ['source'],
    registers: [this.registry],
  });

  private sources: MetricSources = {};
  private readonly scrapeTimeoutMs: number;
  private processMetrics = false;

  constructor(options: MetricsOptions = {}) {
    this.scrapeTimeoutMs = options.scrapeTimeoutMs ?? 1000;
    const queues = this.queueSnapshot;
    new Gauge<'queue' | 'state'>({
      name: 'vinculo_job_queue_depth',
      help: 'Jobs per queue: waiting (runnable now), deferred (start time later), active (running).',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of (await queues()) ?? []) {
          this.set({ queue: s.queue, state: 'waiting' }, s.waiting);
          this.set({ queue: s.queue, state: 'deferred' }, s.deferred);
          this.set({ queue: s.queue, state: 'active' }, s.active);
        }
      },
    });
    new Gauge<'queue'>({
      name: 'vinculo_job_queue_oldest_waiting_seconds',
      help: 'Per queue, how long its oldest runnable job has waited to start (0: none waiting).',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of (await queues()) ?? []) this.set({ queue: s.queue }, s.oldestWaitingSeconds);
      },
    });
    const pool = () => this.poolSnapshot();
    const poolGauge = (name: string, help: string, value: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          const s = pool();
          if (s) this.set(value(s));
        },
      });
    poolGauge('vinculo_store_pool_in_use', "The store's connections running a query or holding a transaction (embedded: 0 or 1).", (s) => s.inUse);
    poolGauge('vinculo_store_pool_idle', "The store's open connections not in use.", (s) => s.idle);
    poolGauge('vinculo_store_pool_waiting', 'Queries waiting for a store connection.', (s) => s.waiting);
  }

  /** Where the scrape-time gauges read from (the store's pool, the job queue's tables). */
  observe(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    // Node's own metrics start with the first scrape: prom-client's collectors for them (an
    // event-loop delay monitor, a GC observer) can never be stopped, so a server that is never
    // scraped (every test server) must not start them.
    if (!this.processMetrics) {
      this.processMetrics = true;
      collectDefaultMetrics({ register: this.registry });
    }
    return this.registry.metrics();
  }

  // One reading of the queues per scrape, shared by the gauges that show it.
  private queueRead: Promise<readonly QueueStats[] | null> | null = null;
  private readonly queueSnapshot = (): Promise<readonly QueueStats[] | null> => {
    const source = this.sources.queues;
    if (!source) return Promise.resolve(null);
    if (!this.queueRead) {
      this.queueRead = this.bounded('queues', source).finally(() => setImmediate(() => (this.queueRead = null)));
    }
    return this.queueRead;
  };

  private poolSnapshot(): PoolStats | null {
    try {
      return this.sources.pool?.() ?? null;
    } catch {
      this.sourceErrors.inc({ source: 'pool' });
      return null;
    }
  }

  private async bounded<T>(source: string, read: () => Promise<T>): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), this.scrapeTimeoutMs);
    });
    try {
      return await Promise.race([read(), timeout]);
    } catch {
      this.sourceErrors.inc({ source });
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
