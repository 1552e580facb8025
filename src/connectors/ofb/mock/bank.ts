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
 * file only wires them to OFB's rules. See README.md for the exported API.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { generateKeyPair, randomBytes, randomUUID, X509Certificate, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { MemoryStorage } from './adapter.js';
import { createLocalCa, certificateThumbprint, type IssuedCertificate, type LocalCa, type ClientCertificateOptions } from './ca.js';
import { ConsentStore, handleConsentsRequest, type Consent, type ConsentCreationFault, zulu } from './consents.js';
import { isValidCpf, normalizeCpf } from './resources/documents.js';
import { consentPage, errorPage, loginPage } from './pages.js';

export const INSTITUTION = 'ofmockbank_br_retail';
export const ACR_LOA2 = 'urn:brasil:openbanking:loa2';
export const ACR_LOA3 = 'urn:brasil:openbanking:loa3';
/** Resource scopes of the DADOS role this bank serves (DCR "Regulatory Roles", minus products it lacks). */
export const API_SCOPES = ['accounts', 'credit-cards-accounts', 'customers', 'resources'] as const;
/** FAPI-BR AS 13: 300 s ≤ access token lifetime ≤ 900 s. */
export const ACCESS_TOKEN_TTL_S = 900;
/** A claim oidc-provider keeps with each opaque token: the bank clock's time of issue (ms), never a request's own now. */
const MOCK_IAT = 'urn:ofmockbank:iat';

const CONSENT_SCOPE = /^consent:(urn:[a-zA-Z0-9][a-zA-Z0-9-]{0,31}:.+)$/;

/** The `consent:{consentId}` scope values in a space-delimited scope string. */
export function consentIdsInScope(scope: string | undefined): string[] {
  return (scope ?? '')
    .split(' ')
    .map((s) => CONSENT_SCOPE.exec(s)?.[1])
    .filter((id): id is string => !!id);
}

/** What a resource server learns about an authorised data call. */
export interface AuthorizedRequest {
  consentId: string;
  cpf: string;
  permissions: string[];
  clientId: string;
  /** The access token's scopes (e.g. `consent:urn:… accounts resources`). */
  scopes: string[];
}

/** The client certificate of a request: PEM, node's X509Certificate, or none. */
export type ClientCertificate = X509Certificate | string | undefined;

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

/** OAuth errors the authorization endpoint itself can end with (RFC 6749 §4.1.2.1). */
export type AuthorizationFault = 'server_error' | 'temporarily_unavailable';

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

const generateRsa = promisify(generateKeyPair);

async function rsaJwk(use: 'sig' | 'enc', alg: string): Promise<{ privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, use, alg },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use, alg },
  };
}

/**
 * RSA-2048 generation dominates start-up (~0.3-0.6 s a key on 2 cores), so the three RSA keys
 * (bank PS256, receiver PS256, receiver RSA-OAEP) are made once per process and reused by
 * every bank: each bank is its own issuer, so sharing key material between mock banks is
 * harmless. The CA and certificates are still new for every bank.
 */
let sharedRsaKeys: Promise<Awaited<ReturnType<typeof rsaJwk>>[]> | undefined;
const rsaKeys = () =>
  (sharedRsaKeys ??= Promise.all([rsaJwk('sig', 'PS256'), rsaJwk('sig', 'PS256'), rsaJwk('enc', 'RSA-OAEP')]));

