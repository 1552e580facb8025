/**
 * Every way a Vinculo response may differ from Belvo's OpenAPI document
 * (belvo-openapi-1.35.0.yaml, beside this file, kept unchanged), each with its reason. The test
 * validator (test/helpers/openapi.ts) checks every response a test server sends against the
 * document; an answer that needs anything not listed here fails the test that made the request.
 *
 * It lives beside the document because it is part of the contract: whoever reads or updates the
 * document sees, in the same folder, where Vinculo departs from it and why.
 *
 * Keep entries narrow: one operation (method + Belvo's path template), one status, one place in
 * the schema (a JSON pointer into the response schema, `$ref`s followed).
 */

export type Schema = Record<string, any>;

export interface SchemaContext {
  /** The schema a `#/components/…` reference names (its own references kept as references). */
  resolve(ref: string): Schema;
}

type Methods = string | readonly string[];
/** Belvo's path templates (`/api/links/{id}/`), or a pattern over them. */
type Paths = string | readonly string[] | RegExp;

export type Deviation =
  /** Requests to these paths are not Belvo's API: they are not validated. */
  | { kind: 'not-belvo'; path: RegExp; reason: string }
  /** A path that matches no operation of the document, answered with `status`. */
  | { kind: 'unknown-path'; status: number; schema: Schema; reason: string }
  /**
   * A method the document does not give for a path it documents: answered with `status` and a
   * body matching `schema`, or (`as`) judged as the document's operation `as` on the same path.
   */
  | ({ kind: 'undocumented-method'; method: Methods; path: Paths; reason: string } & ({ status: number; schema: Schema } | { as: string }))
  /** A status the operation does not document; the body must match `schema`. */
  | { kind: 'undocumented-status'; method: Methods; path: Paths; status: number | readonly number[]; schema: Schema; reason: string }
  /**
   * The documented response schema, changed at `at` (a JSON pointer into it) by `change`.
   * `when` limits it to some requests (by query), `variant` names what `change` depends on.
   */
  | {
      kind: 'schema';
      method: Methods;
      path: Paths;
      status: number | readonly number[];
      at: string;
      when?: (query: URLSearchParams) => boolean;
      variant?: (query: URLSearchParams) => string;
      change: (schema: Schema, ctx: SchemaContext, query: URLSearchParams) => Schema;
      reason: string;
    };

/** Belvo's error answer: an array of one of the document's error objects. */
const errors = (component: string): Schema => ({ type: 'array', minItems: 1, items: { $ref: `belvo#/components/schemas/${component}` } });

/** Belvo's error answer whose items carry one of these codes (and, if given, that message). */
const errorsWith = (...alternatives: { code: string[]; message?: string }[]): Schema => ({
  type: 'array',
  minItems: 1,
  items: {
    allOf: [
      { $ref: 'belvo#/components/schemas/ValidationError' },
      {
        anyOf: alternatives.map(({ code, message }) => ({
          required: ['request_id', 'code', 'message'],
          properties: { code: { enum: code }, ...(message ? { message: { const: message } } : {}) },
        })),
      },
    ],
  },
});

/** An error array of one item with `code` and no `field` (no such component in Belvo's document). */
const plainError = (code: string): Schema => ({
  type: 'array',
  minItems: 1,
  maxItems: 1,
  items: {
    type: 'object',
    required: ['request_id', 'code', 'message'],
    additionalProperties: false,
    properties: {
      request_id: { type: 'string', pattern: '^[a-f0-9]{32}$' },
      code: { const: code },
      message: { type: 'string', minLength: 1 },
    },
  },
});

/** The throttles' answer (src/tenants/throttle.ts, src/http/rate-limit.ts). */
const TOO_MANY_REQUESTS = plainError('too_many_requests');
/** 503: the store did not answer within its timeouts (src/store/postgres-pool.ts). */
const SERVICE_UNAVAILABLE = plainError('service_unavailable');

/** `oneOf` → `anyOf`: the body must still match one of the same schemas, only not exactly one. */
const anyOfInstead = (s: Schema): Schema => {
  if (!Array.isArray(s.oneOf)) throw new Error('deviation: expected a oneOf');
  const { oneOf, ...rest } = s;
  return { ...rest, anyOf: oneOf };
};

