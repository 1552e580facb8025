/**
 * Test support for the OFB connector (not used by the server): the sandbox bank in process on a
 * controllable clock, a connector over it with a switchable fault/rewrite interceptor and a log
 * of the paths called, and the customer's walk through the bank's pages.
 */
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import type { ConsentRequest, InstitutionDefinition } from '../../connector.js';
import { ofbInstitutionDefinition } from '../config/index.js';
import { createOfbConnector, type OfbConnector } from '../connector.js';
import { cpfFromBase } from '../mock/resources/documents.js';
import { walkBankPages } from '../mock/testkit.js';
import { startSandboxOfbBank, type SandboxOfbBank } from '../sandbox/index.js';

export const CPF = cpfFromBase('529982247');
export const REDIRECT = 'http://localhost:8000/ofb/callback';
export const DAY = 86_400_000;
export const ALL: ConsentRequest['permissions'] = ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'];

/** Changes the answers to matching calls while set: status, extra headers, body text. */
export interface Fault {
  method?: string;
  path: RegExp;
  status?: number;
  headers?: Record<string, string>;
  body?: (text: string) => string;
}

export interface Harness {
  sandbox: SandboxOfbBank;
  connector: OfbConnector;
  def: InstitutionDefinition;
  /** The bank's and the connector's clock (starts at real time: ID tokens are checked against it). */
  clock: { now: number; advance(ms: number): void };
  fault: Fault | undefined;
  /** `METHOD path?query` of every call to the bank since the last `calls.length = 0`. */
  calls: string[];
  /** How many times the connector asked for the entry. */
  entryLoads: number;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const clock = { now: Date.now(), advance: (ms: number) => void (clock.now += ms) };
  const sandbox = await startSandboxOfbBank({ clock: () => new Date(clock.now), port: 0, redirectUri: REDIRECT });
  const def = ofbInstitutionDefinition(sandbox.entry);
  const h: Harness = {
    sandbox,
    def,
    clock,
    fault: undefined,
    calls: [],
    entryLoads: 0,
    connector: undefined as unknown as OfbConnector,
    async close() {
      await h.connector.close();
      await sandbox.close();
    },
  };
  h.connector = createOfbConnector(
    [
      {
        definition: def,
        entry: async () => {
          h.entryLoads++;
          return sandbox.entry;
        },
      },
    ],
    { clock: () => new Date(clock.now), interceptors: () => [recorder(h)] },
  );
  return h;
}

/** Records each call and applies `h.fault` (status, headers or body rewritten on the way in). */
function recorder(h: Harness): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const path = String(opts.path);
    h.calls.push(`${opts.method} ${path}`);
    const f = h.fault;
    if (!f || !f.path.test(path) || (f.method && f.method !== opts.method)) return dispatch(opts, handler);
    const chunks: Buffer[] = [];
    return dispatch(opts, {
      ...handler,
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onResponseStart(controller, status, headers, message) {
        const { 'content-length': _dropped, ...rest } = headers;
        handler.onResponseStart?.(controller, f.status ?? status, { ...rest, ...f.headers }, message);
      },
      onResponseData: (_controller, chunk) => void chunks.push(chunk),
      onResponseEnd(controller, trailers) {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = f.body ? f.body(text) : text;
        if (body) handler.onResponseData?.(controller, Buffer.from(body));
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
  };
}

/** The callback's parameters as the server passes them (fragment of the hybrid response, or query). */
export function callbackParams(url: URL): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(url.hash ? url.hash.slice(1) : url.search.slice(1)));
}

/** startConsent → the customer at the bank → finishConsent; `now`: the tenant's, given to both (else the connector's clock). */
export async function consent(
  h: Harness,
  options: { decision?: 'Autorizar' | 'Rejeitar'; permissions?: ConsentRequest['permissions']; months?: ConsentRequest['months']; now?: Date } = {},
) {
  const request: ConsentRequest = { document: CPF, permissions: options.permissions ?? ALL, months: options.months ?? 3 };
  const started = await h.connector.startConsent(h.def, request, options.now);
  const walk = await walkBankPages(h.sandbox.bank, new URL(started.authorizationUrl), { cpf: CPF, decision: options.decision ?? 'Autorizar' });
  assert.ok(walk.callback, 'the bank redirected back');
  return { started, finish: () => h.connector.finishConsent(h.def, callbackParams(walk.callback!), started.pending, options.now) };
}

/** A consented link's state, logged in for access. */
export async function accessState(h: Harness, options: Parameters<typeof consent>[1] = {}) {
  const done = await (await consent(h, options)).finish();
  const login = await h.connector.login({ institution: h.def, credentials: {}, state: done.state, purpose: 'access' });
  assert.equal(login.kind, 'success');
  return { ...done, login, state: login.kind === 'success' ? login.state : {} };
}

/** `YYYY-MM-DD` in São Paulo, `days` from the harness's now. */
export function spDay(h: Harness, days = 0): string {
  return new Date(h.clock.now + days * DAY - 3 * 3_600_000).toISOString().slice(0, 10);
}
