import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { ERROR_CATALOGUE } from '../errors.js';
import type { FilterField, FilterOp, FilterSet } from '../filters/index.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination.js';
import type { AppServices, RouteEntry } from './app.js';

/**
 * The API describes itself: an OpenAPI 3.1 document generated from the route table, served at
 * GET /openapi.json, printed by `vinculo openapi` and committed as openapi.json. One source of
 * truth: each route's TypeBox schemas (what fastify validates) and its `config.doc` (what it
 * answers); filters come from the declarations in src/filters, errors from the catalogue.
 *
 * A small generator over the route table rather than @fastify/swagger: the 2xx schemas must stay
 * out of fastify's serializer (it would drop undeclared fields and cannot take `fields=`), so
 * swagger would be handed everything through its `transform` hook anyway; what remains (path
 * templates, parameter lists) is a few lines here, without a runtime dependency.
 */

type Json = Record<string, any>;

/** Statuses the error catalogue can answer with. */
export type ErrorStatus = (typeof ERROR_CATALOGUE)[keyof typeof ERROR_CATALOGUE]['status'];

/** What a route declares about its answers, for the document only (fastify never sees it). */
export interface RouteDoc {
  /** One line: what the operation does. */
  summary: string;
  /** More: when each answer comes. */
  description?: string;
  /**
   * The successful answers: status → body schema (null: no body). Not fastify's `schema.response`:
   * its serializer would drop undeclared fields, and `fields=`/`omit=` answers lack required ones.
   */
  responses?: Readonly<Record<number, TSchema | null>>;
  /** A paginated list (200) of `item`: page parameters and, if any, the filters as query parameters. */
  list?: { item: TSchema; filters?: FilterSet; required?: readonly string[] };
  /** Request headers the operation reads. */
  headers?: Readonly<Record<string, { description: string; schema: TSchema }>>;
  /**
   * Error statuses besides those every /api/ operation gets (400, 401, 500; 429 where secret keys
   * are checked; 404 where a path parameter or a page can name nothing): e.g. 408 and 428 where
   * an institution is reached.
   */
  errors?: readonly ErrorStatus[];
  /** Who may call: secret keys as Basic auth (default), Basic or the key pair in the body, anyone. */
  auth?: 'basic' | 'basic-or-body' | 'none';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    doc?: RouteDoc;
  }
}

// ---- the pieces every operation shares ----------------------------------------------------------

const ROOT = new URL('../../', import.meta.url);
const VERSION = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string }).version;

const DESCRIPTION = `Vinculo's API: Belvo's Links and Institutions API (wire-compatible), plus Vinculo's own routes.

Every /api/ route needs a secret key pair as HTTP Basic auth (\`vinculo keys create\`), except the widget token routes.

**Errors** are Belvo's: an array of \`{request_id, code, message, field?}\`, the status given by the code. Any method a documented path does not list answers 405 \`method_not_allowed\` with an \`Allow\` header, as \`components.responses.MethodNotAllowed\` shows (where the path needs secret keys, only to a caller who has them: else 401). Every answer carries \`X-Request-Id\`, the \`request_id\` of its errors and of its log lines.

**Lists** are paginated (\`page\`, \`page_size\`) as \`{count, next, previous, results}\`; \`next\`/\`previous\` are absolute URLs that keep the other query parameters. Their filters are Django-style: \`name\` (equal), \`name__in=a,b\`, \`name__range=from,to\`, \`name__gte=…\`; a list value may also be sent as repeated keys (\`name__in=a&name__in=b\`, or \`name__in[]=…\`). Unknown keys and empty values are ignored.

**Shaping**: \`fields=a,b\` keeps only those top-level fields of each object of a successful answer, \`omit=a,b\` drops them; the answer then lacks them even where the schema requires them.`;

const X_REQUEST_ID = { $ref: '#/components/headers/X-Request-Id' };

const QUERY_LIST = (name: string, description: string, example: string): Json => ({
  name,
  in: 'query',
  description,
  style: 'form',
  explode: false,
  schema: { type: 'array', items: { type: 'string' } },
  example,
});

