import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildCatalogue, builtInConnectors } from './connectors/registry.js';
import type { Connector } from './connectors/connector.js';
import { buildApp } from './http/app.js';
import { metricsAccess } from './http/observability.js';
import { Institutions } from './institutions/service.js';
import { LinkAccess } from './links/access.js';
import { resetSandboxClocks, SandboxClocks, systemClock } from './clock.js';
import { Audit } from './audit/index.js';
import type { ShutdownStep } from './shutdown.js';
import type { Jobs, Queue } from './jobs/jobs.js';
import { createJobQueue } from './jobs/queue.js';
import { Links } from './links/service.js';
import { Scheduler } from './refresh/scheduler.js';
import { Sandbox } from './sandbox/service.js';
import { Refreshes } from './refresh/service.js';
import { Retention } from './retention/service.js';
import { BackgroundRetrievals } from './resources/background.js';
import { LinkData, type WebhookEmitter } from './resources/service.js';
import { migrate, openStore, type Store, type StoreOptions } from './store/db.js';
import { Tenants } from './tenants/service.js';
import { loadKeyring, Vault } from './vault/index.js';
import { createWidgetService, type WidgetService } from './widget/index.js';
import { TargetPolicy, Webhooks } from './webhooks/index.js';
import { Idempotency } from './idempotency/service.js';
import { createRateLimiter, type RateLimiter } from './rate-limit/buckets.js';
import { Health } from './health.js';
import { Metrics } from './metrics.js';
import { openOfbInstitutions, type OfbInstitutions } from './connectors/ofb/setup.js';
import { ping } from './store/queries/health.js';
import { queueStats } from './store/queries/jobs.js';

export interface Vinculo {
  app: FastifyInstance;
  store: Store;
  services: Services;
  /**
   * Starts the job queue and the scheduler when `deferWorkers` put them off (`npm start` does, to
   * listen first); else they are already started and this resolves at once.
   */
  startWorkers(): Promise<void>;
  /**
   * What stopping this process on a signal does, in order (see src/shutdown.ts): readiness off,
   * the drain pause (VINCULO_SHUTDOWN_DRAIN_SECONDS), the listener, the workers, the store.
   */
  shutdownSteps(): ShutdownStep[];
  /** Readiness (/readyz) turns 503 from now on; `close()` calls it first. */
  beginShutdown(): void;
  /** Runs the shutdown steps at once, without the drain pause (nobody routes traffic to a test server). */
  close(): Promise<void>;
}

export interface Services {
  tenants: Tenants;
  institutions: Institutions;
  links: Links;
  data: LinkData;
  vault: Vault;
  /** Each tenant's virtual clock; null when the sandbox is off (real time only). */
  clock: SandboxClocks | null;
  /** Durable background jobs; started by `createVinculo` (API + workers) or `vinculo worker`. */
  queue: Queue;
  refreshes: Refreshes;
  scheduler: Scheduler;
  sandbox: Sandbox | null;
  /** Webhook endpoints, the outbox (`emit`) and deliveries. */
  webhooks: Webhooks;
  /** Connect widget tokens and the widget page's API. */
  widget: WidgetService;
  /** Who used credentials and keys (the `audit` CLI command reads it). */
  audit: Audit;
  /** `Idempotency-Key` records (issue 11). */
  idempotency: Idempotency;
  /** Requests per secret key (VINCULO_RATE_LIMIT); null when off. */
  rateLimiter: RateLimiter | null;
  /** Prometheus metrics that the services record (served at /metrics). */
  metrics: Metrics;
  /** The Open Finance Brasil institutions (the operator's banks, the sandbox bank); `close` ends their clients and the sandbox bank. */
  ofb: OfbInstitutions;
  /** Readiness checks (the store, the job queue) and the shutdown flag (/readyz). */
  health: Health;
}

export interface VinculoOptions {
  config: Config;
  logger?: FastifyBaseLogger;
  /** Overrides the store chosen by config (tests: in-memory PGlite or a per-run database). */
  store?: StoreOptions;
  connectors?: readonly Connector[];
  warn?: (message: string) => void;
  /** Run background workers in this process (default true; false for an API-only process). */
  workers?: boolean;
  /** Where the services record metrics (default: a new registry of this server's own). */
  metrics?: Metrics;
  /**
   * Leave the job queue and the scheduler to `startWorkers()` (`npm start`: after the listener is
   * up, so the first request need not wait for them). Jobs sent meanwhile wait for the queue.
   */
  deferWorkers?: boolean;
  /**
   * The sandbox OFB bank on PostgreSQL: 'start' (default) starts it here at its first use and
   * records it in the store; 'reuse' (`vinculo worker`, which serves no API) never starts one and
   * uses the recorded bank. The embedded store always starts its own (one process).
   */
  ofbSandboxBank?: 'start' | 'reuse';
  /** Where this process listens (`http://localhost:<port>`), once it does: the sandbox OFB bank's default callback. */
  listeningOn?: () => string | null;
}

