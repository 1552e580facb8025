/**
 * Open Finance Brasil refreshes against the local mock bank: `npm run bench:ofb [-- options]`.
 * Prints figures; never asserts.
 *
 * The real protocol end to end, TLS and JOSE included: the mock bank (src/connectors/ofb/sandbox,
 * the same `ofmockbank` the sandbox runs: oidc-provider with FAPI 1.0, mTLS, PAR, encrypted ID
 * tokens, and its resource servers) runs in this process on a local HTTPS port. Vinculo is told
 * about it as an operator tells it about a real bank: a VINCULO_OFB_INSTITUTIONS file naming its
 * discovery URL, API origin, client id, and key/certificate files written to a temporary folder
 * (institution `ofbbench_br_retail`). So every Vinculo process — the API (`npm start`'s server,
 * API only) and 2 `vinculo worker` processes on one PostgreSQL — reaches the same bank.
 *
 * Set-up: a tenant with a key; --links consent links made as end users make them (a widget token
 * with Belvo's OFDA options, POST /widget/api/consents/, the bank's login and Autorizar pages
 * walked over HTTPS, the callback page's POST /ofb/callback), --concurrency at a time, one
 * customer (CPF) each. Each consent's first load (12 months of transactions) runs on the workers
 * as it would; the bench waits for all of them.
 *
 * Measured: every link is made due at once (next_refresh_at = now) and the run lasts until all
 * are refreshed. A refresh renews the access token (refresh_token grant with private_key_jwt over
 * mTLS), reads the consent, then accounts, balances, transactions-current, credit-card accounts,
 * limits and transactions, and the customer's identification — every answer validated against
 * the OFB OpenAPI documents — and stores it with its webhook events (the tenant has no endpoint).
 * refreshes/s = links / (made due → last one refreshed). CPU by process for the same span
 * (/proc): API, workers, this process (the bank), PostgreSQL.
 *
 * Options (argv, or env):
 *   --links N         BENCH_LINKS        default 500
 *   --concurrency N   BENCH_CONCURRENCY  consent flows at once during set-up, default 8
 *   --workers N       BENCH_WORKERS      worker processes, default 2
 *   --profile         BENCH_PROFILE=1    V8 CPU profiles of the workers (per-file build dist/cli.js,
 *                                        restarted before the measured refreshes) and of this process
 *                                        (the bank) during them, and a summary of each
 * PostgreSQL admin URL: VINCULO_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test
 * (a fresh database vinculo_bench_ofb_<pid>_… is created from it and dropped at the end).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { startSandboxOfbBank, type SandboxOfbBank } from '../src/connectors/ofb/sandbox/index.js';
import { createVinculo } from '../src/server.js';
import { postCallback, walkBank } from '../test/helpers/ofb.js';
import { flag, int } from './options.js';
import { summarizeProfiles } from './profile.js';
import { report } from './report.js';
import {
  benchConfig,
  Cleanups,
  cpuTicks,
  fmt,
  freePort,
  load,
  postgresTicks,
  runBench,
  sleep,
  startCpuProfile,
  startVinculoProcess,
  TICKS_PER_SECOND,
  withAdmin,
  type VinculoProcess,
} from './support.js';

const options = {
  links: int('links', 'BENCH_LINKS', 500, 1, 20_000),
  concurrency: int('concurrency', 'BENCH_CONCURRENCY', 8, 1, 64),
  workers: int('workers', 'BENCH_WORKERS', 2, 1, 16),
  profile: flag('profile', 'BENCH_PROFILE'),
  adminUrl: process.env.VINCULO_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
};

const INSTITUTION = 'ofbbench_br_retail';
const MASTER_KEY = randomBytes(32).toString('base64');
const log = (m: string): void => void process.stderr.write(`[bench ofb] ${m}\n`);
const cleanups = new Cleanups(log);

/** The bank as an operator's file describes it: keys and certificates as files beside the JSON. */
function writeInstitutionsFile(bank: SandboxOfbBank, redirectUri: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-ofb-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const { client, ca, issuer, baseUrl } = bank.bank;
  writeFileSync(join(dir, 'signing.jwk'), JSON.stringify(client.signingJwk));
  writeFileSync(join(dir, 'encryption.jwk'), JSON.stringify(client.encryptionJwk));
  writeFileSync(join(dir, 'transport.pem'), client.certPem);
  writeFileSync(join(dir, 'transport.key'), client.keyPem);
  writeFileSync(join(dir, 'ca.pem'), ca);
  const file = join(dir, 'institutions.json');
  const entry = {
    name: INSTITUTION,
    display_name: 'OFB bench bank',
    logo: null,
    discovery_url: `${issuer}/.well-known/openid-configuration`,
    api_base_url: baseUrl,
    client_id: client.clientId,
    redirect_uri: redirectUri,
    signing_key_file: 'signing.jwk',
    encryption_key_file: 'encryption.jwk',
    transport_certificate_file: 'transport.pem',
    transport_key_file: 'transport.key',
    ca_file: 'ca.pem',
  };
  writeFileSync(file, JSON.stringify({ institutions: [entry] }, null, 2));
  return file;
}

