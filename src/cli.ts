import { parseArgs } from 'node:util';
import { CLI, type AuditRecord } from './audit/index.js';
import { loadConfig, type Config } from './config.js';
import { ValidationErrors, VinculoError } from './errors.js';
import { generateOpenApi } from './http/openapi.js';
import { migrate, openStore } from './store/db.js';
import { openServices, storeOptions } from './server.js';
import { runWorker } from './worker.js';
import { loadKeyring, rotateDevKeyring, rotateMaster, Vault } from './vault/index.js';

const USAGE = `Usage: vinculo <command>

  keys create [--tenant NAME] [--json]   create an API key (prints its password once)
  keys list                              list API keys
  keys revoke ID                         revoke an API key
  keys rotate-master                     re-wrap stored credentials under the current master key
  institutions list                      list the institution catalogue
  webhooks create URL [--tenant NAME] [--authorization VALUE] [--json]
                                         add a webhook endpoint (prints its signing secret once)
  webhooks list [--tenant NAME]          list webhook endpoints
  webhooks delete ID                     delete a webhook endpoint and its deliveries
  audit [--link ID] [--since DATE] [--tenant NAME] [--limit N] [--json]
                                         who used credentials and keys, newest first (default 100)
  migrate                                apply database migrations
  worker                                 run background jobs only (refreshes, webhooks), no API;
                                         /healthz, /readyz, /metrics on VINCULO_WORKER_PORT if set
  openapi                                print the API's OpenAPI document (no server or store needed)

The store is the server's: DATABASE_URL, or the embedded store in VINCULO_DATA_DIR (./data),
which only one process can open at a time (stop the server first).`;

const OWNER = 'vinculo cli';
const out = (s: string) => process.stdout.write(`${s}\n`);

