import { after, before, describe } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { LOG_REDACT } from '../../src/http/app.js';
import { createVinculo, type Vinculo } from '../../src/server.js';
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
  /** http://127.0.0.1:PORT once `listen()` was called (SDK tests). */
  baseUrl: string;
  listen(): Promise<string>;
  newClient(tenant?: string): Promise<Client>;
  close(): Promise<void>;
}

const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
let tenantCounter = 0;

export interface HarnessOptions {
  /**
   * Run background workers (first loads, refreshes, webhook deliveries, the scheduler). Off by
   * default so a suite sees only what its own requests do; the refresh and webhook suites turn it on.
   */
  workers?: boolean;
}

export async function startHarness(store: StoreName, env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'debug', redact: { paths: LOG_REDACT, censor: '[redacted]' } }, sink);
  const config = loadConfig({
    VINCULO_MASTER_KEY: TEST_MASTER_KEY,
    VINCULO_DATA_DIR: '/nonexistent-test-dir',
    VINCULO_JOB_POLL_SECONDS: '0.5',
    ...env,
  });
  const vinculo = await createVinculo({ config, logger, store: await freshStore(store), workers: options.workers ?? false });
  const harness: Harness = {
    store,
    vinculo,
    logs,
    baseUrl: '',
    async listen() {
      await vinculo.app.listen({ port: 0, host: '127.0.0.1' });
      const addr = vinculo.app.server.address();
      harness.baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      return harness.baseUrl;
    },
    async newClient(tenant = `tenant-${++tenantCounter}`) {
      const key = await vinculo.services.tenants.createKey({ tenant });
      return client(vinculo, key.tenant, key.id, key.password);
    },
    close: () => vinculo.close(),
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
      after(() => harness?.close());
      suite(() => harness);
    });
  }
}
