import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { VinculoError } from './errors.js';

/**
 * All configuration, read from the environment once at boot, checked (every problem listed at
 * once) and frozen. Nothing else in the code reads `process.env`; the result is passed down.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly production: boolean;
  /** Embedded database and, in development, the generated master keyring. */
  readonly dataDir: string;
  /** `null` → embedded PGlite store in `dataDir`. */
  readonly databaseUrl: string | null;
  /** Make sure this API key exists at start (non-interactive first key). */
  readonly bootstrapKey: { readonly id: string; readonly password: string } | null;
  readonly masterKey: string | null;
  readonly previousMasterKeys: readonly string[];
  /** Institutions that start with status `down`. */
  readonly sandboxDown: readonly string[];
  /** Lifetime of an MFA session (the 428 `expiry`), seconds. */
  readonly mfaSessionTtl: number;
  /** Links left `unconfirmed` (MFA never answered) are deleted after this many days (VINCULO_UNCONFIRMED_LINK_DAYS). */
  readonly unconfirmedLinkDays: number;
  /** Retention in days (src/retention), on each tenant's clock: webhook events and deliveries, audit records. */
  readonly webhookRetentionDays: number;
  readonly auditRetentionDays: number;
  /** Days pg-boss's archived jobs are kept (VINCULO_JOB_RETENTION_DAYS), in real time. */
  readonly jobRetentionDays: number;
  /**
   * Sandbox controls (`/sandbox/...`) and the per-tenant virtual clocks (VINCULO_SANDBOX): on by
   * default, off by default under NODE_ENV=production (turning it on there is warned about).
   */
  readonly sandbox: boolean;
  /** The built-in sandbox institutions are in the catalogue: with the sandbox, or VINCULO_SANDBOX_INSTITUTIONS=true. */
  readonly sandboxInstitutions: boolean;
  /** The operator's Open Finance Brasil banks (VINCULO_OFB_INSTITUTIONS: a JSON file, see docs/open-finance-brasil.md). */
  readonly ofbInstitutionsFile: string | null;
  /**
   * Where browsers reach this server (VINCULO_PUBLIC_URL, no trailing slash): the sandbox OFB bank
   * sends the user back to `<publicUrl>/ofb/callback`. Default: http://localhost:<the port listened on>.
   */
  readonly publicUrl: string | null;
  /** The sandbox OFB bank's local HTTPS port (VINCULO_OFB_SANDBOX_PORT; 0: any free port). */
  readonly ofbSandboxPort: number;
  /** Seconds a client has to send a whole request, headers and body (VINCULO_REQUEST_TIMEOUT_SECONDS). */
  readonly requestTimeoutSeconds: number;
  /** Seconds a connection may stay silent, waiting for an answer included (VINCULO_CONNECTION_TIMEOUT_SECONDS). */
  readonly connectionTimeoutSeconds: number;
  /** PostgreSQL: seconds to get a connection, and the longest statement (VINCULO_DB_*_TIMEOUT_SECONDS). */
  readonly dbConnectTimeoutSeconds: number;
  readonly dbStatementTimeoutSeconds: number;
  /** Hard deadline of a shutdown (VINCULO_SHUTDOWN_SECONDS); past it the process exits non-zero. */
  readonly shutdownSeconds: number;
  /**
   * Seconds the API keeps serving after /readyz turned 503 on SIGTERM, before its listener closes
   * (VINCULO_SHUTDOWN_DRAIN_SECONDS): time for a load balancer to notice. 0 in development, 5 under
   * NODE_ENV=production; always less than `shutdownSeconds`, whose deadline it counts towards.
   */
  readonly shutdownDrainSeconds: number;
  /** Seconds between polls of an idle job queue (VINCULO_JOB_POLL_SECONDS). */
  readonly jobPollSeconds: number;
  /** This process runs background workers too (VINCULO_WORKERS; false: an API-only process). */
  readonly workers: boolean;
  /**
   * Where `vinculo worker` serves /healthz, /readyz and /metrics (VINCULO_WORKER_PORT, on `host`);
   * null: a worker has no listener.
   */
  readonly workerPort: number | null;
  /** A job running longer than this (e.g. its worker died) is retried elsewhere (VINCULO_JOB_TIMEOUT_SECONDS). */
  readonly jobTimeoutSeconds: number;
  readonly logLevel: string;
  /**
   * Which peers may set X-Forwarded-Proto/-Host/-For (VINCULO_TRUST_PROXY), in fastify's
   * `trustProxy` terms: false (nobody, the default), true (anyone), a hop count, or addresses/CIDRs.
   */
  readonly trustProxy: boolean | number | readonly string[];
  /**
   * Webhook targets allowed in production although loopback or private (VINCULO_WEBHOOK_ALLOW):
   * host names, addresses and CIDRs. Link-local and metadata targets stay refused whatever it says.
   */
  readonly webhookAllow: readonly string[];
  /**
   * Failed secret-key checks allowed per minute, per client address and per key id, before 429
   * (VINCULO_AUTH_FAILURES_PER_ADDRESS, VINCULO_AUTH_FAILURES_PER_KEY; 0: no limit).
   */
  readonly authFailuresPerAddress: number;
  readonly authFailuresPerKey: number;
  /**
   * Requests per second allowed per secret key, in bursts of twice that (VINCULO_RATE_LIMIT);
   * null: no limit. Off by default in development, 100 under NODE_ENV=production.
   */
  readonly rateLimit: number | null;
  /**
   * Bearer token that /metrics requires (VINCULO_METRICS_TOKEN). Unset: /metrics is open in
   * development and absent (404) under NODE_ENV=production.
   */
  readonly metricsToken: string | null;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) problems.push(`${name} must be a number in ${min}..${max}`);
    return n;
  };
  const list = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  const trustProxy = (): Config['trustProxy'] => {
    const raw = env.VINCULO_TRUST_PROXY?.trim().toLowerCase() ?? '';
    if (raw === '' || raw === 'false') return false;
    if (raw === 'true') return true;
    if (/^\d+$/.test(raw)) return int('VINCULO_TRUST_PROXY', 0, 1, 100);
    const entries = list('VINCULO_TRUST_PROXY');
    const bad = entries.filter((e) => !isAddressOrCidr(e));
    if (bad.length) problems.push(`VINCULO_TRUST_PROXY must be true, false, a hop count or IP addresses/CIDRs (not: ${bad.join(', ')})`);
    return Object.freeze(entries);
  };

  const webhookAllow = (): readonly string[] => {
    const entries = list('VINCULO_WEBHOOK_ALLOW').map((e) => e.toLowerCase());
    const bad = entries.filter((e) => !isAddressOrCidr(e) && !HOST_NAME.test(e));
    if (bad.length) problems.push(`VINCULO_WEBHOOK_ALLOW must list host names, IP addresses or CIDRs (not: ${bad.join(', ')})`);
    return Object.freeze(entries);
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false`);
    return raw === 'true';
  };
  const production = env.NODE_ENV === 'production';
  const rateLimit = (): number | null => {
    const raw = env.VINCULO_RATE_LIMIT?.trim().toLowerCase() ?? '';
    if (raw === '') return production ? 100 : null;
    if (raw === 'off') return null;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > 1_000_000) problems.push('VINCULO_RATE_LIMIT must be off or a number of requests per second in (0, 1000000]');
    return n;
  };
  const sandbox = bool('VINCULO_SANDBOX', !production);

  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must start with postgres://');

  const keyId = env.VINCULO_SECRET_KEY_ID?.trim();
  const keyPassword = env.VINCULO_SECRET_KEY_PASSWORD;
  if (Boolean(keyId) !== Boolean(keyPassword)) {
    problems.push('VINCULO_SECRET_KEY_ID and VINCULO_SECRET_KEY_PASSWORD must be set together');
  }
  if (keyPassword !== undefined && keyPassword.length > 0 && keyPassword.length < 12) {
    problems.push('VINCULO_SECRET_KEY_PASSWORD must be at least 12 characters');
  }

  const publicUrl = env.VINCULO_PUBLIC_URL?.trim().replace(/\/+$/, '') || null;
  if (publicUrl !== null && (!URL.canParse(publicUrl) || !/^https?:$/.test(new URL(publicUrl).protocol) || new URL(publicUrl).search || new URL(publicUrl).hash)) {
    problems.push('VINCULO_PUBLIC_URL must be an http(s) URL without query or fragment, e.g. https://vinculo.example.com');
  }

  const metricsToken = env.VINCULO_METRICS_TOKEN?.trim() || null;
  if (metricsToken !== null && !/^[\x21-\x7e]{16,}$/.test(metricsToken)) {
    problems.push('VINCULO_METRICS_TOKEN must be at least 16 printable characters without spaces');
  }

  const config: Config = {
    port: int('PORT', 8000, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    production,
    dataDir: resolve(env.VINCULO_DATA_DIR?.trim() || './data'),
    databaseUrl,
    bootstrapKey: keyId && keyPassword ? { id: keyId, password: keyPassword } : null,
    masterKey: env.VINCULO_MASTER_KEY?.trim() || null,
    previousMasterKeys: list('VINCULO_PREVIOUS_MASTER_KEYS'),
    sandboxDown: list('VINCULO_SANDBOX_DOWN'),
    mfaSessionTtl: int('VINCULO_MFA_SESSION_TTL', 600, 10, 86400),
    unconfirmedLinkDays: int('VINCULO_UNCONFIRMED_LINK_DAYS', 7, 1, 3650),
    webhookRetentionDays: int('VINCULO_WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    auditRetentionDays: int('VINCULO_AUDIT_RETENTION_DAYS', 365, 1, 36500),
    jobRetentionDays: int('VINCULO_JOB_RETENTION_DAYS', 7, 1, 3650),
    sandbox: sandbox,
    sandboxInstitutions: sandbox || bool('VINCULO_SANDBOX_INSTITUTIONS', false),
    ofbInstitutionsFile: env.VINCULO_OFB_INSTITUTIONS?.trim() ? resolve(env.VINCULO_OFB_INSTITUTIONS.trim()) : null,
    publicUrl,
    ofbSandboxPort: int('VINCULO_OFB_SANDBOX_PORT', 0, 0, 65535),
    requestTimeoutSeconds: int('VINCULO_REQUEST_TIMEOUT_SECONDS', 30, 1, 600),
    connectionTimeoutSeconds: int('VINCULO_CONNECTION_TIMEOUT_SECONDS', 60, 1, 3600),
    dbConnectTimeoutSeconds: num('VINCULO_DB_CONNECT_TIMEOUT_SECONDS', 5, 0.1, 600),
    dbStatementTimeoutSeconds: num('VINCULO_DB_STATEMENT_TIMEOUT_SECONDS', 30, 0.1, 3600),
    shutdownSeconds: num('VINCULO_SHUTDOWN_SECONDS', 25, 1, 3600),
    // 5 s in production: long enough for a load balancer that polls /readyz every second or two
    // (or Kubernetes' endpoint update) to take the process out, short enough to leave 20 s of the
    // 25 s deadline to the requests in flight and the running jobs.
    shutdownDrainSeconds: num('VINCULO_SHUTDOWN_DRAIN_SECONDS', production ? 5 : 0, 0, 3600),
    jobPollSeconds: num('VINCULO_JOB_POLL_SECONDS', 2, 0.5, 60),
    workers: env.VINCULO_WORKERS?.trim().toLowerCase() !== 'false',
    workerPort: env.VINCULO_WORKER_PORT?.trim() ? int('VINCULO_WORKER_PORT', 0, 0, 65535) : null,
    jobTimeoutSeconds: int('VINCULO_JOB_TIMEOUT_SECONDS', 900, 2, 86_000),
    logLevel: env.LOG_LEVEL?.trim() || 'info',
    trustProxy: trustProxy(),
    webhookAllow: webhookAllow(),
    authFailuresPerAddress: int('VINCULO_AUTH_FAILURES_PER_ADDRESS', 10, 0, 1_000_000),
    authFailuresPerKey: int('VINCULO_AUTH_FAILURES_PER_KEY', 10, 0, 1_000_000),
    rateLimit: rateLimit(),
    metricsToken,
  };
  if (config.production && !config.masterKey) problems.push('VINCULO_MASTER_KEY is required when NODE_ENV=production');
  // The pause is part of the shutdown: a deadline within it would cut off every shutdown.
  if (config.shutdownDrainSeconds >= config.shutdownSeconds && !problems.some((p) => p.startsWith('VINCULO_SHUTDOWN_'))) {
    problems.push(
      `VINCULO_SHUTDOWN_DRAIN_SECONDS (${config.shutdownDrainSeconds}${env.VINCULO_SHUTDOWN_DRAIN_SECONDS?.trim() ? '' : ', the default'}) must be less than VINCULO_SHUTDOWN_SECONDS (${config.shutdownSeconds}): the pause counts towards the shutdown deadline`,
    );
  }
  if (problems.length) throw new VinculoError('config_error', `Invalid configuration:\n- ${problems.join('\n- ')}`);
  return Object.freeze(config);
}

/** A DNS name (`localhost`, `hooks.internal.example`): its last label not numeric, so `0x7f.1` is not one. */
const HOST_NAME = /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?\.?$/;

/** `10.0.0.1`, `::1`, `10.0.0.0/8` or `fd00::/8` (proxy-addr's forms, minus its named ranges). */
function isAddressOrCidr(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}
