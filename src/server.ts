import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildCatalogue, builtInConnectors } from './connectors/registry.js';
import type { Connector } from './connectors/connector.js';
import { buildApp } from './http/app.js';
import { Institutions } from './institutions/service.js';
import { LinkAccess } from './links/access.js';
import { InlineTasks } from './jobs/inline-tasks.js';
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
}

export interface VinculoOptions {
  config: Config;
  logger?: FastifyBaseLogger;
  /** Overrides the store chosen by config (tests: in-memory PGlite or a per-run database). */
  store?: StoreOptions;
  connectors?: readonly Connector[];
  warn?: (message: string) => void;
}

export function storeOptions(config: Config, owner: string): StoreOptions {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl }
    : { kind: 'embedded', dataDir: config.dataDir, owner };
}

/** Opens the store and wires the services that the API and the CLI share. */
export async function openServices(options: VinculoOptions, owner = 'vinculo server') {
  const { config } = options;
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
    const tenants = new Tenants(store.db);
    const institutions = new Institutions(store.db, buildCatalogue(options.connectors ?? builtInConnectors));
    await institutions.sync(config.sandboxDown);
    const access = new LinkAccess(store.db, vault, institutions, { mfaSessionTtl: config.mfaSessionTtl });
    const links = new Links(access);
    const tasks = new InlineTasks((err, name) => {
      if (options.logger) options.logger.error({ err }, `${name} failed`);
      else console.error(`${name} failed`, err);
    });
    const data = new LinkData(access, tasks);
    if (config.bootstrapKey) await tenants.ensureKey(config.bootstrapKey.id, config.bootstrapKey.password);
    const services: Services = { tenants, institutions, links, data, vault, tasks };
    return { store, services };
  } catch (err) {
    await store.close();
    throw err;
  }
}

export async function createVinculo(options: VinculoOptions): Promise<Vinculo> {
  const { store, services } = await openServices(options);
  const app = await buildApp(services, options.logger);
  return {
    app,
    store,
    services,
    async close() {
      await app.close();
      await services.tasks.drain();
      await store.close();
    },
  };
}
