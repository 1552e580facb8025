/**
 * What request logging costs per request: `npx tsx bench/request-log.ts [-- --requests N --rounds R]`.
 *
 * Four fastify apps with one trivial route, the same logger (src/logging.ts, level info, to
 * /dev/null) and keep-alive HTTP over loopback, one request at a time:
 *   two      fastify's own lines ('incoming request' and 'request completed'), as before issue 11
 *   one      Vinculo's one line per request and the HTTP metrics (src/http/observability.ts)
 *   log-only the same line without the metrics
 *   none     no line at all
 * Prints the CPU time (user + system) of this process per request, client included, as the
 * median of R rounds; every round builds fresh apps and runs them in turn (starting with another
 * one each round), so drift and other load on the machine fall on all of them alike.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { createLogger, redactUrl } from '../src/logging.js';
import { Metrics } from '../src/metrics.js';
import { observeRequests, RequestLogController, UNMATCHED } from '../src/http/observability.js';
import { num } from './options.js';

type Variant = 'two' | 'one' | 'log-only' | 'none';
const VARIANTS: readonly Variant[] = ['two', 'one', 'log-only', 'none'];
const requests = Math.round(num('requests', 'BENCH_REQUESTS', 10_000, 100, 1_000_000));
const rounds = Math.round(num('rounds', 'BENCH_ROUNDS', 9, 1, 100));
const logger: FastifyBaseLogger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));

async function build(variant: Variant): Promise<FastifyInstance> {
  const Controller = variant === 'two' ? LogController : RequestLogController;
  const app = Fastify({ loggerInstance: logger, logController: new Controller({ requestIdLogLabel: 'request_id' }) });
  if (variant === 'one') observeRequests(app, new Metrics());
  if (variant === 'log-only') {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? UNMATCHED;
      const fields = { route, method: request.method, status: reply.statusCode, duration_ms: reply.elapsedTime, url: redactUrl(request.url) };
      request.log.info(fields, 'request');
    });
  }
  app.get('/api/links/:id/', async (req) => ({ id: (req.params as { id: string }).id, status: 'valid' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

/** CPU microseconds per request for `requests` sequential keep-alive GETs. */
async function measure(app: FastifyInstance): Promise<number> {
  const { port } = app.server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (i: number) =>
    new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/api/links/${i}/?token=t`, agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
  try {
    for (let i = 0; i < 200; i++) await get(i); // warm-up
    const start = process.cpuUsage();
    for (let i = 0; i < requests; i++) await get(i);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / requests;
  } finally {
    agent.destroy();
  }
}

const samples = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
for (let round = 0; round < rounds; round++) {
  // Each round starts with another variant: no variant always runs first (right after a GC, say).
  for (let k = 0; k < VARIANTS.length; k++) {
    const variant = VARIANTS[(round + k) % VARIANTS.length];
    const app = await build(variant);
    samples.get(variant)!.push(await measure(app));
    await app.close();
  }
  process.stderr.write(`round ${round + 1}/${rounds}\n`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples.get('none')!);
console.log(`\nCPU per request (µs, median of ${rounds} rounds × ${requests} requests; client included)`);
for (const v of VARIANTS) {
  const m = median(samples.get(v)!);
  console.log(`${v.padEnd(9)} ${m.toFixed(1).padStart(7)}  (+${(m - base).toFixed(1)} over no line)`);
}