const SHARED = {
  parameters: {
    Page: {
      name: 'page',
      in: 'query',
      description: 'The page, from 1. A page past the last (other than the first) answers 404.',
      schema: { type: 'integer', minimum: 1, default: 1 },
    },
    PageSize: {
      name: 'page_size',
      in: 'query',
      description: `Objects per page, 1 to ${MAX_PAGE_SIZE} (a larger value is taken as ${MAX_PAGE_SIZE}).`,
      schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
    },
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      description:
        'Makes a retry safe: the first answer (not a 5xx, nor one that asks for a retry) is kept 24 h per tenant and key and replayed, with `Idempotent-Replayed: true`, for the same request; another request with the key is 400 `idempotency_key_reused`, a retry while the first runs is 409 `idempotency_key_in_use`.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
    },
    Fields: QUERY_LIST('fields', 'Only these top-level fields of each object (comma-separated).', 'id,status'),
    Omit: QUERY_LIST('omit', 'All but these top-level fields of each object (comma-separated).', 'created_by'),
  },
  headers: {
    'X-Request-Id': { description: "The request's id (32 hex), as in its errors and log lines.", schema: { type: 'string', pattern: '^[a-f0-9]{32}$' } },
    'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } },
    Allow: { description: 'The methods the path takes.', schema: { type: 'string' } },
  },
  securitySchemes: {
    basicAuth: { type: 'http', scheme: 'basic', description: 'A secret key pair: its id as the user name, its password as the password.' },
  },
};

// ---- errors ----------------------------------------------------------------------------------

const ERROR_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'RequestTimeout',
  428: 'TokenRequired',
  429: 'TooManyRequests',
  409: 'Conflict',
  500: 'UnexpectedError',
  503: 'ServiceUnavailable',
};
const errorName = (status: number) => ERROR_NAMES[status] ?? `Error${status}`;

/** The 428 item's extra members: how to resume the interrupted operation (see LinkAccess.mfaRequired). */
const CHALLENGE = {
  session: Type.String({ pattern: '^[a-f0-9]{32}$', description: 'Send it back, with the token, in a PATCH on the same collection.' }),
  expiry: Type.Integer({ description: 'Seconds the session lasts.' }),
  link: Type.String({ format: 'uuid' }),
  token_generation_data: Type.Object(
    { instructions: Type.String(), type: Type.String(), value: Type.String(), expects_user_input: Type.Boolean() },
    { additionalProperties: false },
  ),
};

/** Belvo's error array for one status: its items carry that status's catalogue codes. */
function errorResponse(status: number): Json {
  const codes = Object.entries(ERROR_CATALOGUE)
    .filter(([, e]) => e.status === status)
    .map(([code]) => code);
  const item = Type.Object(
    {
      request_id: Type.String({ pattern: '^[a-f0-9]{32}$' }),
      // A code outside the catalogue is answered 500 (src/http/errors.ts): any string there.
      code: status === 500 || !codes.length ? Type.String() : Type.Enum(codes),
      message: Type.String(),
      field: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'The request field the error is about.' })),
      ...(status === 428 ? CHALLENGE : {}),
    },
    { additionalProperties: false },
  );
  const headers: Json = { 'X-Request-Id': X_REQUEST_ID };
  if (status === 409 || status === 429 || status === 503) headers['Retry-After'] = { $ref: '#/components/headers/Retry-After' };
  if (status === 405) headers.Allow = { $ref: '#/components/headers/Allow' };
  return {
    description: `${STATUS_CODES[status] ?? 'Error'}: ${codes.length ? codes.map((c) => `\`${c}\``).join(', ') : 'an error'}.`,
    headers,
    content: { 'application/json': { schema: Type.Array(item, { minItems: 1 }) } },
  };
}

/**
 * Statuses every /api/ operation can answer: bad input (a NUL in the query, an unreadable body),
 * refused credentials (keys or token), a failure, a database that did not answer in time; and
 * where secret keys are checked, their throttle.
 */
const ALWAYS: readonly number[] = [400, 401, 500, 503];

/** POSTs behind secret keys take an Idempotency-Key (src/http/idempotency.ts); the widget's token routes do not. */
const idempotent = (route: RouteEntry, doc: RouteDoc | undefined) => route.method === 'POST' && (doc?.auth ?? 'basic') === 'basic';

function errorStatuses(route: RouteEntry, doc: RouteDoc | undefined): number[] {
  const out = new Set([...ALWAYS, ...(doc?.errors ?? [])]);
  if (doc?.auth !== 'none') out.add(429);
  if (idempotent(route, doc)) out.add(409);
  if (route.url.includes(':') || doc?.list) out.add(404);
  return [...out].sort((a, b) => a - b);
}

// ---- filters -----------------------------------------------------------------------------------

const VALUE: Record<FilterField['type'], Json> = {
  string: { type: 'string' },
  uuid: { type: 'string', format: 'uuid' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  date: { type: 'string', format: 'date', description: 'A date; a date-time stands for its UTC date.' },
  datetime: {
    anyOf: [{ type: 'string', format: 'date-time' }, { type: 'string', format: 'date' }],
    description: 'A date-time (UTC when it has no offset), or a date: its whole UTC day.',
  },
};

const MEANING: Record<FilterOp, (name: string, array: boolean) => string> = {
  eq: (n, a) => (a ? `\`${n}\` contains the value.` : `\`${n}\` equals the value.`),
  in: (n, a) => (a ? `\`${n}\` contains any of the values.` : `\`${n}\` is one of the values.`),
  not_in: (n, a) => (a ? `\`${n}\` contains none of the values.` : `\`${n}\` is none of the values.`),
  allin: (n) => `\`${n}\` contains all the values.`,
  gt: (n) => `\`${n}\` is greater than the value.`,
  gte: (n) => `\`${n}\` is greater than or equal to the value.`,
  lt: (n) => `\`${n}\` is less than the value.`,
  lte: (n) => `\`${n}\` is less than or equal to the value.`,
  range: (n) => `\`${n}\` is between the two values (\`from,to\`), both included.`,
  icontains: (n) => `\`${n}\` contains the value, ignoring case.`,
};