async function withServices<T>(config: Config, fn: (s: Awaited<ReturnType<typeof openServices>>['services']) => Promise<T>) {
  const { store, services } = await openServices({ config, warn: (m) => process.stderr.write(`warning: ${m}\n`) }, OWNER);
  try {
    return await fn(services);
  } finally {
    await store.close();
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      authorization: { type: 'string' },
      link: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'openapi' && !sub) {
    // From the routes alone: no configuration, store or server. Written before exiting, even to a pipe.
    const text = await generateOpenApi();
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
    return 0;
  }
  const config = loadConfig();

  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'migrate': {
      const store = await openStore(storeOptions(config, OWNER));
      try {
        const applied = await migrate(store.db);
        out(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'keys create':
      return withServices(config, async ({ tenants }) => {
        const key = await tenants.createKey({ tenant: values.tenant, actor: CLI });
        if (values.json) out(JSON.stringify({ tenant: key.tenant, id: key.id, password: key.password }));
        else out(`tenant:   ${key.tenant}\nid:       ${key.id}\npassword: ${key.password}\n(the password is shown only this once)`);
        return 0;
      });
    case 'keys list':
      return withServices(config, async ({ tenants }) => {
        for (const k of await tenants.listKeys()) {
          out([k.id, k.tenant, k.created_at.toISOString(), k.revoked_at ? `revoked ${k.revoked_at.toISOString()}` : 'active'].join('\t'));
        }
        return 0;
      });
    case 'keys revoke':
      if (!arg) throw new VinculoError('usage', 'keys revoke needs the key id');
      return withServices(config, async ({ tenants }) => {
        if (!(await tenants.revokeKey(arg, CLI))) {
          out(`no active key ${arg}`);
          return 1;
        }
        out(`revoked ${arg}`);
        return 0;
      });
    case 'keys rotate-master': {
      // Development: add a new key to the generated keyring. Production: VINCULO_MASTER_KEY is the
      // new key and VINCULO_PREVIOUS_MASTER_KEYS the old ones, already deployed to the servers.
      // Open (on embedded: lock) the store first, so a rotation that cannot run leaves the keyring alone.
      const store = await openStore(storeOptions(config, OWNER));
      try {
        await migrate(store.db);
        const keyring = config.masterKey
          ? loadKeyring({ masterKey: config.masterKey, previousKeys: [...config.previousMasterKeys], dataDir: config.dataDir, production: config.production, warn: () => {} })
          : rotateDevKeyring(config.dataDir);
        const { rewrapped } = await rotateMaster(store.db, new Vault(keyring));
        out(`re-wrapped ${rewrapped} sealed value(s) under the current master key`);
      } finally {
        await store.close();
      }
      return 0;
    }
    case 'institutions list':
      return withServices(config, async ({ institutions }) => {
        const { results } = await institutions.list(null, {}, { page: 1, pageSize: 1000, limit: 1000, offset: 0 });
        for (const i of results) out([i.id, i.name, i.type, i.country_codes.join(','), i.status, i.resources.join(',')].join('\t'));
        return 0;
      });
    case 'webhooks create':
      if (!arg) throw new VinculoError('usage', 'webhooks create needs the URL');
      return withServices(config, async ({ webhooks }) => {
        const tenant = values.tenant ?? 'default';
        const tenantId = await webhooks.tenantId(tenant);
        if (!tenantId) throw new VinculoError('usage', `no tenant ${tenant} (create it with: vinculo keys create --tenant ${tenant})`);
        const e = await webhooks.createEndpoint(tenantId, { url: arg, authorization: values.authorization });
        if (values.json) out(JSON.stringify({ tenant, id: e.id, url: e.url, secret: e.secret, created_at: e.created_at }));
        else out(`tenant: ${tenant}\nid:     ${e.id}\nurl:    ${e.url}\nsecret: ${e.secret}\n(the secret is shown only this once)`);
        return 0;
      });
    case 'webhooks list':
      return withServices(config, async ({ webhooks }) => {
        for (const e of await webhooks.listAllEndpoints(values.tenant)) {
          out([e.id, e.tenant, e.url, e.created_at.toISOString(), e.has_authorization ? 'authorization' : '-'].join('\t'));
        }
        return 0;
      });
    case 'webhooks delete':
      if (!arg) throw new VinculoError('usage', 'webhooks delete needs the endpoint id');
      return withServices(config, async ({ webhooks }) => {
        if (!(await webhooks.deleteAnyEndpoint(arg))) {
          out(`no webhook endpoint ${arg}`);
          return 1;
        }
        out(`deleted ${arg}`);
        return 0;
      });
    case 'audit': {
      const since = values.since === undefined ? undefined : new Date(values.since);
      if (since && Number.isNaN(since.getTime())) throw new VinculoError('usage', `--since needs a date or time (ISO 8601), not ${values.since}`);
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new VinculoError('usage', '--limit needs a whole number ≥ 1');
      return withServices(config, async ({ audit }) => {
        const records = await audit.list({ linkId: values.link, since, tenantName: values.tenant, limit });
        for (const r of records) out(values.json ? JSON.stringify(auditJson(r)) : auditLine(r));
        return 0;
      });
    }
    case 'worker':
      return runWorker(config);
    default:
      process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}\n`);
      return 2;
  }
}

function auditJson(r: AuditRecord) {
  return { at: r.at.toISOString(), tenant: r.tenant, actor: r.actor, action: r.action, link_id: r.link_id, key_id: r.key_id, outcome: r.outcome, request_id: r.request_id };
}

/** at, tenant, actor, action, link, key, outcome, request id; `-` for none. */
function auditLine(r: AuditRecord): string {
  return [r.at.toISOString(), r.tenant, r.actor, r.action, r.link_id ?? '-', r.key_id ?? '-', r.outcome, r.request_id ?? '-'].join('\t');
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`vinculo: ${err instanceof VinculoError || err instanceof ValidationErrors || err instanceof TypeError ? err.message : String(err?.stack ?? err)}\n`);
    process.exit(1);
  },
);
