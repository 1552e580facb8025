import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { DEVIATIONS, type Deviation, type Schema, type SchemaContext } from '../../spec/belvo/deviations.js';

/**
 * Belvo's published OpenAPI document (spec/belvo/belvo-openapi-1.35.0.yaml, kept unchanged) as the
 * judge of every response: `assertSchema` validates a value against one of its component schemas,
 * `checkExchange` validates a whole answer (status and body) against the operation the document
 * gives for its method and path. Where the document is wrong or silent, the entries of
 * spec/belvo/deviations.ts apply; nothing else is let through.
 */

type Json = any;
interface OpenApi {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Json>;
}

const SPEC = new URL('../../spec/belvo/belvo-openapi-1.35.0.yaml', import.meta.url);

/**
 * Parsing the 1.3 MB YAML takes about a second; its JSON, cached under node_modules/.cache by the
 * document's hash (so an edited document is re-parsed), takes a few milliseconds.
 */
function loadSpec(): OpenApi {
  const text = readFileSync(SPEC, 'utf8');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = new URL('../../node_modules/.cache/vinculo/', import.meta.url);
  const cache = new URL(`belvo-openapi-${hash}.json`, dir);
  try {
    return JSON.parse(readFileSync(cache, 'utf8'));
  } catch {
    /* not cached yet */
  }
  const spec = parse(text) as OpenApi;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = new URL(`belvo-openapi-${hash}.${process.pid}.tmp`, dir);
    writeFileSync(tmp, JSON.stringify(spec));
    renameSync(tmp, cache);
  } catch {
    /* a read-only checkout: parse every time */
  }
  return spec;
}

/** What checking costs, printed at exit with VINCULO_CONFORMANCE_TIMING=1. */
const cost = { loadMs: 0, checks: 0, checkMs: 0, compiled: 0, compileMs: 0 };
const loadStarted = performance.now();
const spec = loadSpec();
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
// OpenAPI's own formats: `float` and `binary` say nothing JSON Schema can check; int32 is a range.
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
for (const f of ['float', 'binary', 'string']) ajv.addFormat(f, true);
// One schema document: components (for `assertSchema` and every `$ref`) and paths (responses).
ajv.addSchema({ $id: 'belvo', components: spec.components, paths: spec.paths });
cost.loadMs = performance.now() - loadStarted;
if (process.env.VINCULO_CONFORMANCE_TIMING === '1') {
  process.on('exit', () => {
    const ms = (n: number) => `${Math.round(n)} ms`;
    process.stdout.write(
      `# conformance: ${cost.checks} answers checked in ${ms(cost.checkMs)} (${cost.compiled} validators compiled in ${ms(cost.compileMs)}); document loaded in ${ms(cost.loadMs)}\n`,
    );
  });
}

export function assertSchema(schema: string, value: unknown): void {
  const validate = ajv.getSchema(`belvo#/components/schemas/${schema}`);
  assert.ok(validate, `no schema ${schema}`);
  const ok = validate(value);
  assert.ok(ok, `${schema}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
}

// ---- operations ------------------------------------------------------------------------------

interface Operation {
  method: string;
  /** Belvo's template, e.g. `/api/links/{id}/`. */
  template: string;
  pattern: RegExp;
  /** Literal segments: `/api/links/x/` matches `/api/links/{id}/`, a literal template would win. */
  literals: number;
  responses: Record<string, Json>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const operations: Operation[] = [];
for (const [template, item] of Object.entries(spec.paths)) {
  const segments = template.split('/').filter(Boolean);
  const source = segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
  for (const method of Object.keys(item).filter((m) => METHODS.includes(m))) {
    operations.push({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^/${source}/$`),
      literals: segments.filter((s) => !s.startsWith('{')).length,
      responses: item[method].responses ?? {},
    });
  }
}

/** The request's path as Belvo writes its templates: one trailing slash (Vinculo ignores it). */
function normalPath(url: string): string {
  const path = url.split('?')[0].replace(/\/+$/, '');
  return `${path}/`;
}

