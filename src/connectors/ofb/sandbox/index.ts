/**
 * The sandbox OFB bank, in process: the mock `ofmockbank_br_retail` ("OF Mock Bank") with its
 * resource servers, on a local HTTPS port, described by the same runtime entry an operator's
 * file produces — so the rest of Vinculo treats it like any configured bank. One difference: the
 * connector tells it the tenant's now (`x-vinculo-sandbox-now`, see `sandboxRequestNow`), so one
 * bank follows every tenant's sandbox clock.
 *
 * The server imports this module lazily (`await import(...)`) and only with the sandbox on: it pulls
 * in oidc-provider and the mock. Importing it starts nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { X509Certificate } from 'node:crypto';
import { startMockBank, type MockBank, type MockBankContext, type MockBankHandler } from '../mock/bank.js';
import { BANK, createFaults, createResourceServer, mockRequest, type Faults, type MockRequest } from '../mock/resources/index.js';
import { SANDBOX_NOW_HEADER } from '../client/index.js';
import type { OfbInstitution } from '../config/index.js';
import { sandboxBankEntry, type SandboxBankMaterial, type SandboxBankPlace } from './shared.js';

export const SANDBOX_OFB_INSTITUTION = BANK.institution;
export const SANDBOX_OFB_DISPLAY_NAME = BANK.brandName;

/**
 * The origin the bank writes in its answers' `links` (never called: the client sends every request
 * to the entry's api_base_url). A name, not 127.0.0.1, because the OFB documents' `format: url`
 * refuses IP hosts and the connector validates every answer.
 */
const LINKS_ORIGIN = 'https://ofmockbank.vinculo.dev';

export interface SandboxOfbBankOptions {
  /**
   * The bank's own "now" (token age; consents and data for calls that bring no
   * `x-vinculo-sandbox-now` of their own, and the customer's pages).
   */
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
  /** What the entry is made of, for the other processes of the database (./shared.ts). */
  place: SandboxBankPlace;
  material: SandboxBankMaterial;
  close(): Promise<void>;
}

/** RFC 3339 / ISO 8601 instant with a zone, as `Date.prototype.toISOString` writes it. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The caller's now, from `x-vinculo-sandbox-now`: Vinculo's OFB connector sends its tenant's
 * (virtual) now on consent and data calls, and the bank answers at that instant — consents
 * created, aged and expired, data visible, monthly counters — so the sandbox bank follows each
 * tenant's sandbox clock though one bank serves every tenant. Absent or malformed: the bank's clock.
 */
export function sandboxRequestNow(req: Pick<IncomingMessage, 'headers'>): Date | undefined {
  const value = req.headers[SANDBOX_NOW_HEADER];
  if (typeof value !== 'string' || !INSTANT.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at);
}

/**
 * Mounts the mock resource servers (accounts, cards, customers, resources) on the bank: the pure
 * `createResourceServer` answers, the bank authorises the token against the caller's certificate.
 */
function resourceHandler(faults: Faults): MockBankHandler {
  // handle() passes the request object through to authorize(): the certificate and the bank's
  // context travel with it.
  const calls = new WeakMap<MockRequest, { cert: X509Certificate | undefined; ctx: MockBankContext }>();
  const server = createResourceServer({
    // The bank's now for this request (the caller's own when it sent one).
    clock: (req) => calls.get(req)!.ctx.clock(),
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
    requestClock: sandboxRequestNow,
    port: options.port,
    handlers: [resourceHandler(faults)],
    linksOrigin: LINKS_ORIGIN,
    client: { clientName: 'Vinculo', redirectUri: options.redirectUri },
  });
  try {
    allowLoopbackRedirects(bank);
    const place: SandboxBankPlace = {
      discovery_url: `${bank.issuer}/.well-known/openid-configuration`,
      api_base_url: bank.baseUrl,
      client_id: bank.client.clientId,
      redirect_uri: options.redirectUri,
    };
    const material: SandboxBankMaterial = {
      signingKey: bank.client.signingJwk,
      encryptionKey: bank.client.encryptionJwk,
      transportCertificate: bank.client.certPem,
      transportKey: bank.client.keyPem,
      ca: bank.ca,
    };
    const entry = sandboxBankEntry(place, material);
    return { bank, faults, entry, place, material, close: () => bank.close() };
  } catch (err) {
    await bank.close();
    throw err;
  }
}
