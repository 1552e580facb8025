/**
 * The mock bank's OAuth 2.0 / OIDC authorization server: oidc-provider 8.8.1 configured as OFB's
 * FAPI 1.0 Advanced profile (client metadata, features, scopes, the OFB checks on the
 * authorization request, certificate-bound tokens). Its own module so that the profile reads in
 * one place and the Provider is built from explicit inputs; the bank (bank.ts) supplies issuer,
 * keys, the registered client, the consent store and the clock.
 */
import type { TLSSocket } from 'node:tls';
import { randomBytes, type JsonWebKey } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { MemoryStorage } from './adapter.js';
import type { ConsentStore } from './consents.js';
import { trustedPeerCertificate } from './credentials.js';
import { errorPage } from './pages.js';

export const ACR_LOA2 = 'urn:brasil:openbanking:loa2';
export const ACR_LOA3 = 'urn:brasil:openbanking:loa3';
/** Resource scopes of the DADOS role this bank serves (DCR "Regulatory Roles", minus products it lacks). */
export const API_SCOPES = ['accounts', 'credit-cards-accounts', 'customers', 'resources'] as const;
/** FAPI-BR AS 13: 300 s ≤ access token lifetime ≤ 900 s. */
export const ACCESS_TOKEN_TTL_S = 900;
/** A claim oidc-provider keeps with each opaque token: the bank clock's time of issue (ms), never a request's own now. */
export const MOCK_IAT = 'urn:ofmockbank:iat';

const CONSENT_SCOPE = /^consent:(urn:[a-zA-Z0-9][a-zA-Z0-9-]{0,31}:.+)$/;

/** The `consent:{consentId}` scope values in a space-delimited scope string. */
export function consentIdsInScope(scope: string | undefined): string[] {
  return (scope ?? '')
    .split(' ')
    .map((s) => CONSENT_SCOPE.exec(s)?.[1])
    .filter((id): id is string => !!id);
}

/** The statically registered receiver, as the authorization server knows it. */
export interface RegisteredClient {
  clientId: string;
  clientName: string;
  redirectUri: string;
  /** Public keys: PS256 signing and RSA-OAEP encryption. */
  jwks: { keys: JsonWebKey[] };
}

export interface AuthorizationServerInput {
  /** `https://127.0.0.1:<port>`, also the bank's base URL. */
  issuer: string;
  /** The authorization server's private PS256 signing key (JWK with `kid`). */
  signingJwk: JsonWebKey;
  client: RegisteredClient;
  consents: ConsentStore;
  /** The bank's injected clock: token ages follow it, never a request's own now. */
  bankClock: () => Date;
}

function clientMetadata(client: RegisteredClient) {
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    redirect_uris: [client.redirectUri],
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
    jwks: client.jwks,
  };
}

/**
 * OFB rules on the authorization request, checked where the request object is read: at PAR
 * and again when /auth loads it. The consent must be AWAITING at PAR; later the bank's pages
 * end a flow whose consent died meanwhile with access_denied instead.
 */
function assertOfbAuthorizationRequest(
  store: ConsentStore,
  claims: Record<string, unknown>,
  client: string,
  atPar: boolean,
): void {
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

/** The Provider for one bank, with its discovery tweak and consent-bound token revocation wired in. */
export function createAuthorizationServer(input: AuthorizationServerInput): Provider {
  const { issuer, consents: store, bankClock } = input;
  /** The single resource server (RFC 8707 indicator) behind every OFB API scope. */
  const resourceIndicator = `${issuer}/open-banking/`;

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
    clients: [clientMetadata(input.client) as Configuration['clients'] extends (infer C)[] | undefined ? C : never],
    jwks: { keys: [input.signingJwk as never] },
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
          assertOfbAuthorizationRequest(store, claims, client.clientId, ctx.oidc.route === 'pushed_authorization_request');
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

  const oidc = new Provider(issuer, configuration);
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
  return oidc;
}