/**
 * Belvo's `fields=a,b` / `omit=a,b` on a successful answer: each item (of a page's `results`, of an
 * array, or the object itself) need not have the properties the query removed.
 */
function shapedBy(query: URLSearchParams): (name: string) => boolean {
  const list = (k: string) => (query.has(k) ? new Set(query.getAll(k).join(',').split(',').map((x) => x.trim()).filter(Boolean)) : null);
  const fields = list('fields');
  const omit = list('omit');
  return (name) => (fields !== null && !fields.has(name)) || (omit?.has(name) ?? false);
}

function relaxShapedItems(schema: Schema, ctx: SchemaContext, query: URLSearchParams): Schema {
  const removed = shapedBy(query);
  const deref = (s: Schema): Schema => (typeof s.$ref === 'string' ? deref(ctx.resolve(s.$ref)) : s);
  const relax = (s: Schema): Schema => {
    const item = deref(s);
    const out: Schema = { ...item };
    if (Array.isArray(item.required)) out.required = item.required.filter((n: string) => !removed(n));
    for (const k of ['oneOf', 'anyOf', 'allOf']) if (Array.isArray(item[k])) out[k] = item[k].map(relax);
    return out;
  };
  const root = deref(schema);
  if (root.properties?.results) {
    const results = deref(root.properties.results);
    return { ...root, properties: { ...root.properties, results: { ...results, items: relax(results.items) } } };
  }
  if (root.type === 'array') return { ...root, items: relax(root.items) };
  return relax(root);
}

/** Every list operation (`GET` on a collection) of the document. */
const LISTS = /^\/(api|investments|receivables|payments)\/[a-z-]+\/$/;

