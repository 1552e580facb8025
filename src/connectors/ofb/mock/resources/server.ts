/**
 * The mock bank's resource servers as one pure request handler: `handle(req)` answers the OFB data
 * APIs (accounts, credit cards, customers, resources) under `/open-banking/`, or returns null for
 * any other path so the HTTPS server mounting it can route elsewhere (AS, consents...).
 *
 * Order of checks, each answering in the OFB error shape: latency → `x-fapi-interaction-id`
 * (400 with a fresh id, per the header's description) → method (405) → known path (404) → token
 * (`authorize` null → 401) → injected fault → permission (403) → query parameters (400) → resource
 * (404) → date window / page (422) → operational limits (429) → 200.
 */
import { randomUUID } from 'node:crypto';
import { SPECS, specVersion, templateFor, type SpecName } from '../../spec/validate.js';
import type { Ctx, Route } from './context.js';
import { dayOf, dayParts, DAY_MS, isValidCpf, localDay, ymd } from './documents.js';
import { createFaults, type Faults } from './faults.js';
import { fixtureFor, type CustomerFixture } from './fixture.js';
import {
  checkQuery,
  errorBody,
  filterScope,
  OfbError,
  pageRequest,
  paginate,
  PaginationKeys,
  singleLinks,
  UUID_RE,
  type ErrorMetaStyle,
  type Grant,
  type MockRequest,
  type MockResponse,
} from './http.js';
import { accountRoutes } from './routes-accounts.js';
import { cardRoutes } from './routes-cards.js';
import { customerRoutes, resourceRoutes } from './routes-customers.js';

export interface ResourceServerOptions {
  /** The bank's now for this request: what is visible, windows, monthly counters. */
  clock: (req: MockRequest) => Date;
  authorize: (bearer: string | undefined, req: MockRequest) => Promise<Grant | null>;
  faults?: Faults;
  /**
   * Origin written in `links` (default: `https://` + the request's Host). Note: credit-cards-2.3.1
   * constrains links to a host ending in `.<2-6 lowercase letters>`, so `localhost`/IP origins
   * produce card links that fail that document (see spec/README.md).
   */
  baseUrl?: string | ((req: MockRequest) => string);
}

export interface ResourceServer {
  handle(req: MockRequest): Promise<MockResponse | null>;
  faults: Faults;
}

const ROUTES: Route[] = [...accountRoutes, ...cardRoutes, ...customerRoutes, ...resourceRoutes];
const API_ORDER: SpecName[] = ['accounts', 'credit-cards', 'customers', 'resources'];
const DEFAULT_ORIGIN = 'https://ofmockbank.local';

const FAULT_TEXT: Record<number, [string, string]> = {
  423: ['RECURSO_BLOQUEADO', 'Recurso bloqueado'],
  429: ['LIMITE_EXCEDIDO', 'Muitas requisições'],
  500: ['ERRO_INTERNO', 'Erro interno'],
  504: ['TEMPO_ESGOTADO', 'Tempo de resposta esgotado'],
  529: ['SITE_SOBRECARREGADO', 'Site sobrecarregado'],
};

function pathParams(template: string, path: string): Record<string, string> {
  const t = template.split('/');
  const p = path.split('/');
  const out: Record<string, string> = {};
  t.forEach((seg, i) => {
    const m = /^\{(.+)\}$/.exec(seg);
    if (m) out[m[1]] = decodeURIComponent(p[i] ?? '');
  });
  return out;
}

/** Seconds until the next São Paulo calendar month, when monthly counters start over. */
function secondsToNextMonth(now: Date): number {
  const { year, month } = dayParts(localDay(now));
  const next = dayOf(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1);
  return Math.max(1, Math.ceil((next * DAY_MS + 3 * 3_600_000 - +now) / 1000));
}

