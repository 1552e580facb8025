import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildCatalogue, builtInConnectors } from './connectors/registry.js';
import type { Connector } from './connectors/connector.js';
import { buildApp } from './http/app.js';
import { metricsAccess } from './http/observability.js';
import { Institutions } from './institutions/service.js';
import { LinkAccess } from './links/access.js';
import { SandboxClocks, systemClock } from './clock.js';
import { InlineTasks } from './jobs/inline-tasks.js';
import type { Jobs, Queue } from './jobs/jobs.js';
import { createJobQueue } from './jobs/queue.js';
import { Links } from './links/service.js';
import { Scheduler } from './refresh/scheduler.js';
import { Sandbox } from './sandbox/service.js';
import { Refreshes } from './refresh/service.js';
import { LinkData, type WebhookEmitter } from './resources/service.js';
import { migrate, openStore, type Store, type StoreOptions } from './store/db.js';
import { Tenants } from './tenants/service.js';
import { loadKeyring, Vault } from './vault/index.js';
import { createWidgetService, type WidgetService } from './widget/index.js';
import { TargetPolicy, Webhooks } from './webhooks/index.js';
import { Health } from './health.js';
import { Metrics } from './metrics.js';
import { ping } from './store/queries/health.js';
import { queueStats } from './store/queries/jobs.js';

export interface Vinculo {
  app: FastifyInstance;
  store: Store;
  services: Services;
  /** Readiness (/readyz) turns 503 from now on; `close()` calls it first. */
  beginShutdown(): void;
  close(): Promise<void>;
}

export interface Services {
  tenants: Tenants;
  institutions: Institutions;
  links: Links;
  data: LinkData;
  vault: Vault;
  /** Work answered before it is done (async retrievals); drained before the store closes. */
  tasks: InlineTasks;
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
  /** Prometheus metrics that the services record (served at /metrics). */
  metrics: Metrics;
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
}

export function storeOptions(config: Config, owner: string): StoreOptions {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl }
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
    const clock = config.sandbox ? new SandboxClocks(store.db) : null;
    const now = clock ?? systemClock;
    const metrics = options.metrics ?? new Metrics();
    const queue: Queue = createJobQueue<Jobs>(store, {
      pollSeconds: config.jobPollSeconds,
      workers: options.workers ?? true,
      // A dead worker's jobs come back after their timeout; maintenance notices within a minute.
      maintenanceSeconds: Math.min(60, config.jobTimeoutSeconds),
      onError: (err, job) => log(err, job ? `job ${job.name} ${job.id} failed` : 'job queue error'),
    });
    const tenants = new Tenants(store.db, {
      throttle: { perAddress: config.authFailuresPerAddress, perKey: config.authFailuresPerKey, windowMs: 60_000 },
    });
    // Production answers no sandbox institution unless the operator asks for them.
    const connectors = options.connectors ?? (config.sandboxInstitutions ? builtInConnectors : []);
    const institutions = new Institutions(store.db, buildCatalogue(connectors));
    await institutions.sync(config.sandboxDown);
    const access = new LinkAccess(store.db, vault, institutions, { mfaSessionTtl: config.mfaSessionTtl }, now);
    const tasks = new InlineTasks((err, name) => log(err, `${name} failed`));
    const targetPolicy = new TargetPolicy({ production: config.production, allow: config.webhookAllow });
    const webhooks = new Webhooks({ store, vault, clock: now, targetPolicy, logger: options.logger, metrics });
    webhooks.registerJobs(queue);
    const webhookOutbox: WebhookEmitter = webhooks;
    const data = new LinkData(access, tasks, webhookOutbox);
    const refreshes = new Refreshes(access, data, webhookOutbox, queue, now, { jobTimeoutSeconds: config.jobTimeoutSeconds, metrics });
    refreshes.registerJobs();
    const links = new Links(access, refreshes);
    const scheduler = new Scheduler(store.db, queue, [webhooks], { abandonedLinkMs: config.unconfirmedLinkDays * 86_400_000 });
    const sandbox = clock ? new Sandbox(access, institutions, refreshes, scheduler, clock, webhookOutbox) : null;
    if (config.bootstrapKey) await tenants.ensureKey(config.bootstrapKey.id, config.bootstrapKey.password);
    const widget = createWidgetService({ db: store.db, vault, tenants, links, institutions });
    metrics.observe({ pool: () => store.poolStats(), queues: () => queueStats(store.db, queue.schema) });
    const health = new Health({ store: () => ping(store.db), queue: () => queue.ping() });
    const services: Services = { tenants, institutions, links, data, vault, tasks, clock, queue, refreshes, scheduler, sandbox, webhooks, widget, metrics, health };
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

export async function createVinculo(options: VinculoOptions): Promise<Vinculo> {
  const { store, services } = await openServices(options);
  const log = options.logger ?? { error: (o: unknown, m: string) => console.error(m, o) };
  // Revocations committed by any process (the CLI, another server) reach this one's cache at once.
  await services.tenants.listenForRevocations(store, (err) => log.error({ err }, 'key revocation listener failed'));
  const app = await buildApp(services, { logger: options.logger, trustProxy: options.config.trustProxy, metricsAccess: metricsAccess(options.config) });
  await startWorkers(options, services);
  return {
    app,
    store,
    services,
    beginShutdown: () => services.health.beginShutdown(),
    async close() {
      services.health.beginShutdown();
      await app.close();
      await services.tenants.stopListening();
      await services.scheduler.stop();
      await services.queue.stop();
      await services.webhooks.stop();
      await services.tasks.drain();
      await store.close();
    },
  };
}
