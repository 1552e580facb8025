/**
 * Test support for the OFB client: the mock bank (src/connectors/ofb/mock/bank.ts) with the mock
 * resource servers mounted as a handler, a switch to tamper with their answers, and client
 * options for the bank's registered receiver. Not used by production code.
 */
import type { IncomingMessage } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { startMockBank, type MockBank, type MockBankContext, type MockBankHandler } from '../mock/bank.js';
import { createFaults, createResourceServer, mockRequest, type Faults, type MockRequest, type MockResponse } from '../mock/resources/index.js';
import { createOfbClient, type OfbClient, type OfbClientOptions } from './client.js';

/**
 * Origin of the bank's `links` (resource servers and consents API): the documents' `format: url`
 * only accepts hosts with a lettered TLD (src/connectors/ofb/spec/README.md), so links name this
 * host; the client calls its own API base with the link's query anyway.
 */
export const LINKS_ORIGIN = 'https://mockbank.vinculo.dev';

export const ACCOUNTS = '/open-banking/accounts/v2/accounts';
export const CARDS = '/open-banking/credit-cards-accounts/v2/accounts';
export const IDENTIFICATIONS = '/open-banking/customers/v2/personal/identifications';
export const RESOURCES = '/open-banking/resources/v3/resources';

export interface TestBank {
  bank: MockBank;
  faults: Faults;
  /** Rewrites resource-server answers while set (`undefined` to stop). */
  tamper: ((answer: MockResponse & { body?: any }, req: MockRequest) => void) | undefined;
  /**
   * A client of the bank's receiver; `transport` overrides the certificate presented (`null`:
   * none). `dispatcher` is always the harness's own (see consentLinksOnLinksOrigin).
   */
  client(overrides?: Partial<Omit<OfbClientOptions, 'transport'>> & { transport?: OfbClientOptions['transport'] | null }): OfbClient;
  close(): Promise<void>;
}

export async function startTestBank(): Promise<TestBank> {
  const faults = createFaults();
  // The resource server's `authorize` sees only the mock request: map it back to the TLS socket.
  const incoming = new WeakMap<MockRequest, { req: IncomingMessage; ctx: MockBankContext }>();
  const resources = createResourceServer({
    clock: () => new Date(),
    faults,
    baseUrl: LINKS_ORIGIN,
    async authorize(bearer, mreq) {
      const seen = incoming.get(mreq);
      if (!bearer || !seen) return null;
      return seen.ctx.authorize(bearer, seen.ctx.clientCertificate(seen.req));
    },
  });
  const clients: OfbClient[] = [];
  const agents: Agent[] = [];
  const handler: MockBankHandler = async (req, res, ctx) => {
    const mreq = mockRequest(req.method ?? 'GET', req.url ?? '/', req.headers);
    incoming.set(mreq, { req, ctx });
    const answer = await resources.handle(mreq);
    if (!answer) return false;
    testBank.tamper?.(answer, mreq);
    res.statusCode = answer.status;
    for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    return true;
  };
  const bank = await startMockBank({ handlers: [handler], linksOrigin: LINKS_ORIGIN });
  const testBank: TestBank = {
    bank,
    faults,
    tamper: undefined,
    client(overrides = {}) {
      const transport = overrides.transport === undefined ? bank.client : overrides.transport;
      const agent = new Agent({ connect: transport ? { ca: bank.ca, cert: transport.certPem, key: transport.keyPem } : { ca: bank.ca } });
      agents.push(agent);
      // With a dispatcher given, the client's own transport options are unused.
      const c = createOfbClient({
        ...clientOptions(bank),
        ...overrides,
        transport: transport ?? bank.client,
        dispatcher: agent,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(agents.map((a) => a.close()));
      await bank.close();
    },
  };
  return testBank;
}

export function clientOptions(bank: MockBank, dispatcher?: Dispatcher): OfbClientOptions {
  return {
    issuer: bank.issuer,
    apiBaseUrl: bank.baseUrl,
    clientId: bank.client.clientId,
    signingJwk: bank.client.signingJwk,
    encryptionJwk: bank.client.encryptionJwk,
    transport: { certPem: bank.client.certPem, keyPem: bank.client.keyPem },
    caPem: bank.ca,
    redirectUri: bank.client.redirectUri,
    timeoutMs: 10_000,
    ...(dispatcher ? { dispatcher } : {}),
  };
}

/** `YYYY-MM-DD` of `days` from now (UTC). */
export function isoDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
