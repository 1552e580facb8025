import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { admin, call, check, drill, freshDatabase, onCleanup, startApi, table, type Answer, type Proc } from './processes.js';

/**
 * Drill 3 (issue 11): the database goes silent for 10 s under load.
 *
 * Two API processes (one runs the background workers) share one fresh PostgreSQL database,
 * reached through a TCP proxy. A steady load — 20 req/s of GET /api/links/ and GET
 * /api/links/{id}/, one POST /api/links/ with an Idempotency-Key each second — runs while the
 * proxy stops passing bytes for 10 s (connections stay open, nothing answers: a frozen database
 * or a partition). Then:
 *  - every request was answered, none hung: success, or 503 service_unavailable with Retry-After;
 *  - both processes stayed up (/healthz 200 during the pause), /readyz 503 during it, 200 after;
 *  - after the resume every request succeeds again;
 *  - every POST that answered 201 has its link in the database, and a client retrying the others
 *    with the same Idempotency-Key gets 201 within a few seconds (a key left `running` by the outage
 *    would be a 409 for 10 minutes) and exactly one link each (nothing lost, nothing doubled).
 * Prints requests, 2xx, 503, other, the longest answer during the pause and the recovery time
 * (resume → first 2xx). `npm run drill:database`.
 */

const PAUSE_MS = 10_000;
const CONNECT_TIMEOUT_S = 2;
const STATEMENT_TIMEOUT_S = 3;
/** The longest a request may take while the database is silent: the statement timeout + 2 s, plus slack for a loaded machine. */
const HANG_LIMIT_MS = (STATEMENT_TIMEOUT_S + 2) * 1000 + 3000;

interface Sent {
  kind: 'list' | 'get' | 'post';
  started: number;
  ended: number;
  key?: string;
  answer: Answer;
}

