import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyContextConfig, type FastifyInstance, type FastifyRequest, type FastifySchema } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Institutions } from '../institutions/service.js';
import type { Links } from '../links/service.js';
import type { Tenants } from '../tenants/service.js';
import { basicAuth } from './auth.js';
import { apiError } from '../errors.js';
import { registerErrorHandling, sendError } from './errors.js';
import { institutionRoutes } from './routes/institutions.js';
import type { LinkData } from '../resources/service.js';
import { linkRoutes } from './routes/links.js';
import { resourceRoutes } from './routes/resources.js';
import { sandboxRoutes } from './routes/sandbox.js';
import type { Sandbox } from '../sandbox/service.js';
import { registerShaping } from './shape.js';
import { registerJsonParser, registerNulGuard } from './input-guard.js';
import type { Config } from '../config.js';
import { widgetPlugin, type WidgetService } from '../widget/index.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { Webhooks } from '../webhooks/index.js';
import { openApiRoute } from './openapi.js';
import type { Idempotency } from '../idempotency/service.js';
import type { RateLimiter } from '../rate-limit/buckets.js';
import { registerIdempotency } from './idempotency.js';
import { registerRateLimit } from './rate-limit.js';
import type { Metrics } from '../metrics.js';
import type { Health } from '../health.js';
import { observeRequests, probeRoutes, RequestLogController, type MetricsAccess } from './observability.js';
import { lazyValidators } from './lazy-validation.js';

export interface AppServices {
  tenants: Tenants;
  institutions: Institutions;
  links: Links;
  data: LinkData;
  /** Present when the sandbox controls are on (VINCULO_SANDBOX). */
  sandbox: Sandbox | null;
  webhooks: Webhooks;
  widget: WidgetService;
  /** `Idempotency-Key` on POSTs under /api/. */
  idempotency: Idempotency;
  /** Requests per secret key (VINCULO_RATE_LIMIT); null when off. */
  rateLimiter: RateLimiter | null;
  metrics: Metrics;
  health: Health;
}

export interface RouteEntry {
  method: string;
  /** fastify's pattern, e.g. `/api/links/:id/`. */
  url: string;
  /** What the route validates and declares (`config.doc`): what /openapi.json describes. */
  schema?: FastifySchema;
  config?: FastifyContextConfig;
}

const ApiRoot = Type.Object({ institutions: Type.String(), links: Type.String() }, { title: 'ApiRoot', additionalProperties: false });

const ROUTE_TABLES = new WeakMap<FastifyInstance, readonly RouteEntry[]>();

/**
 * Paths behind Basic auth: the API and (when on) the sandbox controls, not the widget's token
 * routes. With the sandbox off, `/sandbox/` is as unknown as any other path: a plain 404.
 */
const secretKeyPaths = (sandbox: boolean) => (path: string) =>
  (path.startsWith('/api/') && !/^\/api\/token(\/|$)/.test(path)) || (sandbox && path.startsWith('/sandbox/'));

/** Every route the app serves (for the 405 answer, and for tests that must cover every route). */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTE_TABLES.get(app) ?? [];
}

export interface AppOptions {
  logger?: FastifyBaseLogger;
  /** Who may set X-Forwarded-* (config `trustProxy`); nobody by default. */
  trustProxy?: Config['trustProxy'];
  /**
   * Seconds to receive a whole request, and that a connection may stay silent: a client that
   * trickles its body, or never reads its answer, is cut off (and cannot hold a shutdown open).
   */
  timeouts?: { requestSeconds: number; connectionSeconds: number };
  /** Build and serve the Connect widget's page (default true; false: its API routes only). */
  widgetPage?: boolean;
  /** Who may read /metrics (see ./observability.ts); nobody by default. */
  metricsAccess?: MetricsAccess;
}

interface ListenerOptions extends AppOptions {
  metrics: Metrics;
  /**
   * Run before a 405 is told (a path some route serves, another method): the API asks for the
   * secret keys its secret-key routes need. Without it, every 405 is told.
   */
  beforeMethodNotAllowed?: (request: FastifyRequest, path: string) => Promise<void>;
}

/**
 * What every HTTP listener of a Vinculo process shares (the API's, and a worker's probes on
 * VINCULO_WORKER_PORT): request ids as 32 hex (also in X-Request-Id and every log line), the
 * timeouts, one error handler answering Belvo's format, the input guards, one log line and one
 * metric sample per request, and 404/405 for what no route serves. Routes are the caller's.
 */