const LIST_OPS: ReadonlySet<FilterOp> = new Set(['in', 'not_in', 'allin', 'range']);

/** One query parameter per declared filter and operator: `amount`, `amount__gte`, `value_date__range`… */
function filterParameters(filters: FilterSet, required: readonly string[] = []): Json[] {
  const out: Json[] = [];
  for (const [name, field] of Object.entries(filters.fields)) {
    const value: Json = { ...VALUE[field.type] };
    for (const op of field.ops) {
      const one: Json = field.choices && op !== 'icontains' ? { ...value, enum: [...field.choices] } : value;
      const schema: Json = !LIST_OPS.has(op)
        ? one
        : { type: 'array', items: one, minItems: op === 'range' ? 2 : 1, ...(op === 'range' && { maxItems: 2 }) };
      out.push({
        name: op === 'eq' ? name : `${name}__${op}`,
        in: 'query',
        description: MEANING[op](name, field.shape === 'array'),
        ...(op === 'eq' && required.includes(name) && { required: true }),
        ...(LIST_OPS.has(op) && { style: 'form', explode: false }),
        schema,
      });
    }
  }
  return out;
}

// ---- operations --------------------------------------------------------------------------------

const page = (item: TSchema) =>
  Type.Object(
    {
      count: Type.Integer({ minimum: 0, description: 'Objects in the whole list.' }),
      next: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
      previous: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
      results: Type.Array(item),
    },
    { additionalProperties: false },
  );

const SECURITY = { basic: [{ basicAuth: [] }], 'basic-or-body': [{ basicAuth: [] }, {}], none: [] };

/** `/api/webhooks/deliveries/:id/redeliver/` → `WebhooksDeliveriesByIdRedeliver`. */
function operationName(url: string): string {
  const words = url
    .replace(/^\/api\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1)}` : s))
    .join('-')
    .split(/[-_]/);
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') || 'Root';
}

function successResponse(status: number, schema: TSchema | null | undefined): Json {
  return {
    description: STATUS_CODES[status] ?? 'Success',
    headers: { 'X-Request-Id': X_REQUEST_ID },
    ...(schema && { content: { 'application/json': { schema } } }),
  };
}

function operation(route: RouteEntry): Json {
  const doc = route.config?.doc;
  const params = (route.schema?.params ?? null) as Json | null;
  const parameters: Json[] = [...route.url.matchAll(/:([^/]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: params?.properties?.[name] ?? { type: 'string' },
  }));
  const query = (route.schema?.querystring ?? null) as Json | null;
  for (const [name, schema] of Object.entries(query?.properties ?? {})) {
    parameters.push({ name, in: 'query', ...(query!.required?.includes(name) && { required: true }), schema });
  }
  for (const [name, h] of Object.entries(doc?.headers ?? {})) parameters.push({ name, in: 'header', description: h.description, schema: h.schema });
  if (idempotent(route, doc)) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });

  const responses: Json = {};
  if (doc?.list) responses['200'] = successResponse(200, page(doc.list.item));
  for (const [status, schema] of Object.entries(doc?.responses ?? {})) responses[status] = successResponse(Number(status), schema);
  if (!doc) {
    responses['2XX'] = { description: 'Not described: the route declares no `config.doc`.', content: { 'application/json': { schema: {} } } };
  }
  if (doc?.list) {
    parameters.push(...filterParameters(doc.list.filters ?? { fields: {} }, doc.list.required));
    parameters.push({ $ref: '#/components/parameters/Page' }, { $ref: '#/components/parameters/PageSize' });
  }
  // Shaping applies to every successful JSON answer but a 202 (src/http/shape.ts).
  if (Object.entries(responses).some(([s, r]) => s !== '202' && r.content)) {
    parameters.push({ $ref: '#/components/parameters/Fields' }, { $ref: '#/components/parameters/Omit' });
  }
  for (const status of errorStatuses(route, doc)) responses[String(status)] = { $ref: `#/components/responses/${errorName(status)}` };

  const body = route.schema?.body;
  const tag = route.url.split('/')[2] || 'root';
  return {
    operationId: `${route.method.toLowerCase()}${operationName(route.url)}`,
    summary: doc?.summary ?? `${route.method} ${route.url}`,
    ...(doc?.description && { description: doc.description }),
    tags: [tag],
    security: SECURITY[doc?.auth ?? 'basic'],
    ...(parameters.length && { parameters }),
    ...(body !== undefined && { requestBody: { required: true, content: { 'application/json': { schema: body } } } }),
    responses,
  };
}

