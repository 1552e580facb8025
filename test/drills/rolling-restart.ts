import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { admin, call, check, connectionError, drill, freshDatabase, startApi, startWorker, table, type Answer, type Proc } from './processes.js';

/**
 * Drill 2 (issue 11): a rolling restart loses nothing.
 *
 * Two API processes (VINCULO_WORKERS=false) and one `vinculo worker` share one fresh PostgreSQL
 * database. A load generator sends ~20 req/s round-robin — GET /api/links/, GET /api/links/{id}/,
 * and a POST /api/links/ with an Idempotency-Key each second — and, like a load balancer, retries
 * a connection error (refused, reset, closed) or a 503 on the other process (the POSTs are safe
 * to retry with their key; a 409 idempotency_key_in_use is retried too, after a pause). Each API
 * process in turn gets SIGTERM: it must exit 0, then a replacement starts and becomes ready;
 * then the worker likewise, while it runs first loads: each POST registers a recurrent link whose
 * first load (a historical-load job) the worker runs, and the worker gets its SIGTERM only once a
 * burst of registrations has it running one. Verified: no request failed at the generator (each
 * got a non-5xx answer eventually), every POST answered 201 has its link stored (exactly one per
 * key), every link's first load completed exactly once (the stopping worker finished or released
 * its jobs; nothing failed), exit codes 0. Prints requests, retries, failures, jobs running when
 * the worker was stopped and the time of each restart. `npm run drill:restart`.
 */

const MAX_ATTEMPTS = 8;

interface Outcome {
  kind: 'list' | 'get' | 'post';
  attempts: number;
  final: Answer;
  key?: string;
}