export function storeOptions(config: Config, owner: string): StoreOptions {
  return config.databaseUrl
    ? {
        kind: 'postgres',
        url: config.databaseUrl,
        timeouts: { connectMs: config.dbConnectTimeoutSeconds * 1000, statementMs: config.dbStatementTimeoutSeconds * 1000 },
      }
    : { kind: 'embedded', dataDir: config.dataDir, owner };
}

/** Opens the store and wires the services that the API and the CLI share. */
export async function openServices(options: VinculoOptions, owner = 'vinculo server') {
  const { config } = options;
  const log = (err: unknown, message: string) => {
    if (options.logger) options.logger.error({ err }, message);
    else console.error(message, err);
  };
  const store = await openStore(options.store ?? storeOptions(config, owner));
  try {
    await migrate(store.db);
    const vault = new Vault(
      loadKeyring({
        masterKey: config.masterKey ?? undefined,
        previousKeys: [...config.previousMasterKeys],
        dataDir: config.dataDir,
        production: config.production,
        warn: options.warn ?? ((m) => process.emitWarning(m)),
      }),
    );
    if (config.production && config.sandbox) {
      (options.warn ?? ((m) => process.emitWarning(m)))(
        'VINCULO_SANDBOX is on under NODE_ENV=production: any API key can move its clock, take institutions down and fire webhooks',
      );
    }
    // With the sandbox off every tenant lives on real time: the scheduler's SQL adds the stored
    // offsets, so clocks a sandbox moved earlier are put back rather than left running ahead.
    if (!config.sandbox) await resetSandboxClocks(store.db);
    const clock = config.sandbox ? new SandboxClocks(store.db) : null;
    const now = clock ?? systemClock;
    const metrics = options.metrics ?? new Metrics();
    const queue: Queue = createJobQueue<Jobs>(store, {
      pollSeconds: config.jobPollSeconds,
      workers: options.workers ?? true,
      // A dead worker's jobs come back after their timeout; maintenance notices within a minute.
      maintenanceSeconds: Math.min(60, config.jobTimeoutSeconds),
      onError: (err, job) => log(err, job ? `job ${job.name} ${job.id} failed` : 'job queue error'),
      // The retention's bounded deletes run first; pg-boss's own (one statement) only backs them up.
      archiveDays: config.jobRetentionDays + 1,
    });
    const audit = new Audit(store.db, options.logger);
    const tenants = new Tenants(store.db, {
      throttle: { perAddress: config.authFailuresPerAddress, perKey: config.authFailuresPerKey, windowMs: 60_000 },
      audit,
    });
    // One sandbox OFB bank per database: on PostgreSQL the process that starts it records it, and
    // a process that serves no API (`vinculo worker`) reuses it. The embedded store is one process.
    const shared = store.kind === 'postgres';
    const ofb = await openOfbInstitutions(config, {
      redirectUri: () => `${config.publicUrl ?? options.listeningOn?.() ?? `http://localhost:${config.port}`}/ofb/callback`,
      sandboxBank: shared ? (options.ofbSandboxBank ?? 'start') : 'start',
      store: shared ? { db: store.db, vault, owner } : undefined,
    });
    // Production answers no sandbox institution unless the operator asks for them.
    const connectors = options.connectors ?? [...(config.sandboxInstitutions ? builtInConnectors : []), ...(ofb.connector ? [ofb.connector] : [])];
    const institutions = new Institutions(store.db, buildCatalogue(connectors));
    await institutions.sync(config.sandboxDown);
    const access = new LinkAccess(store.db, vault, institutions, { mfaSessionTtl: config.mfaSessionTtl }, now);
    const targetPolicy = new TargetPolicy({ production: config.production, allow: config.webhookAllow });
    const webhooks = new Webhooks({ store, vault, clock: now, targetPolicy, logger: options.logger, metrics });
    webhooks.registerJobs(queue);
    const webhookOutbox: WebhookEmitter = webhooks;
    // Async retrievals (202) are jobs: any worker finishes them, even if this process dies.
    const retrievals = new BackgroundRetrievals(access, vault, queue, { jobTimeoutSeconds: config.jobTimeoutSeconds, log });
    const data = new LinkData(access, retrievals, audit, webhookOutbox);
    retrievals.registerJobs(data);
    const refreshes = new Refreshes(access, data, webhookOutbox, queue, now, audit, { jobTimeoutSeconds: config.jobTimeoutSeconds, metrics });
    refreshes.registerJobs();
    const links = new Links(access, audit, refreshes, undefined, options.logger);
    const retention = new Retention(store.db, {
      webhookDays: config.webhookRetentionDays,
      jobDays: config.jobRetentionDays,
      auditDays: config.auditRetentionDays,
      jobSchema: queue.schema,
      onError: (err, step) => log(err, `retention of ${step} failed`),
    });
    const scheduler = new Scheduler(store.db, queue, [webhooks], { abandonedLinkMs: config.unconfirmedLinkDays * 86_400_000, retention });
    const sandbox = clock ? new Sandbox(access, institutions, refreshes, scheduler, clock, webhookOutbox) : null;
    if (config.bootstrapKey) await tenants.ensureKey(config.bootstrapKey.id, config.bootstrapKey.password);
    const widget = createWidgetService({ db: store.db, vault, tenants, links, institutions });
    metrics.observe({ pool: () => store.poolStats(), queues: () => queueStats(store.db, queue.schema) });
    const health = new Health({ store: () => ping(store.db), queue: () => queue.ping() });
    const idempotency = new Idempotency(store.db, vault);
    const rateLimiter = createRateLimiter(store, config.rateLimit);
    const services: Services = {
      tenants, institutions, links, data, vault, clock, queue, refreshes, scheduler, sandbox, webhooks, widget, audit, metrics, health,
      idempotency,
      rateLimiter,
      ofb,
    };
    return { store, services };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Starts the job queue and, unless this is an API-only process, the scheduler's passes. */
export async function startWorkers(options: VinculoOptions, services: Services): Promise<void> {
  await services.queue.start();
  if (options.workers === false) return;
  await services.webhooks.start();
  const log = options.logger ?? { error: (o: unknown, m: string) => console.error(m, o) };
  services.scheduler.start(Math.max(1000, options.config.jobPollSeconds * 1000), (err) => log.error({ err }, 'scheduler pass failed'));
}

/**
 * The listener stops accepting; requests in flight finish. Keep-alive connections are closed as
 * soon as they are idle (not only those idle when the close began), or one client's pooled
 * connection would hold the shutdown until its keep-alive timeout.
 */
export function closeListener(app: FastifyInstance, name = 'in-flight requests'): ShutdownStep {
  return {
    name,
    run: async () => {
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  };
}

/** Stopping the background work of a process (API with workers, or `vinculo worker`). */
export function workerSteps(services: Services): ShutdownStep[] {
  return [
    { name: 'scheduler', run: () => services.scheduler.stop() },
    // Running jobs finish (or are failed, to be retried elsewhere); nothing new is fetched.
    { name: 'jobs', run: () => services.queue.stop() },
    { name: 'webhook deliveries', run: () => services.webhooks.stop() },
    { name: 'open finance clients', run: () => services.ofb.close() },
  ];
}

export async function createVinculo(options: VinculoOptions): Promise<Vinculo> {
  let listening: string | null = null;
  const { store, services } = await openServices({ listeningOn: () => listening, ...options });
  const log = options.logger ?? { error: (o: unknown, m: string) => console.error(m, o) };
  // Revocations committed by any process (the CLI, another server) reach this one's cache at once.
  await services.tenants.listenForRevocations(store, (err) => log.error({ err }, 'key revocation listener failed'));
  // Links answered by GET /api/links/{id}/ are kept while every process's changes to them are heard.
  await services.links.cache.listen(store, (err) => log.error({ err }, 'link change listener failed'));
  const { config } = options;
  const app = await buildApp(services, {
    metricsAccess: metricsAccess(config),
    logger: options.logger,
    trustProxy: config.trustProxy,
    timeouts: { requestSeconds: config.requestTimeoutSeconds, connectionSeconds: config.connectionTimeoutSeconds },
  });
  app.server.once('listening', () => {
    const address = app.server.address();
    if (address && typeof address === 'object') listening = `http://localhost:${address.port}`;
  });
  let workersStarted: Promise<void> | null = null;
  const startAll = () => (workersStarted ??= startWorkers(options, services));
  if (!options.deferWorkers) await startAll();
  const steps = (drainSeconds: number): ShutdownStep[] => [
    // /readyz answers 503 from now on: a load balancer stops sending before anything stops.
    { name: 'readiness', run: async () => services.health.beginShutdown() },
    // ...and has VINCULO_SHUTDOWN_DRAIN_SECONDS to notice, while requests are still answered.
    ...(drainSeconds > 0 ? [{ name: 'drain', run: () => sleep(drainSeconds * 1000) }] : []),
    closeListener(app),
    ...workerSteps(services),
    { name: 'revocation listener', run: () => services.tenants.stopListening() },
    { name: 'link change listener', run: () => services.links.cache.stop() },
    { name: 'store', run: () => store.close() },
  ];
  return {
    app,
    store,
    services,
    shutdownSteps: () => steps(config.shutdownDrainSeconds),
    startWorkers: startAll,
    beginShutdown: () => services.health.beginShutdown(),
    async close() {
      for (const step of steps(0)) await step.run();
    },
  };
}