await drill('drill 3 (database pause)', async () => {
  const failures: string[] = [];
  const direct = await freshDatabase('pause');
  const proxy = await startTcpProxy({ host: new URL(direct).hostname, port: Number(new URL(direct).port || 5432) });
  onCleanup(() => proxy.close());
  const viaProxy = new URL(direct);
  viaProxy.port = String(proxy.port);
  const env = { VINCULO_DB_CONNECT_TIMEOUT_SECONDS: String(CONNECT_TIMEOUT_S), VINCULO_DB_STATEMENT_TIMEOUT_SECONDS: String(STATEMENT_TIMEOUT_S) };
  // One after the other: the first migrates the new database.
  const a = await startApi('api-a (workers)', viaProxy.toString(), env);
  const b = await startApi('api-b', viaProxy.toString(), { ...env, VINCULO_WORKERS: 'false' });
  const apis = [a, b];

  const links: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await call(a.base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `seed${i}`, password: 'pass', access_mode: 'recurrent' });
    if (r.status !== 201) throw new Error(`seeding a link: ${r.status} ${JSON.stringify(r.body)}`);
    links.push(r.body.id);
  }

  const sent: Sent[] = [];
  const inFlight = new Set<Promise<void>>();
  let stop = false;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const fire = (s: Proc, kind: Sent['kind'], key?: string) => {
    const started = now();
    const go =
      kind === 'post'
        ? call(s.base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `u_${key}`, password: 'pass', access_mode: 'single', external_id: key }, { 'idempotency-key': key! })
        : kind === 'list'
          ? call(s.base, 'GET', '/api/links/?page_size=10')
          : call(s.base, 'GET', `/api/links/${links[Math.floor(Math.random() * links.length)]}/`);
    const p = go.then((answer) => void sent.push({ kind, started, ended: now(), key, answer }));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const s = apis[i % 2];
      if (i % 20 === 0) fire(s, 'post', randomUUID());
      else fire(s, i % 2 ? 'list' : 'get');
      await sleep(50);
    }
  })();

  const probe = (s: Proc, path: string) => fetch(`${s.base}${path}`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, (e) => `error ${e.cause?.code ?? e.name}`);

  await sleep(5_000);
  const pausedAt = now();
  proxy.pause();
  await sleep(PAUSE_MS / 2);
  const healthDuring = await Promise.all(apis.map((s) => probe(s, '/healthz')));
  const readyDuring = await Promise.all(apis.map((s) => probe(s, '/readyz')));
  await sleep(pausedAt + PAUSE_MS - now());
  const resumedAt = now();
  proxy.resume();
  // /readyz turns 200 again.
  const readyAfter: Array<number | string> = [];
  for (const s of apis) {
    let status: number | string = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = await probe(s, '/readyz');
      if (status !== 200) await sleep(500);
    }
    readyAfter.push(status);
  }
  await sleep(Math.max(0, resumedAt + 10_000 - now()));
  stop = true;
  await load;
  await Promise.all(inFlight);

  // A client retries what was not answered 201 with the same Idempotency-Key, once the database is back.
  const posts = sent.filter((r) => r.kind === 'post');
  const created = new Map<string, string>(); // key → link id
  let clientRetries = 0;
  for (const p of posts) {
    let answer = p.answer;
    for (let i = 0; answer.status !== 201 && i < 6; i++) {
      if (i > 0) await sleep(1000);
      clientRetries++;
      answer = await call(a.base, 'POST', '/api/links/', { institution: 'erebor_mx_retail', username: `u_${p.key}`, password: 'pass', access_mode: 'single', external_id: p.key }, { 'idempotency-key': p.key! });
    }
    if (answer.status === 201) created.set(p.key!, answer.body.id);
    else failures.push(`POST ${p.key}: still ${answer.status} after retries: ${JSON.stringify(answer.body)}`);
    if (p.answer.status === 201 && answer.body.id !== p.answer.body.id) failures.push(`POST ${p.key}: retry gave another link`);
  }
  const stored = await admin(
    (c) => c.query<{ id: string; external_id: string | null }>('SELECT id, external_id FROM links'),
    direct,
  ).then((r) => r.rows);
  for (const [key, id] of created) {
    const rows = stored.filter((r) => r.external_id === key);
    if (rows.length !== 1 || rows[0].id !== id) failures.push(`POST ${key}: ${rows.length} links stored (want exactly 1, id ${id})`);
  }
  check(failures, stored.length === links.length + created.size, `links stored: ${stored.length}, want ${links.length + created.size}`);

  // Every request was answered: success, or 503 service_unavailable with Retry-After, in time.
  const during = sent.filter((r) => r.started >= pausedAt && r.started < resumedAt);
  const ok = (r: Sent) => r.answer.status >= 200 && r.answer.status < 300;
  const unavailable = (r: Sent) =>
    r.answer.status === 503 && Array.isArray(r.answer.body) && r.answer.body[0]?.code === 'service_unavailable' && !!r.answer.headers?.get('retry-after');
  for (const r of sent) {
    if (!ok(r) && !unavailable(r)) failures.push(`${r.kind} at ${(r.started / 1000).toFixed(1)} s: ${r.answer.status || r.answer.error} ${JSON.stringify(r.answer.body)}`);
  }
  const maxDuring = Math.max(0, ...during.map((r) => r.answer.ms));
  check(failures, maxDuring <= HANG_LIMIT_MS, `a request took ${maxDuring.toFixed(0)} ms during the pause (limit ${HANG_LIMIT_MS})`);
  check(failures, during.some((r) => r.answer.status === 503), 'no 503 during the pause: was the database really silent?');
  check(failures, sent.filter((r) => r.ended < pausedAt).every(ok), 'a request failed before the pause');
  // After the resume: the first 2xx, and everything after it succeeds.
  const afterResume = sent.filter((r) => r.started >= resumedAt).sort((x, y) => x.started - y.started);
  const firstOk = afterResume.filter(ok).sort((x, y) => x.ended - y.ended)[0];
  const recoveryMs = firstOk ? firstOk.ended - resumedAt : NaN;
  const lateFailures = firstOk ? afterResume.filter((r) => r.started > firstOk.ended && !ok(r)) : afterResume;
  check(failures, !!firstOk, 'no request succeeded after the resume');
  check(failures, lateFailures.length === 0, `${lateFailures.length} requests failed after the recovery`);

  check(failures, healthDuring.every((s) => s === 200), `/healthz during the pause: ${healthDuring.join(', ')}`);
  check(failures, readyDuring.every((s) => s === 503), `/readyz during the pause: ${readyDuring.join(', ')}`);
  check(failures, readyAfter.every((s) => s === 200), `/readyz after the resume: ${readyAfter.join(', ')}`);
  check(failures, apis.every((s) => s.alive()), `a process died: ${apis.filter((s) => !s.alive()).map((s) => s.name).join(', ')}`);

  const count = (f: (r: Sent) => boolean, rs = sent) => rs.filter(f).length;
  table('drill 3: PostgreSQL silent for 10 s under load (2 API processes, one with workers)', [
    ['requests', sent.length],
    ['2xx', count(ok)],
    ['503 service_unavailable', count(unavailable)],
    ['other', count((r) => !ok(r) && !unavailable(r))],
    ['requests started during the pause', during.length],
    ['  of which 2xx / 503', `${count(ok, during)} / ${count(unavailable, during)}`],
    ['max latency during the pause', `${maxDuring.toFixed(0)} ms`],
    ['recovery (resume → first 2xx)', `${recoveryMs.toFixed(0)} ms`],
    ['failures after recovery', lateFailures.length],
    ['POSTs (201 at once / after client retries)', `${count((r) => r.kind === 'post' && r.answer.status === 201)} / ${created.size} of ${posts.length}`],
    ['client retries (same Idempotency-Key)', clientRetries],
    ['links stored / expected', `${stored.length} / ${links.length + created.size}`],
    ['/healthz, /readyz during pause', `${healthDuring.join(',')}; ${readyDuring.join(',')}`],
    ['/readyz after resume', readyAfter.join(',')],
    ['processes alive', `${apis.filter((s) => s.alive()).length} / ${apis.length}`],
  ]);
  for (const f of failures.slice(0, 20)) console.log(`LOST/FAILED: ${f}`);
  if (failures.length > 20) console.log(`… and ${failures.length - 20} more`);
  return failures.length === 0;
});