/** The documented operations of the best-matching template for `path` (all methods). */
function templateOf(path: string): string | null {
  let best: Operation | null = null;
  for (const op of operations) if (op.pattern.test(path) && (!best || op.literals > best.literals)) best = op;
  return best?.template ?? null;
}

// ---- schemas -----------------------------------------------------------------------------------

/** Resolves `belvo#/…` (or the document's own `#/…`) to the schema object it names. */
function resolve(ref: string): Schema {
  const pointer = ref.replace(/^(belvo)?#/, '');
  let node: Json = { components: spec.components, paths: spec.paths };
  for (const raw of pointer.split('/').slice(1)) {
    node = node?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  assert.ok(node !== undefined, `unresolvable $ref ${ref}`);
  return node;
}

/** A copy of `schema` whose document-local `$ref`s name the `belvo` document (compilable alone). */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `belvo${v}` : rebase(v);
  return out;
}

/**
 * Replaces the sub-schema at JSON pointer `at` (a place in the schema, `$ref`s followed and
 * inlined on the way) by `change(sub-schema)`. `schema` is a private copy: it is changed in place.
 */
function patchAt(schema: Json, at: string, change: (s: Schema) => Schema): Json {
  const tokens = at.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  const inline = (s: Json): Json => (s && typeof s === 'object' && typeof s.$ref === 'string' ? inline(rebase(resolve(s.$ref))) : s);
  if (!tokens.length) return change(inline(schema));
  const root = inline(schema);
  let parent = root;
  for (const [i, token] of tokens.entries()) {
    assert.ok(parent && typeof parent === 'object' && token in parent, `deviation: no ${at} in the schema`);
    if (i === tokens.length - 1) parent[token] = change(inline(parent[token]));
    else parent = parent[token] = inline(parent[token]);
  }
  return root;
}

const schemaContext: SchemaContext = { resolve: (ref) => rebase(resolve(ref)) };

// ---- checking an exchange --------------------------------------------------------------------

export interface Exchange {
  method: string;
  /** The request URL as received (path and query). */
  url: string;
  status: number;
  /** The body sent; null when it was not text (a stream). */
  body: string | null;
  contentType?: string;
}

function appliesTo(d: { method: string | readonly string[]; path: string | readonly string[] | RegExp; status?: number | readonly number[] }, method: string, template: string, status?: number): boolean {
  const methods = typeof d.method === 'string' ? [d.method] : d.method;
  if (!methods.includes('*') && !methods.includes(method)) return false;
  if (d.path instanceof RegExp ? !d.path.test(template) : !(typeof d.path === 'string' ? [d.path] : d.path).includes(template)) return false;
  if (status === undefined || d.status === undefined) return true;
  return (typeof d.status === 'number' ? [d.status] : d.status).includes(status);
}

const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string, build: () => Schema): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    const started = performance.now();
    v = ajv.compile(build());
    validators.set(key, v);
    cost.compiled++;
    cost.compileMs += performance.now() - started;
  }
  return v;
}

/** `described`: the schema the body must match (built only the first time its key is seen), or null: no body. */
function checkBody(x: Exchange, described: { key: string; build: () => Schema } | null, label: string): string[] {
  const text = x.body ?? '';
  if (!described) return text === '' ? [] : [`${label} documents no body, got ${text.slice(0, 200)}`];
  // HEAD: the body the GET would send, when the check sees it before fastify drops it; else none.
  if (x.method.toUpperCase() === 'HEAD' && text === '') return [];
  if (x.body === null) return [`${label}: the body is not JSON text (a stream)`];
  if (!/^application\/json\b/.test(x.contentType ?? '')) return [`${label}: content-type ${x.contentType} is not application/json`];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [`${label}: the body is not JSON: ${text.slice(0, 200)}`];
  }
  const validate = validatorFor(described.key, described.build);
  if (validate(value)) return [];
  return [`${label}: ${ajv.errorsText(validate.errors, { separator: '\n  ' })}\n  body: ${text.slice(0, 800)}`];
}

