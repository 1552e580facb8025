import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { generateOpenApi } from '../../src/http/openapi.js';
import type { Exchange } from './openapi.js';

/**
 * Vinculo's own OpenAPI document (GET /openapi.json, src/http/openapi.ts) as a judge of every
 * answer to a route it describes: the status must be documented for the operation and the body
 * must match. Paths it does not describe (the widget, the sandbox, unknown paths) are not judged
 * here. A method the document does not list on a path it describes must be answered as its
 * description says: 405, or 401/429 before the method is judged.
 */

type Json = any;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Answers to a method the document does not list on one of its paths. */
const OTHER_METHODS: Record<number, string> = { 401: 'Unauthorized', 405: 'MethodNotAllowed', 429: 'TooManyRequests' };

export interface DocumentCheck {
  readonly document: Json;
  check(x: Exchange): string[];
}

let generated: Promise<DocumentCheck> | undefined;

/** The checker over the document generated from the current routes (once per process). */
export function vinculoDocumentCheck(): Promise<DocumentCheck> {
  generated ??= generateOpenApi().then((text) => documentCheck(JSON.parse(text)));
  return generated;
}

export function documentCheck(document: Json): DocumentCheck {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: 'vinculo', components: document.components });

  const rebase = (s: Json): Json => {
    if (Array.isArray(s)) return s.map(rebase);
    if (!s || typeof s !== 'object') return s;
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `vinculo${v}` : rebase(v)]));
  };
  const resolve = (s: Json): Json => {
    if (!s || typeof s.$ref !== 'string') return s;
    let node: Json = document;
    for (const part of s.$ref.replace(/^#\//, '').split('/')) node = node?.[part];
    if (node === undefined) throw new Error(`unresolvable $ref ${s.$ref}`);
    return resolve(node);
  };

  const operations = Object.entries(document.paths as Record<string, Json>).map(([template, item]) => {
    const segments = template.split('/').filter(Boolean);
    const source = segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
    return { template, item, pattern: new RegExp(`^/${source}/$`), literals: segments.filter((s) => !s.startsWith('{')).length };
  });

  const validators = new Map<string, ValidateFunction>();
  const validator = (key: string, build: () => Json) => {
    let v = validators.get(key);
    if (!v) validators.set(key, (v = ajv.compile(rebase(build()))));
    return v;
  };

  /** `fields=`/`omit=`: each shaped object need not have the fields the query removed. */
  const shaped = (schema: Json, removed: (name: string) => boolean): Json => {
    const relax = (s: Json): Json => {
      const o = resolve(s);
      return { ...o, ...(Array.isArray(o.required) && { required: o.required.filter((n: string) => !removed(n)) }) };
    };
    const root = resolve(schema);
    if (root.properties?.results) return { ...root, properties: { ...root.properties, results: { ...root.properties.results, items: relax(root.properties.results.items) } } };
    if (root.type === 'array') return { ...root, items: relax(root.items) };
    return relax(root);
  };

  function checkBody(x: Exchange, response: Json, label: string, key: string, query: URLSearchParams): string[] {
    const text = x.body ?? '';
    const content = resolve(response).content?.['application/json'];
    if (!content) return text === '' ? [] : [`${label}: the document gives no body, got ${text.slice(0, 200)}`];
    if (x.method.toUpperCase() === 'HEAD' && text === '') return [];
    if (x.body === null) return [`${label}: the body is not JSON text (a stream)`];
    if (!/^application\/json\b/.test(x.contentType ?? '')) return [`${label}: content-type ${x.contentType} is not application/json`];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return [`${label}: the body is not JSON: ${text.slice(0, 200)}`];
    }
    const list = (k: string) => (query.has(k) ? new Set(query.getAll(k).join(',').split(',').map((s) => s.trim()).filter(Boolean)) : null);
    const fields = list('fields');
    const omit = list('omit');
    const shapes = (fields || omit) && x.status >= 200 && x.status < 300 && x.status !== 202;
    const removed = (n: string) => (fields !== null && !fields.has(n)) || (omit?.has(n) ?? false);
    const validate = shapes
      ? validator(`${key} shaped ${[...(fields ?? [])]}|${[...(omit ?? [])]}`, () => shaped(content.schema, removed))
      : validator(key, () => content.schema);
    if (validate(value)) return [];
    return [`${label}: ${ajv.errorsText(validate.errors, { separator: '\n  ' })}\n  body: ${text.slice(0, 800)}`];
  }

  function check(x: Exchange): string[] {
    const path = `${x.url.split('?')[0].replace(/\/+$/, '')}/`;
    const query = new URLSearchParams(x.url.includes('?') ? x.url.slice(x.url.indexOf('?') + 1) : '');
    let best: (typeof operations)[number] | undefined;
    for (const op of operations) if (op.pattern.test(path) && (!best || op.literals > best.literals)) best = op;
    if (!best) return [];
    const method = x.method.toUpperCase() === 'HEAD' ? 'get' : x.method.toLowerCase();
    const where = `${x.method} ${x.url} → ${x.status} (Vinculo's openapi.json, ${method.toUpperCase()} ${best.template})`;
    const operation = METHODS.includes(method) ? best.item[method] : undefined;
    if (!operation) {
      const name = OTHER_METHODS[x.status];
      if (!name) return [`${where}: the document lists no ${method.toUpperCase()} on this path, so the answer must be one of ${Object.keys(OTHER_METHODS).join(', ')}`];
      return checkBody(x, { $ref: `#/components/responses/${name}` }, where, `other ${x.status}`, query);
    }
    const status = String(x.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => operation.responses[k]);
    if (!key) {
      return [`${where}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})\n  body: ${(x.body ?? '').slice(0, 400)}`];
    }
    return checkBody(x, operation.responses[key], where, `${method} ${best.template} ${key}`, query);
  }

  return { document, check };
}