export const DEVIATIONS: readonly Deviation[] = [
  // ---- outside Belvo's API -------------------------------------------------------------------
  {
    kind: 'not-belvo',
    path: /^\/sandbox\//,
    reason: "Vinculo's sandbox controls (refresh now, require a token, move the clock…), on only with VINCULO_SANDBOX; Belvo has no such API.",
  },
  {
    kind: 'not-belvo',
    path: /^\/widget\//,
    reason: "The Connect widget's page, assets and the page's own API (Bearer access token); Belvo serves its widget from its own CDN, outside this document.",
  },
  {
    kind: 'not-belvo',
    path: /^\/ofb\/callback(\.js)?\/?$/,
    reason: "The Open Finance consent's OAuth redirect page, its script and the call the script makes back (POST /ofb/callback); Belvo's widget handles the bank's return itself, outside this document.",
  },
  {
    kind: 'not-belvo',
    path: /^\/api\/token\/(refresh\/)?$/,
    reason: "Belvo's widget access-token endpoints: Belvo has them, but documents them in its Connect widget guide, not in this OpenAPI document, so there is no schema to check.",
  },
  {
    kind: 'not-belvo',
    path: /^\/api\/webhooks\//,
    reason: 'Vinculo extension: webhook endpoints and deliveries managed through the API (Belvo configures webhooks in its dashboard).',
  },
  {
    kind: 'not-belvo',
    path: /^\/openapi\.json\/$/,
    reason: "Vinculo's own OpenAPI document (src/http/openapi.ts); Belvo publishes its document elsewhere.",
  },
  {
    kind: 'not-belvo',
    path: /^\/(healthz|readyz|metrics)\/?$/,
    reason: "Operators' probes (liveness, readiness) and Prometheus metrics, outside /api/; Belvo's document has no operations for them.",
  },
  {
    kind: 'not-belvo',
    path: /^\/api\/$/,
    reason: 'The API root, an index of the collections (as a Django REST root answers); not in the document.',
  },

  // ---- Vinculo's answers the document does not describe ---------------------------------------
  {
    kind: 'unknown-path',
    status: 404,
    schema: errors('NotFoundError'),
    reason: "A path no route serves: Belvo's 404 not_found (the document's NotFoundError describes it: 'provided the wrong URL').",
  },
  {
    kind: 'undocumented-method',
    method: '*',
    path: /^\/api\//,
    status: 405,
    schema: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['request_id', 'code', 'message'],
        properties: { request_id: { type: 'string', pattern: '^[a-f0-9]{32}$' }, code: { const: 'method_not_allowed' }, message: { type: 'string' } },
      },
    },
    reason:
      "A method Belvo does not offer on a path it documents (PUT on a collection, POST on an item…): 405 method_not_allowed with an Allow header, as Belvo's Django REST API answers; the document lists only the methods that exist.",
  },
  {
    kind: 'undocumented-method',
    method: '*',
    path: /^\/api\//,
    status: 401,
    schema: errors('UnauthorizedError'),
    reason:
      'The same method without valid secret keys: 401 authentication_failed before the method is judged, as Django REST framework authenticates before it looks for a handler (Belvo tells a 405 only to a caller it knows).',
  },
  {
    kind: 'undocumented-status',
    method: '*',
    path: /^\/api\//,
    status: 429,
    schema: TOO_MANY_REQUESTS,
    reason:
      "Vinculo's authentication throttle (src/tenants/throttle.ts): after too many failed secret-key checks from a client address or for a key id, any operation answers 429 too_many_requests with Retry-After before checking the keys; and the per-key rate limit (VINCULO_RATE_LIMIT, src/http/rate-limit.ts), past its bucket. The document gives no 429 (Belvo's API guide lists none either).",
  },
  {
    kind: 'undocumented-status',
    method: 'POST',
    path: /^\/api\//,
    status: 409,
    schema: errorsWith({ code: ['idempotency_key_in_use'] }),
    reason:
      "Vinculo's Idempotency-Key (src/http/idempotency.ts, Stripe's semantics): a POST retried with the key of a request that is still running answers 409 idempotency_key_in_use with Retry-After. Belvo's document has no Idempotency-Key and no 409. (A key reused for another request is a 400 validation error on the field `Idempotency-Key`, which the documented 400 covers; a replay is the first answer again, with the header Idempotent-Replayed.)",
  },
  {
    kind: 'undocumented-status',
    method: '*',
    path: /^\/api\//,
    status: 503,
    schema: SERVICE_UNAVAILABLE,
    reason:
      'The database did not answer within its timeouts (VINCULO_DB_*_TIMEOUT_SECONDS): 503 service_unavailable with Retry-After, so a client retries instead of hanging. Belvo documents no 503 on these operations.',
  },
  {
    kind: 'undocumented-method',
    method: '*',
    path: /^\/api\//,
    status: 429,
    schema: TOO_MANY_REQUESTS,
    reason: 'The same throttle on a method the document does not give: keys are checked before the method is judged (see the 401 above).',
  },
  {
    kind: 'undocumented-method',
    method: '*',
    path: /^\/api\//,
    status: 404,
    schema: errors('NotFoundError'),
    reason:
      'A path that reads as a documented one but that no route serves (an empty id, `/api/tax-status//`): 404 not_found, as for any unknown path, whatever the method.',
  },
  {
    kind: 'undocumented-method',
    method: 'HEAD',
    path: /^\/api\//,
    as: 'GET',
    reason:
      'HTTP: every GET route also answers HEAD (fastify, as Django does), with the GET\'s status and headers and no body; the document lists GET only. Judged as the GET (its body, when the check sees one, too).',
  },
  {
    kind: 'undocumented-method',
    method: 'PATCH',
    path: ['/api/tax-returns/', '/api/tax-status/', '/api/tax-compliance-status/'],
    as: 'POST',
    reason:
      'Vinculo extension: every link-data collection takes the PATCH that resumes a challenged retrieval (same routes for every resource); Belvo documents it only where its institutions challenge. The resume answers what the retrieval answers.',
  },
  {
    kind: 'undocumented-status',
    method: ['GET', 'DELETE'],
    path: /\/\{id\}\/$/,
    status: 400,
    schema: errorsWith({ code: ['parse_error', 'unsupported_media_type', 'request_too_large'] }, { code: ['invalid'], message: 'Null characters are not allowed.' }),
    reason:
      "Vinculo's input guard (src/http/input-guard.ts, src/http/errors.ts) refuses, on every operation, a request body that is not JSON (content type, syntax, size) and a query holding NUL characters, with 400 before the route runs; the document gives no 400 on detail and delete operations, which Belvo answers without reading a body or the query.",
  },

  // ---- defects of Belvo's document ------------------------------------------------------------
  {
    kind: 'schema',
    method: ['GET', 'POST', 'PATCH', 'PUT'],
    path: /^\/api\//,
    status: [200, 201],
    at: '',
    when: (q) => q.has('fields') || q.has('omit'),
    variant: (q) => `fields=${q.getAll('fields').join(',')}&omit=${q.getAll('omit').join(',')}`,
    change: relaxShapedItems,
    reason:
      'The document offers `fields` and `omit` on these operations, but its response schemas still require every property: a shaped item need not have the properties the query removed (everything it keeps is still checked).',
  },
  {
    kind: 'undocumented-method',
    method: 'PATCH',
    path: '/api/employment-records/',
    as: 'POST',
    reason:
      'POST /api/employment-records/ documents a 428 token_required, but the document has no PATCH there to resume it with (every other collection whose POST can answer 428 has one): the resume answers what the retrieval answers.',
  },
  {
    kind: 'undocumented-status',
    method: 'GET',
    path: LISTS,
    status: 404,
    schema: errors('NotFoundError'),
    reason: "Belvo's document omits it: a page past the end (or a page number that is not one) is Belvo's 404 not_found 'Invalid page.'.",
  },
  {
    kind: 'undocumented-status',
    method: 'GET',
    path: LISTS,
    status: 400,
    schema: errors('ValidationError'),
    reason: "Belvo's document omits it: a filter value that is not valid (a bad date, an unknown choice) is Belvo's 400 with a validation error on that field.",
  },
  {
    kind: 'undocumented-status',
    method: 'POST',
    path: '/api/links/',
    status: 408,
    schema: errors('RequestTimeoutError'),
    reason: "Belvo's document omits it: registering a link whose login takes longer than Belvo's limit is a 408 request_timeout, as on every retrieval.",
  },
  {
    kind: 'schema',
    method: ['POST'],
    path: '/api/tax-status/',
    status: [200, 201],
    at: '',
    change: anyOfInstead,
    reason: '`oneOf [TaxStatusSat, TaxStatusDian]`: the two schemas have the same required fields, so no object can match exactly one of them.',
  },
  {
    kind: 'schema',
    method: 'GET',
    path: '/api/tax-status/{id}/',
    status: 200,
    at: '',
    change: anyOfInstead,
    reason: '`oneOf [TaxStatusSat, TaxStatusDian]`: the two schemas have the same required fields, so no object can match exactly one of them.',
  },
  {
    kind: 'schema',
    method: 'GET',
    path: '/api/tax-status/',
    status: 200,
    at: '/properties/results/items',
    change: anyOfInstead,
    reason: 'Each item is `oneOf [TaxStatusSat, TaxStatusDian]`: the two schemas have the same required fields, so no object can match exactly one of them.',
  },
  {
    kind: 'schema',
    method: 'GET',
    path: '/api/tax-returns/',
    status: 200,
    at: '',
    change: (_s, ctx) => {
      // The four page schemas differ only in their items; their page fields are the same.
      const page = ctx.resolve('#/components/schemas/TaxReturnsPersonalPaginated');
      const kinds = ['TaxReturnPersonal', 'TaxReturnPersonalMonthly', 'TaxReturnBusiness', 'TaxReturnBusinessMonthly'];
      return {
        ...page,
        properties: {
          ...page.properties,
          results: { type: 'array', items: { anyOf: kinds.map((k) => ({ $ref: `belvo#/components/schemas/${k}` })) } },
        },
      };
    },
    reason:
      "`oneOf` four page schemas, each holding one kind of return; a page may mix yearly and monthly returns (and an empty page matches all four). Each item must be one of the four kinds instead.",
  },
];