/**
 * Problems with one answer, judged by Belvo's document and spec/belvo/deviations.ts (empty: it
 * conforms, or its path is outside Belvo's API by an explicit rule).
 */
export function checkExchange(x: Exchange): string[] {
  const started = performance.now();
  try {
    return check(x);
  } finally {
    cost.checks++;
    cost.checkMs += performance.now() - started;
  }
}

function check(x: Exchange): string[] {
  const method = x.method.toUpperCase();
  const path = normalPath(x.url);
  const query = new URLSearchParams(x.url.includes('?') ? x.url.slice(x.url.indexOf('?') + 1) : '');
  const where = `${method} ${x.url} → ${x.status}`;

  const outside = DEVIATIONS.find((d): d is Extract<Deviation, { kind: 'not-belvo' }> => d.kind === 'not-belvo' && d.path.test(path));
  if (outside) return [];

  const template = templateOf(path);
  if (!template) {
    const rule = DEVIATIONS.find((d): d is Extract<Deviation, { kind: 'unknown-path' }> => d.kind === 'unknown-path' && d.status === x.status);
    if (!rule) return [`${where}: no operation of Belvo's document has this path, and no deviation covers it`];
    return checkBody(x, { key: `unknown-path ${x.status}`, build: () => rule.schema }, `${where} (unknown path)`);
  }

  let op = operations.find((o) => o.template === template && o.method === method);
  if (!op) {
    const rule = DEVIATIONS.find(
      (d): d is Extract<Deviation, { kind: 'undocumented-method' }> =>
        d.kind === 'undocumented-method' && ('as' in d || d.status === x.status) && appliesTo(d, method, template),
    );
    if (!rule) return [`${where}: Belvo documents no ${method} on ${template}, and no deviation covers it\n  body: ${(x.body ?? '').slice(0, 400)}`];
    if ('status' in rule) {
      return checkBody(x, { key: `method ${rule.status} ${template}`, build: () => rule.schema }, `${where} (${method} ${template} is not documented)`);
    }
    op = operations.find((o) => o.template === template && o.method === rule.as);
    assert.ok(op, `deviation: no ${rule.as} ${template} in the document`);
  }

  const label = `${where} (${op.method} ${template})`;
  const documented = op.responses[String(x.status)];
  if (!documented) {
    const rule = DEVIATIONS.find(
      (d): d is Extract<Deviation, { kind: 'undocumented-status' }> => d.kind === 'undocumented-status' && appliesTo(d, op.method, template, x.status),
    );
    if (!rule) {
      return [
        `${label}: status ${x.status} is not documented (documented: ${Object.keys(op.responses).join(', ')}), and no deviation covers it\n  body: ${(x.body ?? '').slice(0, 400)}`,
      ];
    }
    return checkBody(x, { key: `status ${op.method} ${template} ${x.status}`, build: () => rule.schema }, `${label} [undocumented status]`);
  }

  const content = (resolveResponse(documented).content ?? {})['application/json'];
  if (!content?.schema) return checkBody(x, null, label);
  const patches = DEVIATIONS.filter(
    (d): d is Extract<Deviation, { kind: 'schema' }> => d.kind === 'schema' && appliesTo(d, op.method, template, x.status) && (!d.when || d.when(query)),
  );
  const variants = patches.map((p) => `${DEVIATIONS.indexOf(p)}${p.variant ? `:${p.variant(query)}` : ''}`);
  return checkBody(
    x,
    {
      key: `${op.method} ${template} ${x.status} [${variants.join(',')}]`,
      build: () => patches.reduce((s, p) => patchAt(s, p.at, (sub) => p.change(sub, schemaContext, query)), rebase(content.schema)),
    },
    label,
  );
}

function resolveResponse(r: Json): Json {
  return r && typeof r.$ref === 'string' ? resolveResponse(resolve(r.$ref)) : r;
}
