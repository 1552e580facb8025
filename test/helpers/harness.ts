import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, afterEach, before, describe } from 'node:test';
import { Readable, Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { createVinculo, type Vinculo } from '../../src/server.js';
import { checkExchange } from './openapi.js';
import { vinculoDocumentCheck, type DocumentCheck } from './vinculo-openapi.js';
import { startReceiver, type Receiver } from './receiver.js';
import { freshStore, STORES, type StoreName } from './stores.js';

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** One tenant's API client over `app.inject` (real HTTP semantics, no socket). */
export interface Client {
  tenant: string;
  id: string;
  password: string;
  authorization: string;
  request<T = any>(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>>;
}

export interface Harness {
  store: StoreName;
  vinculo: Vinculo;
  /** Every log line the server wrote (for "credentials never logged" checks). */
  logs: string[];
  /** Every warning the server gave at start (configuration it considers unsafe). */
  warnings: string[];
  /** http://127.0.0.1:PORT once `listen()` was called (SDK tests). */
  baseUrl: string;
  listen(): Promise<string>;
  newClient(tenant?: string): Promise<Client>;
  /**
   * Throws if any answer this server sent since the last check broke Belvo's document (see
   * `watchConformance`); `describeStores` calls it after every test, `close()` once more.
   */
  assertConformant(): void;
  close(): Promise<void>;
}

// ---- every answer checked against Belvo's OpenAPI document and Vinculo's own -------------------------

interface Violation {
  requestId: string;
  problems: string[];
}

/**
 * Answers of one server that broke Belvo's document (spec/belvo/, test/helpers/openapi.ts) or
 * Vinculo's own (openapi.json, test/helpers/vinculo-openapi.ts).
 * A request made through `Client.request` takes its own violation and throws it at once; anything
 * else (the official SDK over a socket, a browser, a direct `app.inject`) stays here until
 * `assertConformant()` throws it: after the test that made it (describeStores' afterEach), or at
 * `close()`.
 *
 * VINCULO_CONFORMANCE_REPORT=<file> appends every violation to that file (JSON lines) instead of
 * failing: to survey a whole run at once, e.g. after moving to a new version of the document.
 */
class Conformance {
  private readonly pending = new Map<string, Violation>();
  private readonly report = process.env.VINCULO_CONFORMANCE_REPORT;

  record(v: Violation): void {
    if (this.report) appendFileSync(this.report, `${JSON.stringify(v)}\n`);
    else this.pending.set(v.requestId, v);
  }

  take(requestId: unknown): Violation | undefined {
    const v = typeof requestId === 'string' ? this.pending.get(requestId) : undefined;
    if (v) this.pending.delete(requestId as string);
    return v;
  }

  assertNone(): void {
    if (!this.pending.size) return;
    const all = [...this.pending.values()];
    this.pending.clear();
    throw new Error(`${all.length} answer(s) broke Belvo's OpenAPI document or Vinculo's:\n${all.map(explain).join('\n')}`);
  }
}

function explain(v: Violation): string {
  return `[request ${v.requestId}] ${v.problems.join('\n')}`;
}

const conformance = new WeakMap<FastifyInstance, Conformance>();

/**
 * A test-only `onSend` hook: every answer the server produces, whoever asked (inject or socket),
 * is checked against the operation Belvo's document gives for its method, path and status, and
 * against Vinculo's own document where it describes the path.
 * Checking never changes the answer; a violation is recorded for the test to fail on.
 */
function watchConformance(app: FastifyInstance, own: DocumentCheck): Conformance {
  const c = new Conformance();
  app.addHook('onSend', async (request, reply, payload) => {
    const body =
      payload === null || payload === undefined ? '' : typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload instanceof Readable ? null : String(payload);
    const contentType = reply.getHeader('content-type');
    let problems: string[];
    try {
      const exchange = {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        body,
        contentType: typeof contentType === 'string' ? contentType : undefined,
      };
      problems = [...checkExchange(exchange), ...own.check(exchange)];
    } catch (err) {
      // A broken deviation or schema must fail the test too, not turn the answer into a 500.
      problems = [`${request.method} ${request.url} → ${reply.statusCode}: the check itself failed: ${(err as Error).stack}`];
    }
    if (problems.length) c.record({ requestId: request.id, problems });
    return payload;
  });
  conformance.set(app, c);
  return c;
}

/** The master key of every test server (child processes of a test use it to share its store). */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
let tenantCounter = 0;

export interface HarnessOptions {
  /**
   * Run background workers (first loads, refreshes, webhook deliveries, the scheduler). Off by
   * default so a suite sees only what its own requests do; the refresh and webhook suites turn it on.
   */
  workers?: boolean;
}

/**
 * What no log line of any test may hold (every suite logs at debug): a JWT (widget tokens), a
 * secret-bearing query parameter that was not redacted, or a secret-key password of the run.
 */
const SECRET_IN_LOG = [/eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/, /[?&](access_token|refresh|token)=(?!\[redacted\])[^&"\s]/];

export function assertNoSecretsLogged(logs: readonly string[], secrets: readonly string[]): void {
  for (const line of logs) {
    for (const pattern of SECRET_IN_LOG) assert.doesNotMatch(line, pattern, 'a token reached the log');
    for (const secret of secrets) assert.ok(!line.includes(secret), `a key password reached the log: ${line.slice(0, 200)}`);
  }
}

export async function startHarness(store: StoreName, env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      if (process.env.VINCULO_TEST_ECHO_LOGS && /"level":(40|50|60)/.test(String(chunk))) process.stderr.write(String(chunk));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const config = loadConfig({
    VINCULO_MASTER_KEY: TEST_MASTER_KEY,
    VINCULO_DATA_DIR: '/nonexistent-test-dir',
    VINCULO_JOB_POLL_SECONDS: '0.5',
    ...env,
  });
  const warnings: string[] = [];
  const passwords: string[] = [];
  const vinculo = await createVinculo({
    config,
    logger,
    store: await freshStore(store),
    workers: options.workers ?? false,
    warn: (m) => warnings.push(m),
  });
  const checks = watchConformance(vinculo.app, await vinculoDocumentCheck());
  const harness: Harness = {
    store,
    vinculo,
    logs,
    warnings,
    baseUrl: '',
    async listen() {
      await vinculo.app.listen({ port: 0, host: '127.0.0.1' });
      const addr = vinculo.app.server.address();
      harness.baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      return harness.baseUrl;
    },
    async newClient(tenant = `tenant-${++tenantCounter}`) {
      const key = await vinculo.services.tenants.createKey({ tenant });
      passwords.push(key.password);
      return client(vinculo, key.tenant, key.id, key.password);
    },
    assertConformant: () => checks.assertNone(),
    async close() {
      await vinculo.close();
      checks.assertNone();
      assertNoSecretsLogged(logs, passwords);
    },
  };
  return harness;
}

export function client(vinculo: Vinculo, tenant: string, id: string, password: string): Client {
  const authorization = `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`;
  return {
    tenant,
    id,
    password,
    authorization,
    async request(method, url, body, headers = {}) {
      const res = await vinculo.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = res.body;
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      const violation = conformance.get(vinculo.app)?.take(res.headers['x-request-id']);
      if (violation) throw new Error(`the answer broke Belvo's OpenAPI document:\n${explain(violation)}`);
      return { status: res.statusCode, body: parsed, headers: res.headers as Response['headers'] };
    },
  };
}

/**
 * Runs `suite` once per store (embedded, and PostgreSQL when available) against a fresh server.
 * `h()` is the running harness inside the suite's tests.
 */
export function describeStores(
  title: string,
  suite: (h: () => Harness) => void,
  options: { env?: Record<string, string>; listen?: boolean } & HarnessOptions = {},
): void {
  for (const store of STORES) {
    describe(`${title} [${store}]`, () => {
      let harness: Harness;
      before(async () => {
        harness = await startHarness(store, options.env, { workers: options.workers });
        if (options.listen) await harness.listen();
      });
      afterEach(() => harness?.assertConformant());
      after(() => harness?.close());
      suite(() => harness);
    });
  }
}

/**
 * The set-up of the suites whose workers are real `vinculo worker` processes on `url`: a
 * PostgreSQL harness that runs none itself, and one client whose webhooks go to a receiver.
 */
export async function startWorkerHarness(env: Record<string, string> = {}): Promise<{ h: Harness; url: string; receiver: Receiver; c: Client }> {
  const h = await startHarness('postgres', env, { workers: false });
  const receiver = await startReceiver();
  const c = await h.newClient();
  const endpoint = await c.request('POST', '/api/webhooks/', { url: receiver.url });
  assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
  return { h, url: h.vinculo.store.url!, receiver, c };
}
