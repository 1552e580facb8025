/**
 * Drill 4 (issue 11): the webhook receiver is down for a virtual hour, then back — every event
 * arrives, in order per link, with signatures valid. `npm run drill:receiver` (a script, not a
 * node:test file: `npm test` does not run it). Exit code 0 only if nothing was lost, nothing
 * arrived out of order, every signature verified and every delivery ended `delivered`.
 *
 * On a fresh PostgreSQL database (created from VINCULO_DRILL_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, dropped at the end) it runs Vinculo as real processes:
 * one API process (`src/main.ts`, workers off) and one `vinculo worker`. The receiver is an HTTP
 * server in this process that verifies every request with the `standardwebhooks` package.
 *
 *  1. register a webhook endpoint; close the receiver's port (connections refused);
 *  2. register recurrent links at sandbox institutions (their first loads queue `historical_update`
 *     events), then drive one virtual hour with POST /sandbox/clock/advance/ in 5-minute steps,
 *     firing an event per link at each step (refreshes that fall due add theirs; retries come due
 *     and fail);
 *  3. reopen the port; advance the clock to each next due retry until no delivery is pending;
 *  4. check every event stored in webhook_events against what the receiver got.
 *
 * Prints: events, delivered, duplicates, out-of-order, lost, bad signatures, and the recovery
 * time (receiver back → last event's first arrival; real and virtual).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { BASE_ENV, startServer, stopServer, type Server } from '../helpers/server-process.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ADMIN_URL = process.env.VINCULO_DRILL_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const OUTAGE_SECONDS = 3600;
const STEP_SECONDS = 300;
const LINKS = [
  { institution: 'erebor_mx_retail', username: 'drill_one' },
  { institution: 'erebor_mx_retail', username: 'drill_two' },
  { institution: 'gringotts_mx_retail', username: 'drill_three' },
  { institution: 'erebor_br_retail', username: 'drill_four' },
];
/** The whole drill must end within this (real time). */
const DEADLINE_MS = 150_000;

const log = (s: string) => process.stdout.write(`${s}\n`);

// ---- the receiver: a port that can be closed and reopened ------------------------------------------

interface Arrival {
  /** Arrival order across all requests. */
  n: number;
  at: number;
  webhookId: string;
  linkId: string | null;
  validSignature: boolean;
}

class Receiver {
  readonly arrivals: Arrival[] = [];
  private server?: http.Server;
  private webhook?: Webhook;
  port = 0;

