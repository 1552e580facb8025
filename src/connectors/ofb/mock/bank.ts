/**
 * `ofmockbank_br_retail` — the authorization side of a mock Open Finance Brasil bank:
 * an OAuth 2.0 / OIDC authorization server (oidc-provider 8.8.1, the last major that runs on
 * Node 20) configured as OFB's FAPI 1.0 Advanced profile, the Consents API v3, the bank's
 * login/consent pages, and the seam the mock resource servers use to authorise data calls.
 *
 * Everything listens on one HTTPS port, TLS with `requestCert: true, rejectUnauthorized: false`:
 * every endpoint can read the client's transport certificate (there are no mTLS aliases), and
 * the certificate is judged per endpoint (token binding, `getCertificate`) rather than by the
 * TLS layer, so a call without one still gets an OAuth/OFB error answer instead of a reset.
 *
 * OAuth, JOSE and X.509 are left to oidc-provider, jose (inside it) and @peculiar/x509; this
 * module and its siblings only wire them to OFB's rules. Here: the exported API (see README.md)
 * and the assembly of one bank from authorization-server.ts, credentials.ts, tokens.ts,
 * interaction.ts, routes.ts and consent-faults.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID, X509Certificate, type JsonWebKey } from 'node:crypto';
import type Provider from 'oidc-provider';
import { createAuthorizationServer } from './authorization-server.js';
import type { IssuedCertificate, LocalCa, ClientCertificateOptions } from './ca.js';
import { ConsentFaults, type AuthorizationFault } from './consent-faults.js';
import { ConsentStore, type Consent, type ConsentCreationFault } from './consents.js';
import { createBankCredentials } from './credentials.js';
import { interactionHandler } from './interaction.js';
import { bankRoutes } from './routes.js';
import { tokenChecks, type AuthorizedRequest, type ClientCertificate } from './tokens.js';

export { ACR_LOA2, ACR_LOA3, API_SCOPES, ACCESS_TOKEN_TTL_S, consentIdsInScope } from './authorization-server.js';
export type { AuthorizationFault } from './consent-faults.js';
export type { AuthorizedRequest, ClientCertificate } from './tokens.js';

export const INSTITUTION = 'ofmockbank_br_retail';

/** Context handed to every extra handler mounted under `/open-banking/`. */
export interface MockBankContext {
  /** The bank's now: the request's own (`requestClock`) while one is handled, else the injected clock. */
  clock: () => Date;
  baseUrl: string;
  /** The TLS peer certificate of the request, when one was presented. */
  clientCertificate(req: IncomingMessage): X509Certificate | undefined;
  /** Checks a Bearer token (see {@link MockBank.authorize}). */
  authorize(accessToken: string, clientCertificate: ClientCertificate): Promise<AuthorizedRequest | null>;
}

/** Returns true when it answered the request, false to let the next handler try. */
export type MockBankHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: MockBankContext,
) => boolean | Promise<boolean>;

export interface MockBankOptions {
  /** The bank's "now" for consent life cycle and token age; defaults to real time. */
  clock?: () => Date;
  /**
   * A request's own "now" (e.g. the caller's virtual time, from a header), or undefined. While
   * that request is handled it replaces `clock` for everything the bank reads or writes (consents
   * created, read, expired or deleted; the handlers' `ctx.clock`), except token ages, which stay on
   * `clock`. Default: none.
   */
  requestClock?: (req: IncomingMessage) => Date | undefined;
  /** TCP port; 0/undefined picks a free one. */
  port?: number;
  /** Handlers for `/open-banking/...` paths other than the consents API, tried in order. */
  handlers?: MockBankHandler[];
  /** The registered receiver's identity as the Directory would have it. */
  client?: { orgId?: string; softwareId?: string; clientName?: string; redirectUri?: string };
  /**
   * Origin written in the consents API's `links` (default: the bank's own). The documents declare
   * links `format: url`, which strict validators (ajv-formats) refuse for IP hosts such as
   * 127.0.0.1: a receiver that validates every answer needs a named origin here.
   */
  linksOrigin?: string;
}

/** The statically registered data receiver (Vinculo), with everything it needs to connect. */
export interface MockBankClient {
  clientId: string;
  clientName: string;
  orgId: string;
  softwareId: string;
  redirectUri: string;
  /** PS256 signing key (private_key_jwt, request objects), JWK with `kid`, `alg`, `use: sig`. */
  signingJwk: JsonWebKey;
  /** RSA-OAEP decryption key for the encrypted ID tokens, JWK with `kid`, `alg`, `use: enc`. */
  encryptionJwk: JsonWebKey;
  /** Public half of both, as registered at the bank. */
  jwks: { keys: JsonWebKey[] };
  /** Transport certificate (mTLS) and its key, issued by the bank's CA. */
  certPem: string;
  keyPem: string;
}

