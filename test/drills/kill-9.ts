import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { admin, call, check, connectionError, drill, freshDatabase, startApi, startWorker, table, type Answer, type Proc } from './processes.js';

/**
 * Drill 1 (issue 11): kill -9 loses nothing.
 *
 * Two API processes (VINCULO_WORKERS=false) and two `vinculo worker` processes share one fresh
 * PostgreSQL database, with a webhook endpoint pointing at a receiver in this script that takes
 * 300 ms to answer (so deliveries are in flight). A load generator acting as a load balancer
 * (round-robin; a connection error, a 503 or a 409 idempotency_key_in_use is retried on the other
 * process, POSTs carrying an Idempotency-Key) sends link registrations, synchronous retrievals
 * (of `slow…` sandbox users: 2 s each, so some are always in flight), asynchronous retrievals
 * of transactions (202), sandbox webhook firings (a steady stream of events) and reads. The sandbox clock moves 20 virtual minutes a second, so the recurrent links'
 * 6-hourly refreshes come due and run in the workers. Then, one at a time, each replaced after:
 *
 *  1. `kill -9` an API process while it has requests in flight;
 *  2. `kill -9` a worker while it runs a refresh (a refresh job running at the kill that is
 *     still `active` once every live refresh would have ended belonged to it; if none did, the
 *     other worker is tried, up to 4 kills);
 *  3. `kill -9` a worker while it has a delivery in flight (the receiver sees the request's
 *     connection close unanswered; same retry).
 *
 * Then it waits until every job and delivery has settled and checks:
 *  - every 2xx answer's effect is stored: each 201 registration's link (exactly one per key), each
 *    201 retrieval's objects, each 202 retrieval's webhook (its request_id);
 *  - every accepted refresh completed exactly once: every refresh and first-load job completed,
 *    and each recurrent link has one scheduled refresh per 6-hour slot that came due;
 *  - every webhook event was delivered at least once, with the same webhook-id, and every
 *    delivery ended `delivered` (those cut off by the kill arrived again).
 *
 * A killed worker's jobs come back once pg-boss's maintenance finds them past their expiry: the
 * workers run with VINCULO_JOB_TIMEOUT_SECONDS=10 (refresh jobs; production default 900) and a
 * delivery's expiry is its fixed 60 s, so the drill takes about two minutes. `npm run drill:kill`.
 */

const HOUR = 3600_000;
const PERIOD = 6 * HOUR;
const CLOCK_STEP_MS = 20 * 60_000;
const RECURRENT = 16;
const RETRIEVAL_LINKS = 6;
const MAX_ATTEMPTS = 80;
const SETTLE_DEADLINE_MS = 240_000;
// The job queue's settings must be the same in every process: each applies its own to the queues as it starts.
const WORKER_ENV = { VINCULO_JOB_POLL_SECONDS: '0.5', VINCULO_JOB_TIMEOUT_SECONDS: '10' };
const API_ENV = { ...WORKER_ENV, VINCULO_WORKERS: 'false' };

type Kind = 'register' | 'retrieve' | 'retrieve-async' | 'fire' | 'list' | 'get';

/** A month of transactions ending yesterday (real time; the virtual clock only moves ahead of it). */
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const MONTH = { date_from: day(Date.now() - 31 * 86_400_000), date_to: day(Date.now() - 86_400_000) };

interface Outcome {
  kind: Kind;
  attempts: number;
  /** Each attempt: process, answer, ms since the drill's start (for a registration that ran twice). */
  trace: string[];
  final: Answer;
  key: string;
  link?: string;
}