  set secret(secret: string) {
    this.webhook = new Webhook(secret);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async open(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let validSignature = false;
        try {
          this.webhook?.verify(body, req.headers as Record<string, string>);
          validSignature = this.webhook !== undefined;
        } catch {
          validSignature = false;
        }
        let linkId: string | null = null;
        try {
          linkId = (JSON.parse(body) as { link_id: string | null }).link_id;
        } catch {
          // counted as a bad signature already (the body is what is signed)
        }
        this.arrivals.push({ n: this.arrivals.length, at: Date.now(), webhookId: String(req.headers['webhook-id']), linkId, validSignature });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Down: the port is closed, open connections dropped (Vinculo's attempts are refused). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

// ---- processes ---------------------------------------------------------------------------------------

interface Worker {
  child: ChildProcess;
  lines: string[];
  exited: Promise<unknown>;
}

async function startWorker(env: NodeJS.ProcessEnv): Promise<Worker> {
  const child = spawn(process.execPath, ['bin/vinculo.js', 'worker'], { cwd: ROOT, env: { ...BASE_ENV, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
  const end = Date.now() + 60_000;
  while (!lines.some((l) => l.includes('vinculo worker is ready'))) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`the worker did not start:\n${lines.join('\n')}`);
    await sleep(50);
  }
  return { child, lines, exited };
}

async function stopWorker(w: Worker): Promise<void> {
  if (w.child.exitCode !== null) return;
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
  await w.exited;
  clearTimeout(timer);
}

// ---- the API -------------------------------------------------------------------------------------------

function client(base: string, id: string, password: string) {
  const authorization = `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`;
  return async <T = any>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

// ---- the drill -----------------------------------------------------------------------------------------

interface EventRow {
  id: string;
  link_id: string | null;
  seq: string;
  status: string | null;
}

async function main(): Promise<number> {
  const started = Date.now();
  const dbName = `vinculo_drill_receiver_${process.pid}_${Date.now().toString(36)}`;
  const dbUrl = (() => {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();

  const keyId = `drill-${randomBytes(4).toString('hex')}`;
  const keyPassword = randomBytes(18).toString('base64url');
  const env = {
    DATABASE_URL: dbUrl,
    VINCULO_MASTER_KEY: randomBytes(32).toString('base64'),
    VINCULO_JOB_POLL_SECONDS: '0.5',
  };
  const receiver = new Receiver();
  let api: Server | undefined;
  let worker: Worker | undefined;
  const db = new pg.Client({ connectionString: dbUrl });
  let dbOpen = false;
  try {
    // The API first (it applies the migrations), then the worker.
    api = await startServer({ ...env, VINCULO_WORKERS: 'false', VINCULO_SECRET_KEY_ID: keyId, VINCULO_SECRET_KEY_PASSWORD: keyPassword });
    worker = await startWorker(env);
    await db.connect();
    dbOpen = true;
    const call = client(api.url, keyId, keyPassword);
    log(`API ${api.url}, one worker, database ${dbName}`);

    await receiver.open();
    const endpoint = await call<{ secret: string }>('POST', '/api/webhooks/', { url: receiver.url });
    receiver.secret = endpoint.secret;

    // 1–2. Down for a virtual hour.
    await receiver.close();
    const clockStart = Date.parse((await call<{ now: string }>('GET', '/sandbox/clock/')).now);
    const links: string[] = [];
    for (const l of LINKS) {
      const link = await call<{ id: string }>('POST', '/api/links/', { ...l, password: 'drill-pass', access_mode: 'recurrent', refresh_rate: '6h' });
      links.push(link.id);
    }
    log(`receiver down; ${links.length} recurrent links registered; advancing ${OUTAGE_SECONDS / 60} virtual minutes in ${STEP_SECONDS / 60}-minute steps`);
    let refreshes = 0;
    for (let t = 0; t < OUTAGE_SECONDS; t += STEP_SECONDS) {
      for (const id of links) {
        await call('POST', `/sandbox/links/${id}/fire_webhook/`, { webhook_type: 'TRANSACTIONS', webhook_code: 'new_transactions_available' });
      }
      refreshes += (await call<{ refreshes: number }>('POST', '/sandbox/clock/advance/', { seconds: STEP_SECONDS })).refreshes;
    }
    const attemptsDown = (await db.query<{ n: number }>(`select coalesce(sum(attempts), 0)::int as n from webhook_deliveries`)).rows[0].n;
    log(`outage over: ${refreshes} scheduled refreshes ran, ${attemptsDown} delivery attempts refused`);

    // 3. Back: advance to each next due retry until nothing is pending (and no event is being written).
    await receiver.open();
    const back = Date.now();
    const clockBack = Date.parse((await call<{ now: string }>('GET', '/sandbox/clock/')).now);
    let quiet = 0;
    let lastEvents = -1;
    for (;;) {
      if (Date.now() - started > DEADLINE_MS) throw new Error(`not recovered within ${DEADLINE_MS / 1000} s`);
      const s = (
        await db.query<{ events: number; pending: number; inflight: number; next: Date | null; jobs: number }>(`
          select (select count(*)::int from webhook_events) as events,
                 count(*) filter (where status = 'pending')::int as pending,
                 count(*) filter (where status = 'pending' and next_attempt_at is null and not waiting)::int as inflight,
                 min(next_attempt_at) filter (where status = 'pending') as next,
                 (select count(*)::int from pgboss.job where name <> 'webhook-deliver' and state in ('created', 'retry', 'active')) as jobs
          from webhook_deliveries`)
      ).rows[0];
      if (s.pending === 0 && s.jobs === 0 && s.events === lastEvents) {
        if (++quiet >= 3) break;
      } else quiet = 0;
      lastEvents = s.events;
      if (s.pending > 0 && s.inflight === 0 && s.next) {
        const now = Date.parse((await call<{ now: string }>('GET', '/sandbox/clock/')).now);
        const seconds = Math.max(1, Math.ceil((s.next.getTime() - now) / 1000) + 1);
        await call('POST', '/sandbox/clock/advance/', { seconds });
        continue;
      }
      await sleep(100);
    }
    const clockEnd = Date.parse((await call<{ now: string }>('GET', '/sandbox/clock/')).now);

    // 4. Every stored event against what arrived.
    const events = (
      await db.query<EventRow>(`
        select e.id, e.link_id, d.seq, d.status from webhook_events e left join webhook_deliveries d on d.event_id = e.id
        order by d.seq`)
    ).rows;
    const first = new Map<string, Arrival>();
    for (const a of receiver.arrivals) if (!first.has(a.webhookId)) first.set(a.webhookId, a);
    const lost = events.filter((e) => !first.has(e.id));
    const notDelivered = events.filter((e) => e.status !== 'delivered');
    // Per link, in creation order: each event's first arrival after the one before it.
    let outOfOrder = 0;
    const byLink = new Map<string, EventRow[]>();
    for (const e of events) if (e.link_id) byLink.set(e.link_id, [...(byLink.get(e.link_id) ?? []), e]);
    for (const list of byLink.values()) {
      let last = -1;
      for (const e of list) {
        const a = first.get(e.id);
        if (!a) continue;
        if (a.n < last) outOfOrder++;
        last = Math.max(last, a.n);
      }
    }
    const known = new Set(events.map((e) => e.id));
    const strangers = receiver.arrivals.filter((a) => !known.has(a.webhookId)).length;
    const badSignatures = receiver.arrivals.filter((a) => !a.validSignature).length;
    const duplicates = receiver.arrivals.length - first.size;
    const lastArrival = Math.max(...[...first.values()].map((a) => a.at));
    const recoveryMs = lastArrival - back;

    log('');
    log(`receiver outage drill: ${OUTAGE_SECONDS / 60} virtual minutes down, ${links.length} links, 1 API + 1 worker process, PostgreSQL`);
    log('events   delivered   duplicates   out-of-order   lost   bad signatures   recovery (real)   recovery (virtual)');
    log(
      `${String(events.length).padStart(6)}   ${String(events.length - notDelivered.length).padStart(9)}   ${String(duplicates).padStart(10)}   ${String(outOfOrder).padStart(12)}   ${String(lost.length).padStart(4)}   ${String(badSignatures).padStart(14)}   ${`${(recoveryMs / 1000).toFixed(1)} s`.padStart(15)}   ${`${Math.round((clockEnd - clockBack) / 60_000)} min`.padStart(18)}`,
    );
    log(`(${byLink.size} links; virtual time from the outage's start to recovery ${Math.round((clockEnd - clockStart) / 60_000)} min; whole drill ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    const problems = [
      lost.length && `${lost.length} event(s) never arrived: ${lost.slice(0, 5).map((e) => e.id).join(', ')}`,
      outOfOrder && `${outOfOrder} event(s) arrived before an earlier event of their link`,
      badSignatures && `${badSignatures} request(s) with a signature that does not verify`,
      notDelivered.length && `${notDelivered.length} delivery(ies) not delivered: ${[...new Set(notDelivered.map((e) => e.status))].join(', ')}`,
      strangers && `${strangers} request(s) for events not in the database`,
      events.length === 0 && 'no events at all',
    ].filter(Boolean);
    for (const p of problems) log(`FAIL: ${p}`);
    if (!problems.length) log('OK: every event arrived, in order per link, signed');
    return problems.length ? 1 : 0;
  } finally {
    if (dbOpen) await db.end().catch(() => {});
    await receiver.close();
    if (worker) await stopWorker(worker).catch(() => {});
    if (api) await stopServer(api).catch(() => {});
    const cleanup = new pg.Client({ connectionString: ADMIN_URL });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await cleanup.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`drill failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
