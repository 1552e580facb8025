/**
 * Validates Open Finance Brasil answers against the published OpenAPI 3.0 documents kept next to
 * this file (see README.md). Used by the mock bank's tests and by the real connector, which must
 * reject a bank answer that does not conform instead of mapping garbage.
 *
 * OpenAPI 3.0 schemas are JSON Schema draft-04-ish plus a few extensions. What is bridged here:
 * - `nullable: true` becomes `type: [t, 'null']` (and `null` joins an `enum`);
 * - `$ref`s are local to each document (`#/components/...`): every document is registered with Ajv
 *   under its own `$id` (`ofb-accounts`, ...) and the schemas compiled from it are rebased on it;
 * - OpenAPI-only formats (`int32`, `double`, `integer` on numbers, ...) are checked as ranges or
 *   ignored; `example`, `x-*` and other annotations are ignored (`strict: false`).
 * Each (document, method, path, status) validator is compiled once and cached: a check is then a
 * plain function call.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export type SpecName = 'accounts' | 'credit-cards' | 'customers' | 'resources' | 'consents';

/** File and base path (`servers[].url` path) of each document. */
export const SPECS: Record<SpecName, { file: string; basePath: string }> = {
  accounts: { file: 'accounts-2.4.2.yml', basePath: '/open-banking/accounts/v2' },
  'credit-cards': { file: 'credit-cards-2.3.1.yml', basePath: '/open-banking/credit-cards-accounts/v2' },
  customers: { file: 'customers-2.2.1.yml', basePath: '/open-banking/customers/v2' },
  resources: { file: 'resources-3.1.0.yml', basePath: '/open-banking/resources/v3' },
  consents: { file: 'consents-3.3.1.yml', basePath: '/open-banking/consents/v3' },
};

/** One violation: where (`$.data[0].amount`, `headers.x-v`), what, and the JSON Schema keyword. */
export interface ValidationIssue {
  path: string;
  message: string;
  keyword: string;
}

type Json = any; // parsed YAML: shapes are checked by Ajv, not by the compiler

interface OpenApiDoc {
  info: { version: string };
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
}

interface Loaded {
  doc: OpenApiDoc;
  /** Templates with a matcher, most literal segments first (a literal beats a `{param}`). */
  templates: { template: string; pattern: RegExp }[];
}

