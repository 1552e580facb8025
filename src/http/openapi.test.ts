import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FilterSet } from '../filters/index.js';
import { institutionFilters } from '../institutions/filters.js';
import { linkFilters } from '../links/filters.js';
import { RESOURCE_DEFINITIONS } from '../resources/definitions.js';
import { deliveryFilters } from '../webhooks/index.js';
import { describeStores } from '../../test/helpers/harness.js';
import { BASE_ENV } from '../../test/helpers/server-process.js';
import { routeTable } from './app.js';
import { generateOpenApi } from './openapi.js';

/**
 * GET /openapi.json, `vinculo openapi` and the committed openapi.json: one document, generated
 * from the routes. (That every answer matches it is checked on every request of every suite:
 * test/helpers/vinculo-openapi.ts.)
 */

type Json = any;
const ROOT = new URL('../../', import.meta.url).pathname;
const COMMITTED = join(ROOT, 'openapi.json');
const REGENERATE = 'run `npx vinculo openapi > openapi.json` and commit it';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ID = '0e6a4b7c-5b1f-4c7e-9b8e-2f4c1d7a9e10';

const committed = () => readFileSync(COMMITTED, 'utf8');
const operations = (doc: Json) =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Json })),
  );

/** Where two texts first differ, as a line number and both lines. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, n) => line !== y[n]);
  const at = i < 0 ? x.length : i;
  return `line ${at + 1}:\n  generated: ${x[at] ?? '(end)'}\n  committed: ${y[at] ?? '(end)'}`;
}

describe('openapi.json', () => {
  let text: string;
  let doc: Json;
  before(async () => {
    text = await generateOpenApi();
    doc = JSON.parse(text);
  });

  it('is the document the routes generate (committed, and the same bytes every time)', async () => {
    assert.ok(existsSync(COMMITTED), `openapi.json is missing: ${REGENERATE}`);
    if (text !== committed()) assert.fail(`openapi.json is not the document the routes generate: ${REGENERATE}.\nFirst difference at ${firstDifference(text, committed())}`);
    assert.equal(await generateOpenApi(), text, 'two generations differ');
  });

  it('is a coherent OpenAPI 3.1 document: references resolve, schemas compile, ids are unique, path parameters declared', () => {
    assert.equal(doc.openapi, '3.1.0');
    const refs = [...text.matchAll(/"\$ref": "#\/([^"]+)"/g)].map((m) => m[1]);
    for (const ref of new Set(refs)) {
      assert.notEqual(ref.split('/').reduce((node: Json, key) => node?.[key], doc), undefined, `unresolvable $ref #/${ref}`);
    }
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const rebase = (s: Json): Json => JSON.parse(JSON.stringify(s).replaceAll('"#/components/schemas/', '"doc#/$defs/'));
    ajv.addSchema(rebase({ $id: 'doc', $defs: doc.components.schemas }));
    const compile = (where: string, schema: Json) => assert.doesNotThrow(() => ajv.compile(rebase(schema)), where);
    for (const [name, response] of Object.entries(doc.components.responses as Record<string, Json>)) compile(name, response.content['application/json'].schema);

    const ids = new Set<string>();
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(!ids.has(op.operationId), `${where}: operationId ${op.operationId} twice`);
      ids.add(op.operationId);
      assert.ok(!op.responses['2XX'], `${where} declares no answers: give the route \`config: { doc }\` (RouteDoc, src/http/openapi.ts)`);
      assert.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${where}: no successful answer`);
      assert.ok(op.summary && op.tags.length && Array.isArray(op.security), where);
      const params: Json[] = (op.parameters ?? []).filter((p: Json) => !p.$ref);
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        assert.ok(params.some((p) => p.in === 'path' && p.name === name && p.required), `${where}: path parameter ${name} not declared`);
      }
      for (const p of params) compile(`${where} ${p.name}`, p.schema);
      if (op.requestBody) compile(`${where} body`, op.requestBody.content['application/json'].schema);
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        if (r.content) compile(`${where} ${status}`, r.content['application/json'].schema);
      }
    }
  });

  it('lists, as query parameters, every filter each list declares (src/filters), and only those', () => {
    const lists: [string, FilterSet][] = [
      ['/api/links/', linkFilters],
      ['/api/institutions/', institutionFilters],
      ['/api/webhooks/deliveries/', deliveryFilters],
      ...RESOURCE_DEFINITIONS.map((d): [string, FilterSet] => [`/api/${d.path}/`, d.filters]),
    ];
    for (const [path, filters] of lists) {
      const declared = Object.entries(filters.fields).flatMap(([name, f]) => f.ops.map((op) => (op === 'eq' ? name : `${name}__${op}`)));
      const documented = doc.paths[path].get.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => p.name);
      assert.deepEqual(documented.sort(), declared.sort(), path);
      const refs = doc.paths[path].get.parameters.filter((p: Json) => p.$ref).map((p: Json) => p.$ref.split('/').pop());
      assert.deepEqual(refs, ['Page', 'PageSize', 'Fields', 'Omit'], path);
    }
    const param = (path: string, name: string) => doc.paths[path].get.parameters.find((p: Json) => p.name === name);
    assert.deepEqual(param('/api/transactions/', 'amount__gte').schema, { type: 'number' });
    assert.deepEqual(param('/api/transactions/', 'value_date__range').schema, {
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: { type: 'string', format: 'date', description: 'A date; a date-time stands for its UTC date.' },
    });
    assert.deepEqual(param('/api/transactions/', 'status__in').schema.items.enum, ['PENDING', 'PROCESSED', 'UNCATEGORIZED']);
    assert.equal(param('/api/transactions/', 'status__in').explode, false);
    assert.equal(param('/api/transactions/', 'link').required, true, 'transactions need a link');
    assert.equal(param('/api/accounts/', 'link').required, undefined);
    assert.deepEqual(param('/api/links/', 'status').schema.enum, ['valid', 'invalid', 'unconfirmed', 'token_required']);
  });

  it('gives each operation its error answers and security', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).filter((s) => s >= '400');
    assert.deepEqual(statuses('/api/links/', 'post'), ['400', '401', '408', '409', '428', '429', '500', '503']);
    assert.deepEqual(statuses('/api/links/{id}/', 'get'), ['400', '401', '404', '429', '500', '503']);
    assert.deepEqual(statuses('/api/transactions/', 'get'), ['400', '401', '404', '429', '500', '503']);
    assert.ok(doc.components.responses.MethodNotAllowed, '405 is described once, for the methods a path does not list');
    const codes = doc.components.responses.TokenRequired.content['application/json'].schema.items.properties;
    assert.deepEqual(codes.code.enum, ['token_required']);
    assert.ok(codes.session && codes.token_generation_data, '428 tells how to resume');
    assert.deepEqual(doc.components.securitySchemes.basicAuth, { ...doc.components.securitySchemes.basicAuth, type: 'http', scheme: 'basic' });
    assert.deepEqual(doc.paths['/api/links/'].get.security, [{ basicAuth: [] }]);
    assert.deepEqual(doc.paths['/api/token/'].post.security, [{ basicAuth: [] }, {}]);
    assert.deepEqual(doc.paths['/api/token/refresh/'].post.security, []);
  });
});

describe('vinculo openapi', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('prints the document without a configuration, a store or a server', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vinculo-openapi-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    // Production without a master key and an unreachable database: any start would fail.
    const env = { ...BASE_ENV, NODE_ENV: 'production', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', VINCULO_DATA_DIR: dataDir };
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, ['bin/vinculo.js', 'openapi'], { cwd: ROOT, env, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.ok(run.stdout === committed(), `vinculo openapi printed another document than openapi.json: ${REGENERATE}`);
    assert.ok(!existsSync(dataDir), 'no embedded store was opened');
  });
});

describeStores('GET /openapi.json', (h) => {
  it('serves the committed document to anyone, as JSON', async () => {
    const res = await h().vinculo.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.ok(res.body === committed(), `GET /openapi.json differs from openapi.json: ${REGENERATE}`);
    // fields/omit shape API objects, not the document.
    assert.equal((await h().vinculo.app.inject({ method: 'GET', url: '/openapi.json?fields=paths' })).body, res.body);
    assert.equal((await h().vinculo.app.inject({ method: 'POST', url: '/openapi.json' })).statusCode, 405);
  });

  it("describes every /api/ route of the running server, and only those", () => {
    const served = routeTable(h().vinculo.app)
      .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url.replace(/:([^/]+)/g, '{$1}')}`);
    const documented = operations(JSON.parse(committed())).map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    assert.deepEqual(documented.sort(), served.sort());
  });

  it('every operation secured by Basic auth alone refuses a request without it (401)', async () => {
    const secured = operations(JSON.parse(committed())).filter(({ op }) => JSON.stringify(op.security) === JSON.stringify([{ basicAuth: [] }]));
    assert.ok(secured.length > 40);
    for (const { path, method } of secured) {
      const res = await h().vinculo.app.inject({ method: method.toUpperCase() as 'GET', url: path.replace(/\{[^}]+\}/g, ID), payload: method === 'get' || method === 'delete' ? undefined : {} });
      assert.equal(res.statusCode, 401, `${method.toUpperCase()} ${path}`);
    }
  });
});
