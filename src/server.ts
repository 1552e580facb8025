import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildCatalogue, builtInConnectors } from './connectors/registry.js';
import type { Connector } from './connectors/connector.js';
import { buildApp } from './http/app.js';
import { Institutions } from './institutions/service.js';
import { LinkAccess } from './links/access.js';
import { systemClock, VirtualClock } from './clock.js';
import { InlineTasks } from './jobs/inline-tasks.js';
import type { Jobs, Queue } from './jobs/jobs.js';
import { createJobQueue } from './jobs/queue.js';
import { Links } from './links/service.js';
import { LinkData } from './resources/service.js';
import { migrate, openStore, type Store, type StoreOptions } from './store/db.js';
import { Tenants } from './tenants/service.js';
import { loadKeyring, Vault } from './vault/index.js';

export interface Vinculo {
  app: FastifyInstance;
  store: Store;
  services: Services;
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
  clock: VirtualClock | null;
  /** Durable background jobs; started by `createVinculo` (API + workers) or `vinculo worker`. */
  queue: Queue;
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
    const clock = config.sandbox ? new VirtualClock(store.db) : null;
    await clock?.sync();
    const now = clock ?? systemClock;
    const queue: Queue = createJobQueue<Jobs>(store, {
      pollSeconds: config.jobPollSeconds,
      workers: options.workers ?? true,
      onError: (err, job) => log(err, job ? `job ${job.name} ${job.id} failed` : 'job queue error'),
    });
    const tenants = new Tenants(store.db);
    const institutions = new Institutions(store.db, buildCatalogue(options.connectors ?? builtInConnectors));
    await institutions.sync(config.sandboxDown);
    const access = new LinkAccess(store.db, vault, institutions, { mfaSessionTtl: config.mfaSessionTtl });
    const links = new Links(access);
    const tasks = new InlineTasks((err, name) => log(err, `${name} failed`));
    const data = new LinkData(access, tasks, () => now.now());
    if (config.bootstrapKey) await tenants.ensureKey(config.bootstrapKey.id, config.bootstrapKey.password);
    const services: Services = { tenants, institutions, links, data, vault, tasks, clock, queue };
    return { store, services };
  } catch (err) {
    await store.close();
    throw err;
  }
}

export async function createVinculo(options: VinculoOptions): Promise<Vinculo> {
  const { store, services } = await openServices(options);
  const app = await buildApp(services, options.logger);
  await services.queue.start();
  return {
    app,
    store,
    services,
    async close() {
      await app.close();
      await services.queue.stop();
      await services.tasks.drain();
      await store.close();
    },
  };
}