await drill('drill 2 (rolling restart)', async () => {
  const failures: string[] = [];
  const url = await freshDatabase('restart');
  const apiEnv = { VINCULO_WORKERS: 'false' };
  const slots: Proc[] = [await startApi('api-1', url, apiEnv)];
  slots.push(await startApi('api-2', url, apiEnv));
  let worker = await startWorker('worker-1', url);

  const links: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await call(slots[0].base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `seed${i}`, password: 'pass', access_mode: 'recurrent' });
    if (r.status !== 201) throw new Error(`seeding a link: ${r.status} ${JSON.stringify(r.body)}`);
    links.push(r.body.id);
  }

  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let retries = 0;
  const send = (s: Proc, kind: Outcome['kind'], key?: string) =>
    kind === 'post'
      ? call(s.base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `u_${key}`, password: 'pass', access_mode: 'recurrent', external_id: key }, { 'idempotency-key': key! })
      : kind === 'list'
        ? call(s.base, 'GET', '/api/links/?page_size=10')
        : call(s.base, 'GET', `/api/links/${links[Math.floor(Math.random() * links.length)]}/`);
  // The load balancer: round-robin, and a failed attempt goes to the other process.
  const request = async (first: number, kind: Outcome['kind'], key?: string) => {
    let answer: Answer = await send(slots[first % 2], kind, key);
    let attempts = 1;
    for (let n = first + 1; attempts < MAX_ATTEMPTS; n++) {
      const inUse = answer.status === 409 && answer.body?.[0]?.code === 'idempotency_key_in_use';
      if (!connectionError(answer) && answer.status !== 503 && !inUse) break;
      retries++;
      attempts++;
      await sleep(inUse ? 500 : 50);
      answer = await send(slots[n % 2], kind, key);
    }
    outcomes.push({ kind, attempts, final: answer, key });
  };
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const p = i % 20 === 0 ? request(i, 'post', randomUUID()) : request(i, i % 2 ? 'list' : 'get');
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      await sleep(50);
    }
  })();

  const restarts: Array<[string, string]> = [];
  const exitCodes: string[] = [];
  await sleep(3_000);
  for (const i of [0, 1]) {
    const old = slots[i];
    const t = performance.now();
    old.child.kill('SIGTERM');
    const { code, signal } = await old.exited;
    const stopped = performance.now() - t;
    exitCodes.push(`${old.name}: ${code ?? signal}`);
    check(failures, code === 0, `${old.name} exited ${code ?? signal}:\n${old.lines.slice(-15).join('\n')}`);
    slots[i] = await startApi(`api-${i + 1}'`, url, apiEnv);
    restarts.push([old.name, `stopped in ${stopped.toFixed(0)} ms, replacement ready after ${(performance.now() - t).toFixed(0)} ms`]);
    await sleep(3_000);
  }
  let runningAtStop = 0;
  {
    // A burst of registrations, then SIGTERM once the worker is running one of their first loads.
    for (let i = 0; i < 8; i++) {
      const p = request(i, 'post', randomUUID());
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    const activeLoads = async () =>
      (await admin((c) => c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'historical-load' AND state = 'active'`), url)).rows[0].n;
    for (let i = 0; i < 100 && runningAtStop === 0; i++) {
      runningAtStop = await activeLoads();
      if (!runningAtStop) await sleep(50);
    }
    check(failures, runningAtStop > 0, 'the worker was never seen running a first load before its SIGTERM');
    const t = performance.now();
    worker.child.kill('SIGTERM');
    const { code, signal } = await worker.exited;
    const stopped = performance.now() - t;
    exitCodes.push(`${worker.name}: ${code ?? signal}`);
    check(failures, code === 0, `${worker.name} exited ${code ?? signal}:\n${worker.lines.slice(-15).join('\n')}`);
    worker = await startWorker('worker-1\'', url);
    restarts.push(['worker-1', `stopped in ${stopped.toFixed(0)} ms, replacement ready after ${(performance.now() - t).toFixed(0)} ms`]);
  }
  await sleep(3_000);
  stop = true;
  await load;
  await Promise.all(inFlight);
  // Every link's first load, the replacement worker's too: done once, none failed (at most 60 s).
  type Loads = { id: string; loaded: boolean; completed: number; other: number };
  const firstLoads = async () =>
    (
      await admin(
        (c) =>
          c.query<Loads>(`
            SELECT l.id, l.last_refresh_at IS NOT NULL AS loaded,
              (SELECT count(*)::int FROM pgboss.job j WHERE j.name = 'historical-load' AND j.data->>'linkId' = l.id::text AND j.state = 'completed') AS completed,
              (SELECT count(*)::int FROM pgboss.job j WHERE j.name = 'historical-load' AND j.data->>'linkId' = l.id::text AND j.state NOT IN ('completed', 'created', 'retry', 'active')) AS other
            FROM links l`),
        url,
      )
    ).rows;
  let loads = await firstLoads();
  for (let i = 0; i < 120 && loads.some((l) => !l.loaded || l.completed === 0); i++) {
    await sleep(500);
    loads = await firstLoads();
  }
  for (const l of loads) {
    check(failures, l.loaded, `link ${l.id}: its first load never ran`);
    check(failures, l.completed === 1 && l.other === 0, `link ${l.id}: first-load jobs completed ${l.completed}, failed or cancelled ${l.other} (want 1 and 0)`);
  }
  for (const s of slots) {
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    exitCodes.push(`${s.name}: ${code}`);
    check(failures, code === 0, `${s.name} exited ${code} at the end`);
  }
  worker.child.kill('SIGTERM');
  exitCodes.push(`${worker.name}: ${(await worker.exited).code}`);

  const ok = (o: Outcome) => o.final.status >= 200 && o.final.status < 300;
  for (const o of outcomes.filter((o) => !ok(o))) {
    failures.push(`${o.kind}${o.key ? ` ${o.key}` : ''} after ${o.attempts} attempts: ${o.final.status || o.final.error} ${JSON.stringify(o.final.body)}`);
  }
  const created = outcomes.filter((o) => o.kind === 'post' && o.final.status === 201);
  const stored = await admin((c) => c.query<{ id: string; external_id: string | null }>('SELECT id, external_id FROM links'), url).then((r) => r.rows);
  for (const o of created) {
    const rows = stored.filter((r) => r.external_id === o.key);
    if (rows.length !== 1 || rows[0].id !== o.final.body.id) failures.push(`POST ${o.key}: ${rows.length} links stored (want exactly 1, id ${o.final.body.id})`);
  }
  const posts = outcomes.filter((o) => o.kind === 'post').length;
  check(failures, stored.length === links.length + posts, `links stored: ${stored.length}, want ${links.length + posts}`);

  table('drill 2: rolling restart under load (2 API processes + 1 worker, SIGTERM one at a time)', [
    ['requests', outcomes.length],
    ['retries (on the other process)', retries],
    ['requests that needed a retry', outcomes.filter((o) => o.attempts > 1).length],
    ['failures at the generator', outcomes.filter((o) => !ok(o)).length],
    ['POSTs answered 201 / sent', `${created.length} / ${posts}`],
    ['links stored / expected', `${stored.length} / ${links.length + posts}`],
    ['first loads running when the worker got SIGTERM', runningAtStop],
    ['first loads completed exactly once / links', `${loads.filter((l) => l.loaded && l.completed === 1 && l.other === 0).length} / ${loads.length}`],
    ...restarts,
    ['exit codes', exitCodes.join(', ')],
  ]);
  for (const f of failures.slice(0, 20)) console.log(`LOST/FAILED: ${f}`);
  if (failures.length > 20) console.log(`… and ${failures.length - 20} more`);
  return failures.length === 0;
});