export function createResourceServer(opts: ResourceServerOptions): ResourceServer {
  const faults = opts.faults ?? createFaults();
  const keys = new PaginationKeys();

  const origin = (req: MockRequest): string => {
    if (typeof opts.baseUrl === 'function') return opts.baseUrl(req);
    if (opts.baseUrl) return opts.baseUrl;
    return req.headers.host ? `https://${req.headers.host}` : DEFAULT_ORIGIN;
  };

  async function handle(req: MockRequest): Promise<MockResponse | null> {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    const spec = API_ORDER.find((s) => path === SPECS[s].basePath || path.startsWith(`${SPECS[s].basePath}/`));
    if (!spec) return null;
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    const requestNow = opts.clock(req);
    const given = req.headers['x-fapi-interaction-id'];
    const interactionId = given && UUID_RE.test(given) ? given : randomUUID();
    const headersFor = (status: number, extra: Record<string, string> = {}): Record<string, string> => ({
      'content-type': status < 300 ? 'application/json' : 'application/json; charset=utf-8',
      'x-fapi-interaction-id': interactionId,
      'x-v': specVersion(spec),
      ...extra,
    });
    let meta: ErrorMetaStyle = 'single';
    try {
      // The route first, only to pick the error schema's meta (every check below may fail).
      const rel = path.slice(SPECS[spec].basePath.length) || '/';
      const template = templateFor(spec, rel);
      const route = template ? ROUTES.find((r) => r.spec === spec && r.template === template) : undefined;
      if (route) meta = route.errorMeta;
      if (interactionId !== given) {
        throw new OfbError(400, 'PARAMETRO_INVALIDO', 'Cabeçalho inválido', 'x-fapi-interaction-id ausente ou não é um UUID (RFC 4122).');
      }
      if (!route || !template) throw new OfbError(404, 'RECURSO_NAO_ENCONTRADO', 'Recurso não encontrado', `${path} não existe.`);
      if (req.method.toUpperCase() !== 'GET') throw new OfbError(405, 'METODO_NAO_PERMITIDO', 'Método não permitido', `${req.method} não é suportado em ${path}.`);
      const auth = req.headers.authorization;
      const bearer = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined;
      const grant = await opts.authorize(bearer, req);
      if (!grant) throw new OfbError(401, 'NAO_AUTORIZADO', 'Não autorizado', 'Token de acesso ausente, inválido ou expirado.');
      const fault = faults.take(grant.consentId);
      if (fault) {
        const [code, title] = FAULT_TEXT[fault.status];
        throw new OfbError(fault.status, code, title, `Falha injetada (${fault.status}).`, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      }
      if (!grant.permissions.includes(route.permission)) {
        throw new OfbError(403, 'PERMISSAO_NAO_CONCEDIDA', 'Permissão não concedida', `O consentimento não inclui a permissão ${route.permission}.`);
      }
      if (!isValidCpf(grant.cpf)) throw new OfbError(403, 'CLIENTE_NAO_ENCONTRADO', 'Cliente não encontrado', 'O consentimento não identifica um cliente deste banco.');

      // A valid pagination-key freezes the clock of the walk and exempts the call from counting.
      const scope = filterScope(grant.consentId, path, req.query);
      const frozen = keys.check(scope, req.query.get('pagination-key'));
      const now = frozen ?? requestNow;
      const base = `${origin(req)}${path}`;
      const self = req.query.toString() ? `${base}?${req.query.toString()}` : base;
      const link = (page: number, size: number) => {
        const q = new URLSearchParams([...req.query.entries()].filter(([k]) => !['page', 'page-size', 'pagination-key'].includes(k)));
        q.set('page', String(page));
        q.set('page-size', String(size));
        q.set('pagination-key', keys.issue(scope, now));
        return `${base}?${q.toString()}`;
      };
      let fixture: CustomerFixture | undefined;
      const month = ymd(localDay(requestNow)).slice(0, 7);
      const ctx: Ctx = {
        req,
        grant,
        params: pathParams(template, rel),
        now,
        fixture: () => (fixture ??= fixtureFor(grant.cpf, now)),
        checkQuery: (coerce) => checkQuery(spec, template, req.query, coerce),
        page: (min = 1) => pageRequest(req.query, min),
        count(cls, resource = '') {
          if (frozen) return;
          if (!faults.count({ consentId: grant.consentId, endpoint: `${spec}${template}`, resource, cls, month })) {
            throw new OfbError(429, 'LIMITE_MENSAL_EXCEDIDO', 'Limite operacional excedido', `Limite mensal de chamadas (${faults.limits[cls]}) atingido para este endpoint.`, {
              'retry-after': String(secondsToNextMonth(requestNow)),
            });
          }
        },
        paginate: (items, page, transactions) => paginate(items, page, { self, link: (p) => link(p, page.pageSize), transactions, now: requestNow }),
        single: (totals) => singleLinks(self, requestNow, totals),
        limits: faults.limits,
      };
      const body = route.handle(ctx);
      return { status: 200, headers: headersFor(200), body };
    } catch (e) {
      if (!(e instanceof OfbError)) throw e;
      return { status: e.status, headers: headersFor(e.status, e.headers), body: errorBody(e, requestNow, meta) };
    }
  }

  return { handle, faults };
}

/** For callers wiring a Node `http(s).Server`: the mock request of an incoming message's parts. */
export function mockRequest(method: string, url: string, headers: Record<string, string | string[] | undefined>): MockRequest {
  const u = new URL(url, 'https://placeholder.invalid');
  const h: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return { method, path: u.pathname, query: u.searchParams, headers: h };
}