export interface MockBankFaults {
  /** The customer revokes the consent at the bank: REJECTED, CUSTOMER_MANUALLY_REVOKED. */
  revokeConsent(consentId: string): Consent | undefined;
  /** Any other rejection (e.g. ASPSP / INTERNAL_SECURITY_REASON). */
  rejectConsent(consentId: string, rejectedBy: 'USER' | 'ASPSP' | 'TPP', code: NonNullable<Consent['rejection']>['reason']['code']): Consent | undefined;
  /**
   * The consents API answers `status` (with an OFB error body) to the next `times` (default 1)
   * valid `POST /consents` for this CPF (`loggedUser`) instead of creating the consent.
   */
  failConsentCreation(cpf: string, status: ConsentCreationFault['status'], times?: number): void;
  /**
   * The next `times` (default 1) authorization requests for a consent of this CPF end before the
   * login page with this OAuth error sent to the receiver's redirect URI; the consent stays
   * AWAITING_AUTHORISATION (and expires as any unanswered one).
   */
  failAuthorization(cpf: string, error: AuthorizationFault, times?: number): void;
}

export interface MockBank {
  institution: typeof INSTITUTION;
  issuer: string;
  baseUrl: string;
  /** The local CA certificate (PEM): trust anchor for the server certificate. */
  ca: string;
  client: MockBankClient;
  consents: ConsentStore;
  faults: MockBankFaults;
  /** Checks a data-call token: valid, bound to this certificate, consent AUTHORISED and live. */
  authorize(accessToken: string, clientCertificate: ClientCertificate): Promise<AuthorizedRequest | null>;
  /** Issues another client certificate from the bank's CA (e.g. to test token binding). */
  issueClientCertificate(options: ClientCertificateOptions): Promise<IssuedCertificate>;
  provider: Provider;
  close(): Promise<void>;
}

/** Every bank started in this process, so the module-level `authorize` can find the token. */
const liveBanks = new Set<MockBank>();

/**
 * The seam for resource servers that only have a token and a certificate: asks every running
 * mock bank (tokens are random, so at most one knows it).
 */
export async function authorize(
  accessToken: string,
  clientCertificate: ClientCertificate,
): Promise<AuthorizedRequest | null> {
  for (const bank of liveBanks) {
    const result = await bank.authorize(accessToken, clientCertificate);
    if (result) return result;
  }
  return null;
}

export async function startMockBank(options: MockBankOptions = {}): Promise<MockBank> {
  const bankClock = options.clock ?? (() => new Date());
  /** The now of the request being handled, when it brought one (`requestClock`). */
  const requestNow = new AsyncLocalStorage<Date>();
  const clock = () => requestNow.getStore() ?? bankClock();
  const orgId = options.client?.orgId ?? randomUUID();
  const softwareId = options.client?.softwareId ?? randomUUID();
  const clientName = options.client?.clientName ?? 'Vinculo';
  // Never fetched: the test/connector reads the Location header. oidc-provider refuses
  // localhost and plain http for clients using the hybrid (implicit) response type.
  const redirectUri = options.client?.redirectUri ?? 'https://vinculo.example/ofb/callback';

  const credentials = await createBankCredentials({ orgId, softwareId });
  const { ca } = credentials;

  const store = new ConsentStore(clock);
  const faults = new ConsentFaults();
  let dispatch: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;

  const server: Server = createServer(
    {
      key: ca.server.keyPem,
      cert: ca.server.certPem,
      ca: [ca.certPem],
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      void dispatch!(req, res);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  // 127.0.0.1 rather than localhost: "localhost" may resolve to ::1 first, where nothing listens.
  const issuer = `https://127.0.0.1:${port}`;
  const baseUrl = issuer;

  const clientId = softwareId;
  const oidc = createAuthorizationServer({
    issuer,
    signingJwk: credentials.serverSigningJwk,
    client: { clientId, clientName, redirectUri, jwks: credentials.clientJwks },
    consents: store,
    bankClock,
  });
  const tokens = tokenChecks(oidc, store, bankClock);
  const route = bankRoutes({
    oidc,
    store,
    clock,
    baseUrl,
    linksOrigin: options.linksOrigin ?? baseUrl,
    handlers: options.handlers ?? [],
    tokens,
    faults,
    interaction: interactionHandler({ oidc, store, clock, baseUrl, clientName, faults }),
  });

  dispatch = async (req, res) => {
    const at = options.requestClock?.(req);
    if (at) await requestNow.run(at, () => route(req, res));
    else await route(req, res);
  };

  const bank: MockBank = {
    institution: INSTITUTION,
    issuer,
    baseUrl,
    ca: ca.certPem,
    client: {
      clientId,
      clientName,
      orgId,
      softwareId,
      redirectUri,
      signingJwk: credentials.clientSigningJwk,
      encryptionJwk: credentials.clientEncryptionJwk,
      jwks: credentials.clientJwks,
      certPem: credentials.clientCertificate.certPem,
      keyPem: credentials.clientCertificate.keyPem,
    },
    consents: store,
    faults: {
      revokeConsent: (consentId) => store.reject(consentId, 'USER', 'CUSTOMER_MANUALLY_REVOKED'),
      rejectConsent: (consentId, rejectedBy, code) => store.reject(consentId, rejectedBy, code),
      failConsentCreation: (cpf, status, times) => faults.failConsentCreation(cpf, status, times),
      failAuthorization: (cpf, error, times) => faults.failAuthorization(cpf, error, times),
    },
    authorize: tokens.authorize,
    issueClientCertificate: (opts) => ca.issueClientCertificate(opts),
    provider: oidc,
    async close() {
      liveBanks.delete(bank);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  liveBanks.add(bank);
  return bank;
}

export type { LocalCa };
