import { createHash, timingSafeEqual } from 'node:crypto';
import { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { apiError } from '../errors.js';
import type { Health } from '../health.js';
import { redactUrl } from '../logging.js';
import type { Metrics } from '../metrics.js';

/**
 * What operators watch: one log line and one metric sample per request, and the probes
 * /healthz (alive), /readyz (ready for traffic) and /metrics (Prometheus), outside /api/ and
 * without Basic auth (so they never meet the authentication throttle). The probes log at warn
 * only: a scrape or a probe every few seconds would drown the request log.
 */

/** Who may read /metrics: anybody (development default), a Bearer token's holder, or nobody (404). */
export type MetricsAccess = { kind: 'open' } | { kind: 'token'; token: string } | { kind: 'off' };

/** VINCULO_METRICS_TOKEN when set; without it open in development, absent under NODE_ENV=production. */
export function metricsAccess(config: Pick<Config, 'metricsToken' | 'production'>): MetricsAccess {
  if (config.metricsToken) return { kind: 'token', token: config.metricsToken };
  return config.production ? { kind: 'off' } : { kind: 'open' };
}

/** The route label of a request no route serves (404, 405): never the raw URL, which is unbounded. */
export const UNMATCHED = 'unmatched';

/**
 * onResponse: counts the request in the HTTP metrics and writes its one log line at info:
 * request_id (the logger's binding), tenant (when authenticated), route template, method,
 * status, duration and the URL with its secret query parameters redacted. Never a body.
 * Register before the routes, so it applies to every one of them.
 */
export function observeRequests(app: FastifyInstance, metrics: Metrics): void {
  // The metrics' children per (route, method, status), made once (no label object to build and
  // validate per request). Routes are templates and statuses few, so this stays small.
  const series = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const key = `${reply.statusCode} ${request.method} ${route}`;
    let s = series.get(key);
    if (!s) {
      const labels = { route, method: request.method, status: String(reply.statusCode) };
      s = { count: metrics.httpRequests.labels(labels), duration: metrics.httpDuration.labels(labels) };
      series.set(key, s);
    }
    const ms = reply.elapsedTime;
    s.count.inc();
    s.duration.observe(ms / 1000);
    request.log.info(
      {
        tenant: request.principal?.tenantName,
        route,
        method: request.method,
        status: reply.statusCode,
        duration_ms: Math.round(ms * 100) / 100,
        url: redactUrl(request.url),
      },
      'request',
    );
  });
}

/**
 * fastify's request logging minus its two info lines per request ('incoming request', 'request
 * completed'), which `observeRequests` replaces with one. What it logs about failures (a
 * response stream that broke, a failed write) stays; `disableRequestLogging` would drop that too.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply);
  }
}

export interface ProbeOptions {
  metrics: Metrics;
  health: Health;
  access: MetricsAccess;
}

/** /healthz, /readyz and (unless off) /metrics. */
export const probeRoutes: FastifyPluginAsync<ProbeOptions> = async (app, { metrics, health, access }) => {
  const quiet = { logLevel: 'warn' } as const;

  // Alive: this process answers. No I/O, so a slow store never gets a live process restarted.
  app.get('/healthz', quiet, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  // Ready: the store and the job queue answer within a second, and shutdown has not begun.
  app.get('/readyz', quiet, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const r = await health.readiness();
    if (r.ready) return { status: 'ready' };
    // The reasons go to the log only: error texts can name hosts and users.
    if (Object.keys(r.errors).length) req.log.warn({ failed: r.failed, errors: r.errors }, 'not ready');
    return reply.status(503).send({ status: 'unavailable', failed: r.failed });
  });

  if (access.kind === 'off') return;
  const expected = access.kind === 'token' ? digest(access.token) : null;
  app.get('/metrics', quiet, async (req, reply) => {
    if (expected && !bearerMatches(req.headers.authorization, expected)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw apiError('authentication_failed');
    }
    const text = await metrics.text();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>`, compared in constant time (digests of equal length). */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return m !== null && timingSafeEqual(digest(m[1]), expected);
}