const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
// OFB documents write `format: integer` on `type: number` fields (chargeIdentificator, payeeMCC).
ajv.addFormat('integer', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
for (const f of ['float', 'binary', 'byte', 'password']) ajv.addFormat(f, true);

const loaded = new Map<SpecName, Loaded>();
const validators = new Map<string, ValidateFunction | null>();

/** OpenAPI 3.0 → JSON Schema, in place: `nullable`. */
function convert(node: Json): void {
  if (Array.isArray(node)) {
    for (const n of node) convert(n);
    return;
  }
  if (!node || typeof node !== 'object') return;
  if (node.nullable === true) {
    if (typeof node.type === 'string') node.type = [node.type, 'null'];
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  }
  for (const v of Object.values(node)) convert(v);
}

/** The parsed document (the YAML files start with a BOM, which is stripped). */
export function loadSpec(name: SpecName): OpenApiDoc {
  return load(name).doc;
}

function load(name: SpecName): Loaded {
  let l = loaded.get(name);
  if (l) return l;
  const text = readFileSync(new URL(SPECS[name].file, import.meta.url), 'utf8').replace(/^\uFEFF/, '');
  const doc = parse(text) as OpenApiDoc;
  convert(doc.components);
  convert(doc.paths);
  // Only `components` is registered: Ajv then never walks `paths` (full of non-schema objects).
  ajv.addSchema({ $id: `ofb-${name}`, components: doc.components }, `ofb-${name}`);
  const templates = Object.keys(doc.paths)
    .map((template) => ({
      template,
      literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => b.literals - a.literals);
  l = { doc, templates };
  loaded.set(name, l);
  return l;
}

/** The document's template for a concrete path (with or without the base path), or null. */
export function templateFor(name: SpecName, path: string): string | null {
  const { doc, templates } = load(name);
  const base = SPECS[name].basePath;
  const p = (path.startsWith(base) ? path.slice(base.length) : path).split('?')[0] || '/';
  if (doc.paths[p]) return p;
  return templates.find((t) => t.pattern.test(p))?.template ?? null;
}

/** Follows a local `$ref` chain inside the document. */
function deref(doc: OpenApiDoc, node: Json): Json {
  let n = node;
  for (let i = 0; n && typeof n.$ref === 'string' && i < 20; i++) {
    let target: Json = doc;
    for (const t of n.$ref.replace(/^#\//, '').split('/')) target = target?.[t.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined) throw new Error(`unresolvable $ref ${n.$ref}`);
    n = target;
  }
  return n;
}

/** A copy of `schema` whose local `$ref`s point into the registered `ofb-<name>` document. */
function rebase(name: SpecName, schema: Json): Json {
  if (Array.isArray(schema)) return schema.map((s) => rebase(name, s));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `ofb-${name}${v}` : rebase(name, v);
  }
  return out;
}

/** The documented response for a status (falling back to `default`), already dereferenced. */
function responseDef(name: SpecName, method: string, template: string, status: number): Json | null {
  const { doc } = load(name);
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (!op) return null;
  const r = op.responses?.[String(status)] ?? op.responses?.default;
  return r ? deref(doc, r) : null;
}

function bodyValidator(name: SpecName, method: string, template: string, status: number): ValidateFunction | null {
  const key = `${name} ${method} ${template} ${status}`;
  if (validators.has(key)) return validators.get(key) ?? null;
  const def = responseDef(name, method, template, status);
  const content = def?.content as Record<string, Json> | undefined;
  // Success answers are documented as `application/json`, errors as `application/json; charset=utf-8`.
  const media = content ? (content['application/json'] ?? Object.values(content)[0]) : undefined;
  const v = media?.schema ? ajv.compile(rebase(name, media.schema)) : null;
  validators.set(key, v);
  return v;
}

function jsonPath(instancePath: string): string {
  return (
    '$' +
    instancePath
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((t) => (/^\d+$/.test(t) ? `[${t}]` : /^[A-Za-z_$][\w$-]*$/.test(t) ? `.${t}` : `[${JSON.stringify(t)}]`))
      .join('')
  );
}

function issue(e: ErrorObject, prefix = ''): ValidationIssue {
  let path = jsonPath(e.instancePath);
  if (e.keyword === 'required') path += `.${(e.params as { missingProperty: string }).missingProperty}`;
  return { path: prefix ? `${prefix}${path.slice(1)}` : path, message: e.message ?? e.keyword, keyword: e.keyword };
}

/**
 * Checks an answer against the document: `pathTemplate` is the document's key
 * (`/accounts/{accountId}`) or a concrete path (`/open-banking/accounts/v2/accounts/abc`).
 * `headers` (lower-case names), when given, are checked against the response's declared headers
 * (required ones must be present). Returns [] when the answer conforms.
 */
export function validateResponse(
  name: SpecName,
  method: string,
  pathTemplate: string,
  status: number,
  body: unknown,
  headers?: Record<string, string | undefined>,
): ValidationIssue[] {
  const { doc } = load(name);
  const template = doc.paths[pathTemplate] ? pathTemplate : templateFor(name, pathTemplate);
  if (!template) return [{ path: '$', message: `no path ${pathTemplate} in ${SPECS[name].file}`, keyword: 'operation' }];
  if (!doc.paths[template][method.toLowerCase()]) {
    return [{ path: '$', message: `${method.toUpperCase()} ${template} is not documented`, keyword: 'operation' }];
  }
  const def = responseDef(name, method, template, status);
  if (!def) return [{ path: '$', message: `status ${status} is not documented for ${method.toUpperCase()} ${template}`, keyword: 'status' }];
  const out: ValidationIssue[] = [];
  const v = bodyValidator(name, method, template, status);
  if (v) {
    if (!v(body)) out.push(...(v.errors ?? []).map((e) => issue(e)));
  } else if (body !== undefined && body !== null && body !== '') {
    out.push({ path: '$', message: `status ${status} documents no body`, keyword: 'body' });
  }
  if (headers) out.push(...checkHeaders(name, method, template, status, def, headers));
  return out;
}

function checkHeaders(
  name: SpecName,
  method: string,
  template: string,
  status: number,
  def: Json,
  headers: Record<string, string | undefined>,
): ValidationIssue[] {
  const { doc } = load(name);
  const out: ValidationIssue[] = [];
  for (const [header, raw] of Object.entries((def.headers ?? {}) as Record<string, Json>)) {
    const h = deref(doc, raw);
    const value = headers[header.toLowerCase()];
    if (value === undefined) {
      if (h.required) out.push({ path: `headers.${header.toLowerCase()}`, message: 'required header is missing', keyword: 'required' });
      continue;
    }
    if (!h.schema) continue;
    const key = `${name} ${method} ${template} ${status} header ${header}`;
    let v = validators.get(key);
    if (!v) {
      v = ajv.compile(rebase(name, h.schema));
      validators.set(key, v);
    }
    if (!v(value)) out.push(...(v.errors ?? []).map((e) => issue(e, `headers.${header.toLowerCase()}`)));
  }
  return out;
}

/** The `info.version` of a document (e.g. `2.4.2`), for `x-v` headers. */
export function specVersion(name: SpecName): string {
  return load(name).doc.info.version;
}

/** Query/header parameters the document declares for an operation (dereferenced). */
export function operationParameters(name: SpecName, method: string, template: string): Json[] {
  const { doc } = load(name);
  const op = doc.paths[template]?.[method.toLowerCase()];
  return ((op?.parameters ?? []) as Json[]).map((p) => deref(doc, p));
}

/**
 * Validates one parameter value (already coerced: numbers for integer/number schemas) against
 * its declared schema; returns messages, [] when valid.
 */
export function validateParameter(name: SpecName, method: string, template: string, param: string, value: unknown): string[] {
  const key = `${name} ${method} ${template} param ${param}`;
  let v = validators.get(key);
  if (v === undefined) {
    const p = operationParameters(name, method, template).find((x) => x.name === param);
    v = p?.schema ? ajv.compile(rebase(name, p.schema)) : null;
    validators.set(key, v);
  }
  if (!v) return [];
  return v(value) ? [] : (v.errors ?? []).map((e) => `${param} ${e.message ?? e.keyword}`);
}