/** The webhook receiver: answers after 300 ms; records arrivals and requests cut off unanswered. */
function receiver() {
  const arrivals: Array<{ webhookId: string; at: number; body: any }> = [];
  const cut: Array<{ webhookId: string; at: number }> = [];
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const webhookId = String(req.headers['webhook-id']);
      inFlight++;
      let answered = false;
      res.on('close', () => {
        inFlight--;
        if (!answered) cut.push({ webhookId, at: Date.now() });
      });
      setTimeout(() => {
        if (res.destroyed) return;
        answered = true;
        arrivals.push({ webhookId, at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end();
      }, 300);
    });
  });
  return {
    arrivals,
    cut,
    inFlight: () => inFlight,
    url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`,
    listen: () => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

await drill('drill 1 (kill -9)', async () => {
  const failures: string[] = [];
  const url = await freshDatabase('kill');
  const q = <T extends Record<string, any>>(text: string, params: unknown[] = []) => admin((c) => c.query<T>(text, params), url).then((r) => r.rows);
  const apis: Proc[] = [await startApi('api-1', url, API_ENV)];
  apis.push(await startApi('api-2', url, API_ENV));
  const workers: Proc[] = [await startWorker('worker-1', url, WORKER_ENV), await startWorker('worker-2', url, WORKER_ENV)];
  const hooks = receiver();
  await hooks.listen();
  const endpoint = await call(apis[0].base, 'POST', '/api/webhooks/', { url: hooks.url() });
  if (endpoint.status !== 201) throw new Error(`webhook endpoint: ${endpoint.status} ${JSON.stringify(endpoint.body)}`);

  // Recurrent links refreshed by the schedule (slow: a refresh takes ~2 s) and single links to retrieve from.
  const register = (body: Record<string, unknown>) => call(apis[0].base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', password: 'pass', ...body });
  const recurrent: string[] = [];
  for (let i = 0; i < RECURRENT; i++) {
    const r = await register({ username: `slow_k9_${i}`, access_mode: 'recurrent', refresh_rate: '6h', fetch_resources: ['ACCOUNTS'] });
    if (r.status !== 201) throw new Error(`seeding a link: ${r.status} ${JSON.stringify(r.body)}`);
    recurrent.push(r.body.id);
  }
  const free: string[] = [];
  for (let i = 0; i < RETRIEVAL_LINKS; i++) {
    const r = await register({ username: `slow_k9_r${i}`, access_mode: 'single' });
    if (r.status !== 201) throw new Error(`seeding a link: ${r.status} ${JSON.stringify(r.body)}`);
    free.push(r.body.id);
  }
  const loaded = async () => (await q(`select count(*)::int as n from links where last_refresh_at is not null and id = any($1)`, [recurrent]))[0].n;
  for (const end = Date.now() + 90_000; (await loaded()) < RECURRENT; await sleep(250)) {
    if (Date.now() > end) throw new Error('the first loads did not finish within 90 s');
  }
  const slots = new Map((await q<{ id: string; next_refresh_at: Date }>(`select id, next_refresh_at from links where id = any($1)`, [recurrent])).map((r) => [r.id, r.next_refresh_at.getTime()]));
  const clockNow = async () => Date.parse((await call(apis[1].base, 'GET', '/sandbox/clock/')).body.now);

  // ---- the load ----------------------------------------------------------------------------------
  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  const inFlight = new Map<Proc, number>();
  const pending = new Set<Promise<void>>();
  let retries = 0;
  let cutRequests = 0;
  let rr = 0;
  const send = (target: Proc, kind: Kind, key: string, link?: string): Promise<Answer> => {
    const idem = { 'idempotency-key': key };
    switch (kind) {
      case 'register':
        return call(target.base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `u_${key}`, password: 'pass', access_mode: 'single', external_id: key }, idem);
      case 'retrieve':
        return call(target.base, 'POST', '/api/accounts/', { link, save_data: true }, idem, 30_000);
      case 'retrieve-async':
        // Belvo runs transactions in the background on request (the only resource it does so for).
        return call(target.base, 'POST', '/api/transactions/', { link, ...MONTH, save_data: true }, { ...idem, 'x-belvo-request-mode': 'async' });
      case 'fire':
        // A steady source of webhook events, so deliveries are in flight when a worker is killed.
        return call(target.base, 'POST', `/sandbox/links/${link}/fire_webhook/`, { webhook_type: 'TRANSACTIONS', webhook_code: 'new_transactions_available' }, idem);
      case 'list':
        return call(target.base, 'GET', '/api/links/?page_size=10');
      case 'get':
        return call(target.base, 'GET', `/api/links/${recurrent[key.charCodeAt(0) % recurrent.length]}/`);
    }
  };
  const request = async (kind: Kind, link?: string) => {
    const key = randomUUID();
    let answer: Answer | undefined;
    let attempts = 0;
    const trace: string[] = [];
    while (attempts < MAX_ATTEMPTS) {
      const target = apis[rr++ % 2];
      attempts++;
      inFlight.set(target, (inFlight.get(target) ?? 0) + 1);
      const sent = performance.now();
      answer = await send(target, kind, key, link);
      inFlight.set(target, inFlight.get(target)! - 1);
      trace.push(`${target.name} ${answer.status || answer.error} ${answer.body?.[0]?.code ?? ''} @${(sent - t0).toFixed(0)}+${(performance.now() - sent).toFixed(0)}ms`);
      // "Try again": the key's first request still runs (or died: its key goes stale in 20 s), or
      // the link's institution session is held (by a retrieval or refresh a dead worker left).
      const code = answer.body?.[0]?.code;
      const inUse = code === 'idempotency_key_in_use' || code === 'too_many_sessions';
      if (connectionError(answer) && /closed|reset|socket|terminated/i.test(answer.error ?? '')) cutRequests++;
      if (!connectionError(answer) && answer.status !== 503 && !inUse) break;
      retries++;
      await sleep(inUse ? 500 : 50);
    }
    outcomes.push({ kind, attempts, trace, final: answer!, key, link });
    // A retrieval link is used by one retrieval at a time (one institution session per link).
    // After a 202 the retrieval still runs: give its link back a little later.
    if (link && kind !== 'fire') setTimeout(() => free.push(link), kind === 'retrieve-async' ? 5000 : 0);
  };
  let stopLoad = false;
  const load = (async () => {
    for (let i = 0; !stopLoad; i++) {
      let p: Promise<void>;
      if (i % 10 === 0) p = request('register');
      else if (i % 10 === 3 && free.length) p = request('retrieve', free.shift());
      else if (i % 10 === 7 && free.length) p = request('retrieve-async', free.shift());
      else if (i % 10 === 5) p = request('fire', recurrent[i % recurrent.length]);
      else p = request(i % 2 ? 'list' : 'get');
      pending.add(p);
      void p.finally(() => pending.delete(p));
      await sleep(50);
    }
  })();
  let moveClock = true;
  const clock = (async () => {
    while (moveClock) {
      await q(`update tenants set clock_offset_ms = clock_offset_ms + $1`, [CLOCK_STEP_MS]);
      await sleep(1000);
    }
  })();

  const kills: Array<[string, string | number]> = [];
  /** What is going on, for a drill that got stuck. */
  const state = async () => {
    const jobs = await q(`select name, state, count(*)::int as n from pgboss.job group by 1, 2 order by 1, 2`);
    const deliveries = await q(`select status, count(*)::int as n from webhook_deliveries group by 1`);
    const answers: Record<string, number> = {};
    for (const o of outcomes) answers[`${o.kind} ${o.final.status || o.final.error}`] = (answers[`${o.kind} ${o.final.status || o.final.error}`] ?? 0) + 1;
    return JSON.stringify({ jobs, deliveries, answers, arrivals: hooks.arrivals.length, cut: hooks.cut.length, free: free.length });
  };
  const until = async (what: string, ok: () => Promise<boolean> | boolean, ms = 30_000) => {
    for (const end = Date.now() + ms; !(await ok()); await sleep(50)) if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s; ${await state()}`);
  };

  // 1. An API process, with requests in flight.
  await sleep(3000);
  {
    const victim = apis[0];
    await until('api-1 to have requests in flight', () => (inFlight.get(victim) ?? 0) > 0);
    const before = cutRequests;
    const running = inFlight.get(victim) ?? 0;
    const t = performance.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    apis[0] = await startApi("api-1'", url, API_ENV);
    await sleep(1000);
    kills.push(['kill -9 api-1: requests in flight', running]);
    kills.push(['  requests cut off (retried on api-2)', cutRequests - before]);
    kills.push(['  replacement ready after', `${(performance.now() - t).toFixed(0)} ms`]);
  }

  // 2. A worker in the middle of a refresh: a job active at the kill and still active once every
  //    live refresh would have ended (a slow refresh takes ~2 s) was the dead worker's.
  const activeRefreshes = async () => (await q<{ id: string }>(`select id from pgboss.job where name = 'link-refresh' and state = 'active'`)).map((r) => r.id);
  let cutRefreshes: string[] = [];
  let killedAt = 0;
  for (let attempt = 0; attempt < 4 && cutRefreshes.length === 0; attempt++) {
    const w = attempt % 2;
    let active: string[] = [];
    await until('a refresh to run', async () => (active = await activeRefreshes()).length > 0, 60_000);
    killedAt = performance.now();
    workers[w].child.kill('SIGKILL');
    await workers[w].exited;
    await sleep(5000);
    const still = new Set(await activeRefreshes());
    cutRefreshes = active.filter((id) => still.has(id));
    workers[w] = await startWorker(`worker-${w + 1}'`, url, WORKER_ENV);
    kills.push([`kill -9 worker-${w + 1} (refresh attempt ${attempt + 1}): refreshes running`, `${active.length}, of which cut off: ${cutRefreshes.length}`]);
  }
  check(failures, cutRefreshes.length > 0, 'no kill cut a refresh off: the drill did not test what it should');
  // No more slots: a refresh cut off comes back on the same slot (the clock no longer jumps past it).
  moveClock = false;
  await clock;
  const clockEnd = await clockNow();

  // 3. A worker with a delivery in flight: the receiver sees its connection close unanswered.
  let cutDeliveries = 0;
  for (let attempt = 0; attempt < 4 && cutDeliveries === 0; attempt++) {
    const w = attempt % 2;
    const before = hooks.cut.length;
    await until('a delivery in flight', () => hooks.inFlight() > 0, 60_000);
    workers[w].child.kill('SIGKILL');
    await workers[w].exited;
    await sleep(1000);
    cutDeliveries = hooks.cut.length - before;
    workers[w] = await startWorker(`worker-${w + 1}''`, url, WORKER_ENV);
    kills.push([`kill -9 worker-${w + 1} (delivery attempt ${attempt + 1}): deliveries cut off`, cutDeliveries]);
  }
  check(failures, cutDeliveries > 0, 'no kill cut a delivery off: the drill did not test what it should');
  await sleep(2000);
  stopLoad = true;
  await load;
  await Promise.all(pending);

  // ---- settle: every job done, every delivery ended --------------------------------------------
  const settleStart = performance.now();
  const unsettled = async () =>
    (
      await q<{ jobs: number; deliveries: number }>(`
        select (select count(*)::int from pgboss.job where state in ('created', 'retry', 'active')) as jobs,
               (select count(*)::int from webhook_deliveries where status = 'pending') as deliveries`)
    )[0];
  let last = await unsettled();
  for (let quiet = 0; quiet < 3; await sleep(500)) {
    if (performance.now() - settleStart > SETTLE_DEADLINE_MS) {
      failures.push(`not settled within ${SETTLE_DEADLINE_MS / 1000} s: ${JSON.stringify(last)}`);
      break;
    }
    last = await unsettled();
    quiet = last.jobs === 0 && last.deliveries === 0 ? quiet + 1 : 0;
  }
  const settled = performance.now();
  const clockChecked = await clockNow();

  // ---- what was lost -----------------------------------------------------------------------------
  const ok = (o: Outcome) => o.final.status >= 200 && o.final.status < 300;
  for (const o of outcomes.filter((o) => !ok(o))) {
    failures.push(`${o.kind} ${o.key} after ${o.attempts} attempts: ${o.final.status || o.final.error} ${JSON.stringify(o.final.body)}`);
  }
  // Registrations: each 201 stored, exactly once per key — also when the process that ran the key first
  // was killed between storing the link and storing its answer (the link's transaction recorded it
  // under the key, and the retry that takes the key over 20 s later answers with that link).
  const byExternal = new Map<string, string[]>();
  for (const r of await q<{ id: string; external_id: string }>(`select id, external_id from links where external_id is not null`)) {
    byExternal.set(r.external_id, [...(byExternal.get(r.external_id) ?? []), r.id]);
  }
  const registered = outcomes.filter((o) => o.kind === 'register' && o.final.status === 201);
  let twice = 0;
  let takenOver = 0;
  for (const o of registered) {
    const ids = byExternal.get(o.key) ?? [];
    if (!ids.includes(o.final.body.id)) failures.push(`registration ${o.key}: the link answered (${o.final.body.id}) is not stored`);
    else if (ids.length !== 1) {
      twice++;
      failures.push(`registration ${o.key}: ${ids.length} links stored (want 1, ${o.final.body.id}); attempts: ${o.trace.join(' | ')}`);
    }
    if (o.attempts > 1 && o.trace.some((t) => /idempotency_key_in_use/.test(t))) takenOver++;
  }
  // Synchronous retrievals: the objects answered are stored.
  const retrieved = outcomes.filter((o) => o.kind === 'retrieve' && o.final.status === 201);
  const stored = new Set((await q<{ id: string }>(`select id from accounts`)).map((r) => r.id));
  for (const o of retrieved) {
    const missing = (o.final.body as Array<{ id: string }>).filter((a) => !stored.has(a.id));
    if (missing.length) failures.push(`retrieval ${o.key}: ${missing.length} account(s) answered 201 are not stored`);
  }
  // Asynchronous retrievals: the webhook naming the 202's request_id arrived.
  const accepted = outcomes.filter((o) => o.kind === 'retrieve-async' && o.final.status === 202);
  const announced = new Set(hooks.arrivals.map((a) => a.body?.request_id).filter(Boolean));
  for (const o of accepted) if (!announced.has(o.final.body.request_id)) failures.push(`async retrieval ${o.key}: no webhook for request ${o.final.body.request_id}`);

  // Refreshes: every job completed; one scheduled refresh per slot that came due.
  const jobs = await q<{ id: string; name: string; state: string; retry_count: number; link: string; reason: string | null; output: string | null }>(`
    select id, name, state, retry_count, data->>'linkId' as link, data->>'reason' as reason, output::text as output
    from pgboss.job where name in ('link-refresh', 'historical-load')`);
  for (const j of jobs.filter((j) => j.state !== 'completed')) failures.push(`${j.name} ${j.id} (link ${j.link}) ended ${j.state}`);
  const passed = (slot: number, t: number) => (t < slot ? 0 : Math.floor((t - slot) / PERIOD) + 1);
  // A slot's job sent again (its claim guard, one virtual hour, ran out while a dead worker held the
  // first) finds the slot refreshed and ends `skipped`: exactly one refresh ran per slot.
  const scheduled = jobs.filter((j) => j.name === 'link-refresh' && j.reason === 'scheduled');
  const ran = scheduled.filter((j) => j.output?.includes('refreshed'));
  let due = 0;
  for (const [link, slot] of slots) {
    const n = ran.filter((j) => j.link === link).length;
    const low = passed(slot, clockEnd);
    due += low;
    if (n < low || n > passed(slot, clockChecked)) {
      failures.push(`link ${link}: ${n} refresh(es) ran for ${low} slot(s) due`);
      // What the next investigation needs: the link's schedule, the clock, and every job of the link.
      const [row] = await q<Record<string, unknown>>(`select status, next_refresh_at, last_refresh_at, refresh_attempts, session_lease_token, session_lease_until from links where id = $1`, [link]);
      const iso = (t: number) => new Date(t).toISOString();
      failures.push(`  first slot ${iso(slot)}, clock when it stopped ${iso(clockEnd)}, at the check ${iso(clockChecked)}; link now ${JSON.stringify(row)}`);
      const history = await q<Record<string, unknown>>(
        `select id, state, retry_count, data, output, created_on, started_on, completed_on from pgboss.job where name in ('link-refresh', 'historical-load') and data->>'linkId' = $1 order by created_on`,
        [link],
      );
      for (const j of history) failures.push(`  job ${JSON.stringify(j)}`);
    }
  }
  const cutJobs = jobs.filter((j) => cutRefreshes.includes(j.id));
  for (const j of cutJobs) if (j.state !== 'completed' || j.retry_count < 1) failures.push(`refresh ${j.id} cut off by the kill: ${j.state}, ${j.retry_count} retries`);

  // Webhooks: every event arrived (the same webhook-id), every delivery delivered.
  const events = await q<{ id: string; status: string }>(`select e.id, d.status from webhook_events e join webhook_deliveries d on d.event_id = e.id`);
  const arrived = new Set(hooks.arrivals.map((a) => a.webhookId));
  const lostEvents = events.filter((e) => !arrived.has(e.id));
  for (const e of lostEvents.slice(0, 5)) failures.push(`webhook event ${e.id} never arrived`);
  check(failures, lostEvents.length === 0, `${lostEvents.length} webhook event(s) never arrived`);
  const undelivered = events.filter((e) => e.status !== 'delivered');
  check(failures, undelivered.length === 0, `${undelivered.length} delivery(ies) not delivered: ${[...new Set(undelivered.map((e) => e.status))].join(', ')}`);
  const redelivered = hooks.cut.filter((c) => arrived.has(c.webhookId));
  check(failures, redelivered.length === hooks.cut.length, `${hooks.cut.length - redelivered.length} delivery(ies) cut off never arrived again`);
  const lastRedelivery = Math.max(0, ...hooks.cut.map((c) => Math.min(...hooks.arrivals.filter((a) => a.webhookId === c.webhookId && a.at > c.at).map((a) => a.at - c.at))));

  for (const p of [...apis, ...workers]) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  await hooks.close();

  const count = (k: Kind) => `${outcomes.filter((o) => o.kind === k && ok(o)).length} / ${outcomes.filter((o) => o.kind === k).length}`;
  table('drill 1: kill -9 under load (2 API processes + 2 workers on PostgreSQL)', [
    ['requests', outcomes.length],
    ['retries (on the other process)', retries],
    ['failures at the generator', outcomes.filter((o) => !ok(o)).length],
    ['registrations 2xx / sent (each stored)', count('register')],
    ['  retried past a dead process\'s key (409, then taken over) / stored twice', `${takenOver} / ${twice}`],
    ['sync retrievals 2xx / sent (objects stored)', count('retrieve')],
    ['async retrievals 202 / sent (webhook arrived)', count('retrieve-async')],
    ['sandbox webhooks fired 2xx / sent', count('fire')],
    ...kills,
    ['refresh jobs cut off, completed on retry', `${cutJobs.filter((j) => j.state === 'completed').length} / ${cutRefreshes.length}`],
    ['scheduled slots due / refreshes run (exactly once per slot)', `${due} / ${ran.length}`],
    ['  slot jobs sent again, found done (skipped)', scheduled.length - ran.length],
    ['webhook events / arrived / duplicates', `${events.length} / ${events.length - lostEvents.length} / ${hooks.arrivals.length - arrived.size}`],
    ['deliveries cut off, arrived again (same webhook-id)', `${redelivered.length} / ${hooks.cut.length}`],
    ['longest cut-off delivery → its redelivery', `${(lastRedelivery / 1000).toFixed(1)} s`],
    ['refresh kill → everything settled', `${((settled - killedAt) / 1000).toFixed(1)} s`],
  ]);
  for (const f of failures.slice(0, 20)) console.log(`LOST/FAILED: ${f}`);
  if (failures.length > 20) console.log(`… and ${failures.length - 20} more`);
  return failures.length === 0;
});
