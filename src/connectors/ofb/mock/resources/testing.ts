/**
 * Test support for the mock resource servers: a server with a settable clock and a token table,
 * a `call` that also validates every answer against the OFB documents, and link following.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SPECS, validateResponse, type SpecName } from '../../spec/validate.js';
import { createFaults, type Faults } from './faults.js';
import type { Grant, MockResponse } from './http.js';
import { createResourceServer, type ResourceServer } from './server.js';
import { SUPPORTED_PERMISSIONS } from '../consents.js';

/** Every permission the mock bank grants (the consents API's own list). */
export const ALL_PERMISSIONS = [...SUPPORTED_PERMISSIONS];

/** Valid CPFs (check digits right) used across the tests. */
export const CPFS = ['52998224725', '11144477735', '39053344705', '12345678909'];

/** A host the credit-cards document's link pattern accepts (it wants a dotted, lettered TLD). */
export const ORIGIN = 'https://mockbank.vinculo.dev';

export interface Harness {
  server: ResourceServer;
  faults: Faults;
  clock: { now: Date };
  /** Registers a token for a consent; returns the bearer. */
  token(grant: Partial<Grant> & { cpf: string }): string;
  call(url: string, opts?: CallOptions): Promise<Answer>;
}

export interface CallOptions {
  token?: string | null;
  interactionId?: string | null;
  method?: string;
  /** Skip validation (answers the documents do not describe). */
  raw?: boolean;
}

export interface Answer extends MockResponse {
  body: any;
}

/** The API (document) a path belongs to. */
export function specOf(path: string): SpecName {
  const s = (Object.keys(SPECS) as SpecName[]).find((n) => path.startsWith(SPECS[n].basePath));
  assert.ok(s, `no API for ${path}`);
  return s;
}

export function harness(now = new Date('2025-06-15T15:00:00Z')): Harness {
  const clock = { now };
  const faults = createFaults();
  const tokens = new Map<string, Grant>();
  const server = createResourceServer({ clock: () => clock.now, authorize: async (b) => (b && tokens.get(b)) || null, faults, baseUrl: ORIGIN });
  let last = '';
  const h: Harness = {
    server,
    faults,
    clock,
    token(grant) {
      const t = randomUUID();
      tokens.set(t, { consentId: `urn:ofmockbank:${t.slice(0, 8)}`, permissions: ALL_PERMISSIONS, clientId: 'client-1', ...grant });
      last = t;
      return t;
    },
    async call(url, opts = {}) {
      const u = new URL(url, ORIGIN);
      const token = opts.token === undefined ? last : opts.token;
      const interactionId = opts.interactionId === undefined ? randomUUID() : opts.interactionId;
      const headers: Record<string, string | undefined> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (interactionId !== null) headers['x-fapi-interaction-id'] = interactionId;
      const res = await server.handle({ method: opts.method ?? 'GET', path: u.pathname, query: u.searchParams, headers });
      assert.ok(res, `not handled: ${url}`);
      if (!opts.raw) {
        const issues = validateResponse(specOf(u.pathname), opts.method ?? 'GET', u.pathname, res.status, res.body, res.headers);
        assert.deepEqual(issues, [], `${res.status} ${url} does not conform: ${JSON.stringify(issues)}\n${JSON.stringify(res.body).slice(0, 800)}`);
      }
      return res as Answer;
    },
  };
  return h;
}

/** Follows `links.next` from `url` to the end; every page validated. Returns all items and pages seen. */
export async function walk(h: Harness, url: string): Promise<{ items: any[]; pages: Answer[] }> {
  const items: any[] = [];
  const pages: Answer[] = [];
  let next: string | undefined = url;
  while (next) {
    const res = await h.call(next);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    pages.push(res);
    items.push(...res.body.data);
    next = res.body.links.next;
    assert.ok(pages.length < 500, 'runaway pagination');
  }
  return { items, pages };
}

export const ACC = '/open-banking/accounts/v2/accounts';
export const CARDS = '/open-banking/credit-cards-accounts/v2/accounts';
export const CUSTOMERS = '/open-banking/customers/v2/personal';
export const RESOURCES = '/open-banking/resources/v3/resources';