/** TLS peer certificate, only when the TLS layer found it chains to the bank's CA. */
function trustedPeerCertificate(socket: TLSSocket): X509Certificate | undefined {
  if (!socket.authorized) return undefined;
  return socket.getPeerX509Certificate();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(html);
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
  const handlers = options.handlers ?? [];
  const orgId = options.client?.orgId ?? randomUUID();
  const softwareId = options.client?.softwareId ?? randomUUID();
  const clientName = options.client?.clientName ?? 'Vinculo';
  // Never fetched: the test/connector reads the Location header. oidc-provider refuses
  // localhost and plain http for clients using the hybrid (implicit) response type.
  const redirectUri = options.client?.redirectUri ?? 'https://vinculo.example/ofb/callback';

  // Certificates must be valid in real time: TLS checks them against the system clock.
  const [ca, [asSig, clientSig, clientEnc]] = await Promise.all([createLocalCa(new Date()), rsaKeys()]);
  const clientCert = await ca.issueClientCertificate({ orgId, softwareId, commonName: `${softwareId}.vinculo.localhost` });

  const store = new ConsentStore(clock);
  /** Injected faults by CPF, each with how many requests it still hits. */
  const creationFaults = new Map<string, { status: ConsentCreationFault['status']; left: number }>();
  const authorizationFaults = new Map<string, { error: AuthorizationFault; left: number }>();
  const digitsOf = (cpf: string) => cpf.replace(/\D/g, '');
  const takeFault = <T extends { left: number }>(faults: Map<string, T>, cpf: string): T | undefined => {
    const f = faults.get(cpf);
    if (f && --f.left <= 0) faults.delete(cpf);
    return f;
  };
  let provider: Provider | undefined;
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
  /** The single resource server (RFC 8707 indicator) behind every OFB API scope. */
  const resourceIndicator = `${baseUrl}/open-banking/`;

  const clientId = softwareId;
  const clientMetadata = {
    client_id: clientId,
    client_name: clientName,
    redirect_uris: [redirectUri],
    response_types: ['code id_token'],
    // oidc-provider requires `implicit` whenever `id_token` is a response type; OFB's DCR
    // lists only the other three.
    grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'PS256',
    id_token_signed_response_alg: 'PS256',
    id_token_encrypted_response_alg: 'RSA-OAEP',
    id_token_encrypted_response_enc: 'A256GCM',
    request_object_signing_alg: 'PS256',
    require_signed_request_object: true,
    require_pushed_authorization_requests: true,
    tls_client_certificate_bound_access_tokens: true,
    jwks: { keys: [clientSig.publicJwk, clientEnc.publicJwk] },
  };

  /** Scope strings a token/grant in this request carries, to find its `consent:` scope. */
  const scopesInPlay = (ctx: KoaContextWithOIDC): string => {
    const { entities, params } = ctx.oidc;
    const grant = entities.Grant as { resources?: Record<string, string> } | undefined;
    return [
      typeof params?.scope === 'string' ? params.scope : '',
      grant?.resources?.[resourceIndicator] ?? '',
      entities.RefreshToken?.scope ?? '',
      entities.AuthorizationCode?.scope ?? '',
    ].join(' ');
  };

  const configuration: Configuration = {
    adapter: new MemoryStorage().adapterFor(),
    clients: [clientMetadata as Configuration['clients'] extends (infer C)[] | undefined ? C : never],
    jwks: { keys: [asSig.privateJwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    acrValues: [ACR_LOA2, ACR_LOA3],
    claims: { openid: ['sub'], acr: null, auth_time: null, cpf: null } as never,
    scopes: ['openid'],
    responseTypes: ['code id_token'],
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['PS256'],
      requestObjectSigningAlgValues: ['PS256'],
      idTokenSigningAlgValues: ['PS256'],
      authorizationSigningAlgValues: ['PS256'],
      idTokenEncryptionAlgValues: ['RSA-OAEP'],
      idTokenEncryptionEncValues: ['A256GCM'],
    },
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      fapi: { enabled: true, profile: '1.0 Final' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      requestObjects: {
        // `request` must be on for PAR bodies carrying a request object; the authorization
        // endpoint itself still only takes `request_uri` (PAR is required).
        request: true,
        requestUri: false,
        requireSignedRequestObject: true,
        // Exists in oidc-provider 8.8.1 but is missing from @types/oidc-provider 8.8.1.
        async assertJwtClaimsAndHeader(ctx: KoaContextWithOIDC, claims: Record<string, unknown>, _header: unknown, client: { clientId: string }) {
          // FAPI 1.0 Final: exp/nbf/aud as oidc-provider's default assertion does.
          const fapiClaims = ['exp', 'nbf', 'aud'];
          for (const c of fapiClaims) {
            if (!(c in claims)) throw new errors.InvalidRequestObject(`Request Object is missing the '${c}' claim`);
          }
          const diff = (claims.exp as number) - (claims.nbf as number);
          if (Math.sign(diff) !== 1 || diff > 3600) {
            throw new errors.InvalidRequestObject("Request Object 'exp' claim too far from 'nbf' claim");
          }
          assertOfbAuthorizationRequest(claims, client.clientId, ctx.oidc.route === 'pushed_authorization_request');
        },
      } as NonNullable<Configuration['features']>['requestObjects'],
      claimsParameter: { enabled: true },
      encryption: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate(ctx) {
          return trustedPeerCertificate(ctx.socket as TLSSocket) as never;
        },
      },
      resourceIndicators: {
        enabled: true,
        // OFB clients send no `resource`: every token is for the bank's OFB APIs.
        defaultResource: (_ctx, _client, oneOf) => (oneOf ? oneOf[0]! : resourceIndicator),
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, indicator) {
          if (indicator !== resourceIndicator) throw new errors.InvalidTarget();
          // The consents API only takes client_credentials tokens; data APIs only
          // authorization_code ones carrying the customer's `consent:{id}`.
          const scope =
            ctx.oidc.params?.grant_type === 'client_credentials'
              ? 'consents'
              : [...API_SCOPES, ...new Set(consentIdsInScope(scopesInPlay(ctx)).map((id) => `consent:${id}`))].join(' ');
          return { scope, audience: resourceIndicator, accessTokenTTL: ACCESS_TOKEN_TTL_S, accessTokenFormat: 'opaque' };
        },
      },
    },
    // Refresh tokens are issued to every code exchange (OFB clients do not ask offline_access),
    // never rotated (FAPI-BR client 9), and not tied to the browser session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: false,
    expiresWithSession: async () => false,
    async extraTokenClaims() {
      return { [MOCK_IAT]: bankClock().getTime() };
    },
    async findAccount(ctx, sub, token) {
      // An authorization code or refresh token only yields tokens while its consent is
      // AUTHORISED (FAPI-BR "Authorisation Life Cycle", AS 12).
      const kind = (token as { kind?: string } | undefined)?.kind;
      if (kind === 'RefreshToken' || kind === 'AuthorizationCode') {
        const [consentId] = consentIdsInScope((token as { scope?: string }).scope);
        const consent = consentId ? store.get(consentId) : undefined;
        if (!consent || consent.status !== 'AUTHORISED') {
          throw new errors.InvalidGrant(`consent ${consentId ?? '(none)'} is not AUTHORISED`);
        }
      }
      return {
        accountId: sub,
        async claims(use, scope, claims) {
          // sub is the CPF: the ID token is always encrypted for this client.
          return claims?.cpf !== undefined ? { sub, cpf: sub } : { sub };
        },
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_S,
      ClientCredentials: ACCESS_TOKEN_TTL_S,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_TTL_S,
      Interaction: 60 * 60,
      Session: 60 * 60,
      // Consents may be indefinite; RT/grant validity is governed by the consent (findAccount).
      Grant: 2 * 365 * 24 * 3600,
      RefreshToken: 2 * 365 * 24 * 3600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(`${out.error}: ${out.error_description ?? ''}`);
    },
  };

  /**
   * OFB rules on the authorization request, checked where the request object is read: at PAR
   * and again when /auth loads it. The consent must be AWAITING at PAR; later the bank's pages
   * end a flow whose consent died meanwhile with access_denied instead.
   */
  function assertOfbAuthorizationRequest(claims: Record<string, unknown>, client: string, atPar: boolean): void {
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    if (!scope.split(' ').includes('openid')) throw new errors.InvalidScope('openid scope is required', 'openid');
    const ids = consentIdsInScope(scope);
    if (ids.length !== 1) {
      throw new errors.InvalidScope('exactly one consent:{consentId} scope is required', 'consent');
    }
    const consent = store.get(ids[0]!);
    if (!consent || consent.clientId !== client) {
      throw new errors.InvalidScope('unknown consent', `consent:${ids[0]}`);
    }
    if (atPar && consent.status !== 'AWAITING_AUTHORISATION') {
      throw new errors.InvalidScope(`consent is ${consent.status}`, `consent:${ids[0]}`);
    }
    // FAPI-BR client 5: acr must be requested as an essential claim.
    const acr = (claims.claims as { id_token?: { acr?: { essential?: boolean; values?: string[]; value?: string } } } | undefined)
      ?.id_token?.acr;
    const values = acr?.values ?? (acr?.value ? [acr.value] : []);
    if (!acr?.essential || !values.some((v) => v === ACR_LOA2 || v === ACR_LOA3)) {
      throw new errors.InvalidRequestObject('claims.id_token.acr must be essential with urn:brasil:openbanking:loa2 or loa3');
    }
  }

  const oidc = new Provider(issuer, configuration);
  provider = oidc;
  // Koa would otherwise log every 4xx/5xx it throws; the answers already say what happened.
  oidc.on('server_error', () => {});
  // scopes_supported is built from `scopes` only (OIDC scopes); add the resource scopes.
  oidc.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
      const body = ctx.body as Record<string, unknown>;
      body.scopes_supported = ['openid', 'consents', ...API_SCOPES, 'consent'];
    }
  });

  // The receiver's tokens and consents die together (FAPI-BR AS: revoke refresh and access
  // tokens of a deleted consent).
  store.onRejected((consent) => {
    if (!consent.grantId) return;
    const grantId = consent.grantId;
    void Promise.all([
      oidc.AccessToken.revokeByGrantId(grantId),
      oidc.RefreshToken.revokeByGrantId(grantId),
      oidc.AuthorizationCode.revokeByGrantId(grantId),
      oidc.Grant.adapter.destroy(grantId),
    ]).catch(() => {});
  });

  const tokenAgeOk = (token: { extra?: Record<string, unknown> }): boolean => {
    const iat = token.extra?.[MOCK_IAT];
    return typeof iat !== 'number' || bankClock().getTime() - iat < ACCESS_TOKEN_TTL_S * 1000;
  };

  const boundTo = (token: { 'x5t#S256'?: string }, cert: ClientCertificate): boolean => {
    const expected = token['x5t#S256'];
    if (!expected || !cert) return false;
    try {
      return certificateThumbprint(cert) === expected;
    } catch {
      return false;
    }
  };

  async function authorizeToken(accessToken: string, cert: ClientCertificate): Promise<AuthorizedRequest | null> {
    if (!accessToken) return null;
    const at = await oidc.AccessToken.find(accessToken);
    if (!at || !tokenAgeOk(at as never) || !boundTo(at as never, cert)) return null;
    const [consentId] = consentIdsInScope(at.scope);
    const consent = consentId ? store.get(consentId) : undefined;
    if (!consent || consent.status !== 'AUTHORISED' || consent.clientId !== at.clientId) return null;
    return {
      consentId: consent.consentId,
      cpf: consent.cpf,
      permissions: [...consent.permissions],
      clientId: at.clientId,
      scopes: (at.scope ?? '').split(' ').filter(Boolean),
    };
  }

  const bearer = (req: IncomingMessage): string | undefined => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return m?.[1];
  };

  const peer = (req: IncomingMessage): X509Certificate | undefined => trustedPeerCertificate(req.socket as TLSSocket);

  const bankContext: MockBankContext = {
    clock,
    baseUrl,
    clientCertificate: peer,
    authorize: authorizeToken,
  };

  const consentsContext = {
    store,
    clock,
    baseUrl: options.linksOrigin ?? baseUrl,
    async authenticate(req: IncomingMessage) {
      const token = bearer(req);
      if (!token) return null;
      const cc = await oidc.ClientCredentials.find(token);
      if (!cc || !tokenAgeOk(cc as never) || !boundTo(cc as never, peer(req))) return null;
      if (!cc.clientId) return null;
      if (!(cc.scope ?? '').split(' ').includes('consents')) return 'insufficient_scope' as const;
      return { clientId: cc.clientId };
    },
    creationFault(cpf: string) {
      const f = takeFault(creationFaults, digitsOf(cpf));
      return f ? { status: f.status } : null;
    },
  };

  const providerCallback = oidc.callback();

  async function handleInteraction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const [, , uid, action] = url.pathname.split('/');
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await oidc.interactionDetails(req, res);
    } catch {
      sendHtml(res, 400, errorPage('Sessão de autorização inválida ou expirada.'));
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage('Sessão de autorização inválida.'));
      return;
    }
    const params = details.params as Record<string, string | undefined>;
    const [consentId] = consentIdsInScope(params.scope);
    const consent = consentId ? store.get(consentId) : undefined;
    const deny = (description: string) =>
      oidc.interactionFinished(req, res, { error: 'access_denied', error_description: description }, { mergeWithLastSubmission: false });

    if (!consent || consent.status !== 'AWAITING_AUTHORISATION') {
      await deny(`consent is ${consent?.status ?? 'unknown'}`);
      return;
    }
    // An injected failure of the authorization endpoint, as soon as the user arrives.
    const failure = req.method === 'GET' && !action ? takeFault(authorizationFaults, digitsOf(consent.cpf)) : undefined;
    if (failure) {
      await oidc.interactionFinished(
        req,
        res,
        { error: failure.error, error_description: 'the authorization server could not process the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (details.prompt.name === 'login') {
      if (req.method === 'GET' && !action) {
        sendHtml(res, 200, loginPage(details.uid, clientName));
        return;
      }
      if (req.method === 'POST' && action === 'login') {
        const typed = (await readForm(req)).get('cpf') ?? '';
        if (!isValidCpf(typed)) {
          sendHtml(res, 400, loginPage(details.uid, clientName, 'CPF inválido. Verifique o número digitado.'));
          return;
        }
        const cpf = normalizeCpf(typed);
        // FAPI-BR: the authenticated customer must be the consent's loggedUser.
        if (cpf !== consent.cpf) {
          store.reject(consent, 'ASPSP', 'INTERNAL_SECURITY_REASON', clock(), 'CPF autenticado diverge do loggedUser');
          await deny('authenticated CPF does not match the consent loggedUser');
          return;
        }
        await oidc.interactionFinished(
          req,
          res,
          { login: { accountId: cpf, acr: ACR_LOA2, amr: ['pwd'], remember: false } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
    }

    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      if (accountId !== consent.cpf) {
        store.reject(consent, 'ASPSP', 'INTERNAL_SECURITY_REASON', clock(), 'CPF autenticado diverge do loggedUser');
        await deny('authenticated CPF does not match the consent loggedUser');
        return;
      }
      if (req.method === 'GET' && !action) {
        sendHtml(
          res,
          200,
          consentPage({
            uid: details.uid,
            clientName,
            cpf: consent.cpf,
            permissions: consent.permissions,
            expirationDateTime: consent.expirationDateTime,
          }),
        );
        return;
      }
      if (req.method === 'POST' && action === 'decision') {
        const decision = (await readForm(req)).get('decision');
        if (decision === 'reject') {
          store.reject(consent, 'USER', 'CUSTOMER_MANUALLY_REJECTED');
          await deny('the customer rejected the consent');
          return;
        }
        if (decision !== 'authorize') {
          sendHtml(res, 400, errorPage('Escolha Autorizar ou Rejeitar.'));
          return;
        }
        const grant = details.grantId
          ? (await oidc.Grant.find(details.grantId))!
          : new oidc.Grant({ accountId, clientId: params.client_id! });
        const prompt = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (prompt.missingOIDCScope) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
        if (prompt.missingOIDCClaims) grant.addOIDCClaims(prompt.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        store.authorise(consent.consentId, grantId);
        await oidc.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
    }
    sendHtml(res, 404, errorPage('Página não encontrada.'));
  }

  function notFound(res: ServerResponse, req: IncomingMessage): void {
    const sent = req.headers['x-fapi-interaction-id'];
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('x-fapi-interaction-id', typeof sent === 'string' ? sent : randomUUID());
    res.end(
      JSON.stringify({
        errors: [{ code: 'NAO_ENCONTRADO', title: 'Não encontrado', detail: `${req.method} ${req.url} não existe.` }],
        meta: { requestDateTime: zulu(clock()) },
      }),
    );
  }

  dispatch = async (req, res) => {
    const at = options.requestClock?.(req);
    if (at) await requestNow.run(at, () => route(req, res));
    else await route(req, res);
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith('/interaction/')) {
        await handleInteraction(req, res);
        return;
      }
      if (path.startsWith('/open-banking/')) {
        if (await handleConsentsRequest(req, res, consentsContext)) return;
        for (const handler of handlers) {
          if (await handler(req, res, bankContext)) return;
        }
        notFound(res, req);
        return;
      }
      providerCallback(req, res);
    } catch (err) {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`mock bank error: ${(err as Error).message}`);
      } else {
        res.destroy(err as Error);
      }
    }
  }

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
      signingJwk: clientSig.privateJwk,
      encryptionJwk: clientEnc.privateJwk,
      jwks: { keys: [clientSig.publicJwk, clientEnc.publicJwk] },
      certPem: clientCert.certPem,
      keyPem: clientCert.keyPem,
    },
    consents: store,
    faults: {
      revokeConsent: (consentId) => store.reject(consentId, 'USER', 'CUSTOMER_MANUALLY_REVOKED'),
      rejectConsent: (consentId, rejectedBy, code) => store.reject(consentId, rejectedBy, code),
      failConsentCreation: (cpf, status, times = 1) => void creationFaults.set(digitsOf(cpf), { status, left: times }),
      failAuthorization: (cpf, error, times = 1) => void authorizationFaults.set(digitsOf(cpf), { error, left: times }),
    },
    authorize: authorizeToken,
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
