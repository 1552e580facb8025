/**
 * The sandbox OFB bank, in process: the mock `ofmockbank_br_retail` ("OF Mock Bank") with its
 * resource servers, on a local HTTPS port, described by the same runtime entry an operator's
 * file produces — so the rest of Vinculo treats it like any configured bank.
 *
 * The server imports this module lazily (`await import(...)`) and only with the sandbox on: it pulls
 * in oidc-provider and the mock. Importing it starts nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { X509Certificate } from 'node:crypto';
import { startMockBank, type MockBank, type MockBankContext, type MockBankHandler } from '../mock/bank.js';
import { BANK, createFaults, createResourceServer, mockRequest, type Faults, type MockRequest } from '../mock/resources/index.js';
import { createOfbInstitution, type OfbInstitution } from '../config/index.js';

export const SANDBOX_OFB_INSTITUTION = BANK.institution;
export const SANDBOX_OFB_DISPLAY_NAME = BANK.brandName;

/**
 * The origin the bank writes in its answers' `links` (never called: the client sends every request
 * to the entry's api_base_url). A name, not 127.0.0.1, because the OFB documents' `format: url`
 * refuses IP hosts and the connector validates every answer.
 */
const LINKS_ORIGIN = 'https://ofmockbank.vinculo.dev';

export interface SandboxOfbBankOptions {
  /** The bank's "now" (consent life cycle, token age, fixture data). */
  clock: () => Date;
  /** 0/undefined: any free port. */
  port?: number;
  /** Vinculo's callback; https, or http to localhost for a local Vinculo. */
  redirectUri: string;
}

export interface SandboxOfbBank {
  bank: MockBank;
  /** Test/sandbox support: the resource servers' injected faults (forced 423/429/5xx, latency) and monthly limits. */
  faults: Faults;
  entry: OfbInstitution;
  close(): Promise<void>;
}

/**
 * Mounts the mock resource servers (accounts, cards, customers, resources) on the bank: the pure
 * `createResourceServer` answers, the bank authorises the token against the caller's certificate.
 */
function resourceHandler(clock: () => Date, faults: Faults): MockBankHandler {
  // handle() passes the request object through to authorize(): the certificate and the bank's
  // context travel with it.
  const calls = new WeakMap<MockRequest, { cert: X509Certificate | undefined; ctx: MockBankContext }>();
  const server = createResourceServer({
    clock,
    faults,
    baseUrl: LINKS_ORIGIN,
    async authorize(bearer, req) {
      const call = calls.get(req);
      if (!bearer || !call) return null;
      return call.ctx.authorize(bearer, call.cert);
    },
  });
  return async (req: IncomingMessage, res: ServerResponse, ctx: MockBankContext) => {
    const request = mockRequest(req.method ?? 'GET', req.url ?? '/', req.headers);
    calls.set(request, { cert: ctx.clientCertificate(req), ctx });
    const answer = await server.handle(request);
    if (!answer) return false;
    res.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    return true;
  };
}

/**
 * oidc-provider refuses http and localhost redirect URIs for clients of the hybrid (`code id_token`)
 * flow. A local Vinculo is http://localhost, so the sandbox bank lets loopback redirects through,
 * as oidc-provider's documented recipe does (overriding the client schema's `invalidate` for
 * these two codes). Only this bank's Provider is changed.
 */
function allowLoopbackRedirects(bank: MockBank): void {
  const schema = (bank.provider.Client as unknown as { Schema: { prototype: { invalidate(message: string, code?: string): void } } }).Schema;
  const original = schema.prototype.invalidate;
  schema.prototype.invalidate = function invalidate(message: string, code?: string) {
    if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
    original.call(this, message, code);
  };
}

export async function startSandboxOfbBank(options: SandboxOfbBankOptions): Promise<SandboxOfbBank> {
  const faults = createFaults();
  const bank = await startMockBank({
    clock: options.clock,
    port: options.port,
    handlers: [resourceHandler(options.clock, faults)],
    linksOrigin: LINKS_ORIGIN,
    client: { clientName: 'Vinculo', redirectUri: options.redirectUri },
  });
  try {
    allowLoopbackRedirects(bank);
    const entry = createOfbInstitution(
      {
        name: SANDBOX_OFB_INSTITUTION,
        display_name: SANDBOX_OFB_DISPLAY_NAME,
        logo: null,
        discovery_url: `${bank.issuer}/.well-known/openid-configuration`,
        api_base_url: bank.baseUrl,
        client_id: bank.client.clientId,
        redirect_uri: options.redirectUri,
        brand: SANDBOX_OFB_DISPLAY_NAME,
      },
      {
        signingKey: bank.client.signingJwk,
        encryptionKey: bank.client.encryptionJwk,
        transportCertificate: bank.client.certPem,
        transportKey: bank.client.keyPem,
        ca: bank.ca,
      },
      { source: 'sandbox' },
    );
    return { bank, faults, entry, close: () => bank.close() };
  } catch (err) {
    await bank.close();
    throw err;
  }
}