/** One end user's consent, as the widget makes it; resolves with the new link's id. */
async function consentLink(apiUrl: string, authorization: string, cpf: string): Promise<string> {
  const post = async (path: string, body: unknown, auth: string) => {
    const res = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, any>;
    if (!res.ok) throw new Error(`POST ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const token = await post(
    '/api/token/',
    {
      scopes: 'read_institutions,write_links,read_consents,write_consents,write_consent_callback,delete_consents',
      widget: {
        openfinance_feature: 'consent_link_creation',
        callback_urls: { success: 'https://app.example/success', exit: 'https://app.example/exit' },
        consent: {
          terms_and_conditions_url: 'https://app.example/terms',
          permissions: ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'],
          identification_info: [{ type: 'CPF', number: cpf, name: 'Maria da Silva' }],
        },
      },
    },
    authorization,
  );
  const started = await post('/widget/api/consents/', { institution: INSTITUTION, months: 12 }, `Bearer ${token.access}`);
  const done = await postCallback(await walkBank(started.redirect_url, { cpf, decision: 'Autorizar' }));
  if (done.status !== 200 || done.body.outcome !== 'success') throw new Error(`callback → ${done.status}: ${JSON.stringify(done.body)}`);
  return done.body.link as string;
}

async function main(): Promise<void> {
  log(`${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${load()}; ${options.links} consent links, ${options.workers} workers`);
  const name = `vinculo_bench_ofb_${process.pid}_${Date.now().toString(36)}`;
  await withAdmin(options.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  cleanups.push(() => withAdmin(options.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => log(`dropped ${name}`)));
  const u = new URL(options.adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();

  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const bank = await startSandboxOfbBank({ clock: () => new Date(), redirectUri: `http://localhost:${port}/ofb/callback` });
  cleanups.push(() => bank.close());
  const institutionsFile = writeInstitutionsFile(bank, `http://localhost:${port}/ofb/callback`);

  // The tenant and its key, made before the processes start (migrates the new database too).
  const setup = await createVinculo({ config: benchConfig({ url }, MASTER_KEY), workers: false, warn: log });
  const key = await setup.services.tenants.createKey({ tenant: 'bench-ofb' });
  await setup.close();
  const authorization = `Basic ${Buffer.from(`${key.id}:${key.password}`).toString('base64')}`;

  const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'vinculo-bench-ofb-prof-')) : undefined;
  if (profileDir) cleanups.push(async () => void rmSync(profileDir, { recursive: true, force: true }));
  const env = { DATABASE_URL: url, VINCULO_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'info', VINCULO_OFB_INSTITUTIONS: institutionsFile, VINCULO_JOB_POLL_SECONDS: '0.5' };
  const api = await startVinculoProcess({
    args: ['--v8-pool-size=1', 'bin/start.js'],
    env: { ...env, VINCULO_WORKERS: 'false', PORT: String(port), HOST: '127.0.0.1' },
    ready: 'vinculo is ready',
    cleanups,
    log,
  });
  const startWorkers = (profile: boolean) =>
    Promise.all(
      Array.from({ length: options.workers }, () =>
        startVinculoProcess({
          args: profile ? ['dist/cli.js', 'worker'] : ['bin/vinculo.js', 'worker'],
          env,
          ready: 'vinculo worker is ready',
          cleanups,
          log,
          profileDir: profile ? profileDir : undefined,
        }),
      ),
    );
  let workers: VinculoProcess[] = await startWorkers(false);
  log(`API and ${workers.length} workers ready; bank at ${bank.bank.baseUrl}`);

  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  cleanups.push(() => probe.end());
  const count = async (where: string, params: unknown[] = []) => (await probe.query(`select count(*)::int as n from links where ${where}`, params)).rows[0].n as number;

  // ---- set-up: consent links, then their first loads ---------------------------------------------
  let t = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.links) {
        const i = next++;
        ids.push(await consentLink(apiUrl, authorization, cpfFromBase(String(100_000_000 + i * 7919).slice(0, 9))));
      }
    }),
  );
  const consentSeconds = (performance.now() - t) / 1000;
  log(`${ids.length} consents given and links created in ${fmt(consentSeconds)} s (${fmt(ids.length / consentSeconds)}/s)`);
  for (;;) {
    const loaded = await count('last_refresh_at is not null');
    if (loaded >= ids.length) break;
    const failed = await count(`status <> 'valid'`);
    if (failed) throw new Error(`${failed} links are not valid after their first load`);
    if (performance.now() - t > 15 * 60_000) throw new Error(`only ${loaded}/${ids.length} first loads after 15 minutes`);
    await sleep(250);
  }
  const setupSeconds = (performance.now() - t) / 1000;
  log(`first loads done ${fmt(setupSeconds)} s after the first consent`);

  if (profileDir) {
    // Fresh workers, profiled from their start: the profile then holds the measured refreshes.
    await Promise.all(workers.map((w) => w.stop()));
    workers = await startWorkers(true);
  }
  // Let the last first-load jobs and their events settle before measuring.
  await sleep(2000);

  // ---- measured: every link refreshed once ---------------------------------------------------------
  const processes = [
    { label: 'API', pid: api.child.pid! },
    ...workers.map((w, i) => ({ label: `worker ${i + 1}`, pid: w.child.pid! })),
    { label: 'bench (mock bank)', pid: process.pid },
  ];
  const cpuStart = { procs: processes.map((p) => cpuTicks(p.pid)), pg: postgresTicks() };
  const stopBankProfile = profileDir ? await startCpuProfile(join(profileDir, `bank.${process.pid}.0.cpuprofile`), log) : undefined;
  const due = new Date();
  t = performance.now();
  await probe.query('update links set next_refresh_at = $1, refresh_attempts = 0', [due]);
  let first = 0;
  let lastLog = t;
  let refreshed = 0;
  for (;;) {
    refreshed = await count('last_refresh_at >= $1', [due]);
    const now = performance.now();
    if (refreshed > 0 && !first) first = now;
    if (refreshed >= ids.length) break;
    if (now - lastLog > 5000) {
      log(`  ${refreshed}/${ids.length} refreshed after ${fmt((now - t) / 1000)} s`);
      lastLog = now;
    }
    if (now - t > 15 * 60_000) break;
    await sleep(50);
  }
  const end = performance.now();
  await stopBankProfile?.();
  const seconds = (end - t) / 1000;
  const cores = processes.map((p, i) => ({ label: p.label, cores: (cpuTicks(p.pid) - cpuStart.procs[i]) / TICKS_PER_SECOND / seconds }));
  cores.push({ label: 'PostgreSQL', cores: (postgresTicks() - cpuStart.pg) / TICKS_PER_SECOND / seconds });
  await sleep(500);
  const outcomes = (
    await probe.query(
      `select coalesce(output->>'value', state::text) as outcome, count(*)::int as n from pgboss.job
       where name = 'link-refresh' group by 1 order by 2 desc`,
    )
  ).rows as { outcome: string; n: number }[];
  const statuses = (await probe.query(`select status, count(*)::int as n from links group by 1`)).rows as { status: string; n: number }[];
  const consentsAtBank = bank.bank.consents.all().length;

  // Stop the processes first: node --cpu-prof writes the profile at exit.
  await Promise.all([api, ...workers].map((p) => p.stop()));

  const perSecond = refreshed / seconds;
  const steady = refreshed / Math.max(0.001, (end - first) / 1000);
  const lines: string[] = [''];
  lines.push(`Open Finance Brasil refreshes against the local mock bank (TLS, mTLS, private_key_jwt, PS256, spec validation), PostgreSQL, ${options.workers} workers, ${ids.length} consent links (${consentsAtBank} consents at the bank)`);
  lines.push(`set-up: ${fmt(ids.length / consentSeconds)} consent flows/s (widget token → consent → PAR → bank pages → callback → token exchange → link), first loads done ${fmt(setupSeconds)} s after the first consent`);
  lines.push(`refreshes: ${refreshed}/${ids.length} in ${fmt(seconds)} s = **${fmt(perSecond)} refreshes/s** (${fmt(steady)}/s from the first to the last; first after ${fmt(first - t, 0)} ms)`);
  lines.push(`refresh jobs: ${outcomes.map((o) => `${o.outcome} ${o.n}`).join(', ')}; links: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}`);
  lines.push(`CPU (cores, of ${cpus().length}): ${cores.map((c) => `${c.label} ${fmt(c.cores, 2)}`).join(', ')}; per refresh ${cores.map((c) => `${c.label} ${fmt((c.cores * seconds * 1000) / Math.max(1, refreshed), 1)} ms`).join(', ')}`);
  if (profileDir) lines.push(...summarizeProfiles(profileDir, processes));
  process.stdout.write(`${lines.join('\n')}\n`);

  report({
    area: 'Open Finance',
    what: `postgres: ${ids.length} OFB consent links refreshed at once against the local mock bank (TLS + JOSE), ${options.workers} workers`,
    figure: `${fmt(perSecond)} refreshes/s; CPU ${cores.map((c) => `${c.label} ${fmt(c.cores, 2)}`).join(', ')}`,
    target: '≥ 25 refreshes/s',
    met: perSecond >= 25,
  });
}

runBench(main, cleanups, log);