function createListener(options: ListenerOptions) {
  const { logger, trustProxy = false, timeouts = { requestSeconds: 30, connectionSeconds: 60 }, beforeMethodNotAllowed } = options;
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    // fastify takes a hop count too (its types omit it).
    trustProxy: (typeof trustProxy === 'object' ? [...trustProxy] : trustProxy) as boolean | string[],
    bodyLimit: 1024 * 1024,
    requestTimeout: timeouts.requestSeconds * 1000,
    connectionTimeout: timeouts.connectionSeconds * 1000,
    // Node enforces requestTimeout on a timer (30 s by default): check every second instead, and
    // bound the headers by the same limit.
    http: { connectionsCheckingInterval: 1000, headersTimeout: timeouts.requestSeconds * 1000 },
    genReqId: () => randomUUID().replaceAll('-', ''),
    frameworkErrors: sendError,
    logController: new RequestLogController({ requestIdLogLabel: 'request_id' }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // validateSchema: the route schemas are TypeBox's, each compiled by a strict JSON Schema
    // validator in src/http/openapi.test.ts; checking them against the meta-schema at every start
    // cost ~70 ms of it (compiling the meta-schema itself).
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false, verbose: true, validateSchema: false } },
    schemaController: { compilersFactory: { buildValidator: lazyValidators() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(app);
  registerShaping(app);
  registerJsonParser(app);
  registerNulGuard(app);
  observeRequests(app, options.metrics);

  // Unknown path → 404; known path with another method → 405 (fastify alone says 404 to both).
  // Answered in onRequest, before any body is read: a request no route serves parses nothing, so
  // its answer never depends on its body.
  const routes: (RouteEntry & { pattern: RegExp })[] = [];
  ROUTE_TABLES.set(app, routes);
  app.addHook('onRoute', (route) => {
    const source = route.url.replace(/\/+$/, '').replace(/:[^/]+/g, '[^/]+');
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, pattern: new RegExp(`^${source}/?$`), schema: route.schema, config: route.config });
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (!req.is404) return;
    const path = req.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (!allowed.length) throw apiError('not_found');
    if (beforeMethodNotAllowed) await beforeMethodNotAllowed(req, path);
    reply.header('allow', allowed.join(', '));
    throw apiError('method_not_allowed', `Method "${req.method}" not allowed.`);
  });
  // Reached only if the hook above let a request through (it never does).
  app.setNotFoundHandler(async () => {
    throw apiError('not_found');
  });
  return app;
}

/**
 * A worker's listener (`vinculo worker` with VINCULO_WORKER_PORT): /healthz, /readyz and
 * /metrics exactly as the API serves them (the same routes, the same access rule), and nothing
 * else: any other path is the API's 404, in Belvo's error format.
 */
export async function buildProbeApp(services: Pick<AppServices, 'metrics' | 'health'>, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = createListener({ ...options, metrics: services.metrics });
  await app.register(probeRoutes, { metrics: services.metrics, health: services.health, access: options.metricsAccess ?? { kind: 'off' } });
  return app;
}

/**
 * Builds the HTTP app: Belvo-compatible routes under /api/, Basic auth on every one, one error
 * handler, request ids as 32 hex (also in X-Request-Id and every log line).
 */
export async function buildApp(services: AppServices, options: AppOptions = {}): Promise<FastifyInstance> {
  const { widgetPage = true, metricsAccess = { kind: 'off' } } = options;
  const authenticate = basicAuth(services.tenants);
  const needsSecretKeys = secretKeyPaths(services.sandbox !== null);
  // As in Belvo (Django REST framework), a 405 on a route that needs secret keys is only told to
  // a caller who has them.
  const app = createListener({
    ...options,
    metrics: services.metrics,
    beforeMethodNotAllowed: async (req, path) => {
      if (needsSecretKeys(path)) await authenticate(req);
    },
  });

  await app.register(async (api) => {
    api.addHook('onRequest', authenticate);
    // Both need the principal, so they come after authentication; a replay counts as a request.
    if (services.rateLimiter) registerRateLimit(api, services.rateLimiter);
    registerIdempotency(api, services.idempotency);
    api.get('/api/', { config: { doc: { summary: 'The API root: where the collections are', responses: { 200: ApiRoot } } } }, async () => ({
      institutions: '/api/institutions/',
      links: '/api/links/',
    }));
    await api.register(institutionRoutes, { institutions: services.institutions });
    await api.register(linkRoutes, { links: services.links });
    await api.register(resourceRoutes, { data: services.data });
    await api.register(webhookRoutes, { webhooks: services.webhooks });
    if (services.sandbox) await api.register(sandboxRoutes, { sandbox: services.sandbox });
  });
  // The Connect widget: /api/token/ (key pair in the body or Basic) and /widget/ (Bearer tokens).
  await app.register(widgetPlugin, { widget: services.widget, tenants: services.tenants, page: widgetPage });
  // The API's own OpenAPI document (src/http/openapi.ts), public like Belvo's.
  await app.register(openApiRoute, { routes: () => routeTable(app) });
  // /healthz, /readyz, /metrics: no Basic auth, so never counted by the authentication throttle.
  await app.register(probeRoutes, { metrics: services.metrics, health: services.health, access: metricsAccess });
  return app;
}