// ---- the document ------------------------------------------------------------------------------

const NOT_SCHEMAS = new Set(['enum', 'const', 'default', 'example', 'examples']);

/**
 * A JSON copy of `node` (TypeBox's own non-enumerable keys dropped) where every schema with a
 * `title` is a component, referred to by that title.
 */
function extractComponents(node: unknown, schemas: Map<string, Json>): unknown {
  if (Array.isArray(node)) return node.map((n) => extractComponents(n, schemas));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = NOT_SCHEMAS.has(k) ? structuredClone(v) : extractComponents(v, schemas);
  if (typeof out.title !== 'string') return out;
  const known = schemas.get(out.title);
  if (known && JSON.stringify(known) !== JSON.stringify(out)) throw new Error(`openapi: two different schemas are titled ${out.title}`);
  schemas.set(out.title, out);
  return { $ref: `#/components/schemas/${out.title}` };
}

/** The OpenAPI document for the /api/ routes of `routes` (an app's `routeTable`). */
export function describeApi(routes: readonly RouteEntry[]): Json {
  const paths: Json = {};
  for (const route of routes) {
    // HEAD is fastify's automatic twin of each GET.
    if (!route.url.startsWith('/api/') || route.method === 'HEAD') continue;
    const path = route.url.replace(/:([^/]+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const schemas = new Map<string, Json>();
  const described = extractComponents(paths, schemas) as Json;
  const used = new Set(JSON.stringify(described).match(/#\/components\/responses\/\w+/g)?.map((r) => r.split('/').pop()));
  used.add(errorName(405));
  const responses: Json = {};
  for (const status of new Set(Object.values(ERROR_CATALOGUE).map((e) => e.status))) {
    if (used.has(errorName(status))) responses[errorName(status)] = extractComponents(errorResponse(status), schemas);
  }
  const tags = [...new Set(Object.values(described).flatMap((item) => Object.values(item as Json).flatMap((op) => op.tags)))];
  return {
    openapi: '3.1.0',
    info: { title: 'Vinculo', version: VERSION, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
    tags: tags.sort().map((name) => ({ name })),
    paths: described,
    components: { ...SHARED, responses, schemas: Object.fromEntries(schemas) },
  };
}

/**
 * The document as text, the same bytes every time: object keys sorted, but for the document's own
 * (OpenAPI's order) and a schema's `properties` (the order the API writes them in); no dates, no hosts.
 */
export function documentText(doc: Json): string {
  const canonical = (v: unknown, keepOrder = false): unknown => {
    if (Array.isArray(v)) return v.map((x) => canonical(x));
    if (!v || typeof v !== 'object') return v;
    const keys = keepOrder ? Object.keys(v) : Object.keys(v).sort();
    return Object.fromEntries(keys.map((k) => [k, canonical((v as Json)[k], k === 'properties')]));
  };
  return `${JSON.stringify(canonical(doc, true), null, 2)}\n`;
}

/** GET /openapi.json: the document of this app's routes, built on the first request. */
export const openApiRoute: FastifyPluginAsync<{ routes: () => readonly RouteEntry[] }> = async (app, { routes }) => {
  let text: string | undefined;
  app.get('/openapi.json', async (_req, reply) => {
    text ??= documentText(describeApi(routes()));
    return reply.type('application/json; charset=utf-8').send(text);
  });
};

/**
 * The document without a server or a store (`vinculo openapi`): the app is built over services
 * that are never called (a call throws), and only its route table is read.
 */
export async function generateOpenApi(): Promise<string> {
  // Imported here, not at the top: app.ts imports this module for the route above.
  const { buildApp, routeTable } = await import('./app.js');
  const service = (name: string) =>
    new Proxy(
      {},
      {
        get(_target, key) {
          if (key === 'then') return undefined;
          throw new Error(`openapi: ${name}.${String(key)} was used while only describing the routes`);
        },
      },
    );
  const services = new Proxy({} as AppServices, { get: (_target, name) => (typeof name === 'string' && name !== 'then' ? service(name) : undefined) });
  const app = await buildApp(services, { widgetPage: false });
  try {
    return documentText(describeApi(routeTable(app)));
  } finally {
    await app.close();
  }
}
