/**
 * The OAuth 2.0 / OIDC side of the OFB client, entirely over openid-client v6 (a certified FAPI
 * RP): discovery (lazy, cached, `use_mtls_endpoint_aliases`), private_key_jwt PS256, PAR with a
 * PS256 request object and PKCE S256, the `code id_token` hybrid response with detached-signature
 * checks and encrypted ID tokens, refresh, revocation, and a cached client_credentials token for
 * the consents API. This file only wires openid-client to OFB's rules and maps its errors.
 *
 * Time: openid-client checks JWT timestamps against real time; the injected clock only drives
 * what this module computes itself (`expiresAt`, the client_credentials cache, Retry-After dates).
 */
import { webcrypto, type JsonWebKey } from 'node:crypto';
import * as oidc from 'openid-client';
import {
  errorForStatus,
  isNetworkError,
  OfbAuthorizationError,
  OfbError,
  OfbResponseError,
  OfbUnauthorizedError,
  redact,
  unavailable,
} from './errors.js';
import type { Transport } from './http.js';

export const ACR_LOA2 = 'urn:brasil:openbanking:loa2';
export const ACR_LOA3 = 'urn:brasil:openbanking:loa3';

/** consents-3.3.1 `consentId` pattern (a URN); checked before it goes into a scope or a path. */
export const CONSENT_ID = /^urn:[a-zA-Z0-9][a-zA-Z0-9-]{0,31}:[a-zA-Z0-9()+,\-.:=@;$_!*'%/?#]+$/;

export interface OAuthOptions {
  issuer: URL;
  clientId: string;
  signingJwk: JsonWebKey;
  encryptionJwk?: JsonWebKey;
  redirectUri: string;
  acrValues: string[];
  scopes: readonly string[];
  transport: Transport;
  clock: () => Date;
}

/** What the caller seals and keeps between `startAuthorization` and `finishAuthorization`. */
export interface PendingAuthorization {
  consentId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OfbTokens {
  accessToken: string;
  /** OFB refresh tokens are not rotated: the previous one is kept when none is returned. */
  refreshToken?: string;
  expiresAt?: Date;
  scope?: string;
  /** Verified (and decrypted) ID token claims: `acr`, `sub`, `auth_time` … */
  idTokenClaims?: oidc.IDToken;
}

export type CallbackInput = URL | string | Request | URLSearchParams | Record<string, string>;

/** OAuth `error` values meaning the grant, consent or client credentials are unusable. */
const UNAUTHORIZED_ERRORS = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'access_denied',
  'invalid_token',
  'insufficient_scope',
  'consent_required',
  'login_required',
]);

/** openid-client codes raised while checking a response (JWT claims, signatures, shapes). */
const VALIDATION_CODES = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_PARSE_ERROR',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_UNSUPPORTED_OPERATION',
]);

/**
 * openid-client / oauth4webapi errors → OfbError. Only the message and codes are kept: their
 * `cause` can hold token responses or ID token claims.
 */
export function mapOAuthError(err: unknown, what: string, context: 'callback' | 'endpoint', now: Date): unknown {
  if (err instanceof OfbError) return err;
  if (err instanceof oidc.AuthorizationResponseError) {
    return new OfbAuthorizationError(err.error, err.error_description);
  }
  if (err instanceof oidc.ResponseBodyError) {
    const codes = [redact(err.error).slice(0, 60)];
    if (UNAUTHORIZED_ERRORS.has(err.error) && err.status < 500) {
      return new OfbUnauthorizedError(`${what}: ${err.status} ${codes[0]}`, { status: err.status, codes });
    }
    return errorForStatus(what, err.status, { codes, retryAfter: err.response?.headers.get('retry-after'), now });
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    return errorForStatus(what, err.response.status, { codes: err.cause.map((c) => c.scheme), now });
  }
  if (isNetworkError(err)) return unavailable(what, err);
  if (err instanceof oidc.ClientError) {
    const code = err.code ?? 'OAUTH_ERROR';
    if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && err.cause instanceof Object && 'status' in err.cause) {
      const res = err.cause as Response;
      return errorForStatus(what, res.status, { retryAfter: res.headers?.get('retry-after'), now });
    }
    if (VALIDATION_CODES.has(code)) {
      return context === 'callback'
        ? new OfbAuthorizationError('invalid_callback', `${err.message} (${code})`)
        : new OfbResponseError(`${what}: ${err.message} (${code})`, '$', { codes: [code] });
    }
    return new OfbResponseError(`${what}: ${err.message} (${code})`, '$', { codes: [code] });
  }
  return err;
}

async function importPrivateJwk(jwk: JsonWebKey, algorithm: RsaHashedImportParams, usages: KeyUsage[]): Promise<CryptoKey> {
  // WebCrypto refuses `alg`/`use` values that disagree with the algorithm asked; the JOSE
  // metadata is kept separately (kid/alg given to openid-client).
  const { kid: _kid, use: _use, alg: _alg, key_ops: _ops, ...material } = jwk as JsonWebKey & { kid?: string; use?: string; alg?: string };
  if (!material.d) throw new TypeError('a private JWK is required');
  return (await webcrypto.subtle.importKey('jwk', material as webcrypto.JsonWebKey, algorithm, false, usages)) as CryptoKey;
}

export interface OAuth {
  configuration(): Promise<oidc.Configuration>;
  /** A `consents` client_credentials token, cached until shortly before it expires. */
  consentsToken(): Promise<string>;
  /** Forgets the cached client_credentials token (after the bank refused it). */
  dropConsentsToken(token: string): void;
  startAuthorization(consentId: string): Promise<PendingAuthorization & { authorizationUrl: string }>;
  finishAuthorization(callback: CallbackInput, pending: PendingAuthorization): Promise<OfbTokens & { consentId: string }>;
  refresh(refreshToken: string): Promise<OfbTokens & { refreshToken: string }>;
  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void>;
}

/** Renew the cached client_credentials token this long before it expires. */
const CC_MARGIN_MS = 30_000;

export function createOAuth(options: OAuthOptions): OAuth {
  const { clock } = options;
  const signingKid = (options.signingJwk as { kid?: string }).kid;
  if (!signingKid) throw new TypeError('the signing JWK needs a kid');
  let configPromise: Promise<oidc.Configuration> | undefined;
  let signingKey: oidc.PrivateKey | undefined;
  let cc: { token: string; expiresAt: number } | undefined;
  let ccPromise: Promise<string> | undefined;

  async function build(): Promise<oidc.Configuration> {
    signingKey = { key: await importPrivateJwk(options.signingJwk, { name: 'RSA-PSS', hash: 'SHA-256' }, ['sign']), kid: signingKid };
    const enc = options.encryptionJwk as (JsonWebKey & { kid?: string; alg?: string }) | undefined;
    const encAlg = enc?.alg ?? 'RSA-OAEP';
    const metadata: Partial<oidc.ClientMetadata> = {
      use_mtls_endpoint_aliases: true,
      id_token_signed_response_alg: 'PS256',
      redirect_uris: [options.redirectUri],
      ...(enc ? { id_token_encrypted_response_alg: encAlg, id_token_encrypted_response_enc: 'A256GCM' } : {}),
    };
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(options.issuer, options.clientId, metadata, oidc.PrivateKeyJwt(signingKey), {
        execute: [oidc.useCodeIdTokenResponseType, oidc.enableDetachedSignatureResponseChecks],
        [oidc.customFetch]: options.transport.fetch as unknown as oidc.CustomFetch,
        timeout: Math.ceil(options.transport.timeoutMs / 1000),
      });
    } catch (err) {
      throw mapOAuthError(err, 'OIDC discovery', 'endpoint', clock());
    }
    if (enc) {
      const hash = encAlg === 'RSA-OAEP' ? 'SHA-1' : 'SHA-256';
      const key = await importPrivateJwk(enc, { name: 'RSA-OAEP', hash }, ['decrypt', 'unwrapKey']);
      oidc.enableDecryptingResponses(config, ['A256GCM'], { key, alg: encAlg, kid: enc.kid });
    }
    return config;
  }

  function configuration(): Promise<oidc.Configuration> {
    // Cached once it succeeds; a failed discovery is retried on the next call.
    configPromise ??= build().catch((err) => {
      configPromise = undefined;
      throw err;
    });
    return configPromise;
  }

  async function guarded<T>(what: string, context: 'callback' | 'endpoint', fn: (c: oidc.Configuration) => Promise<T>): Promise<T> {
    const config = await configuration();
    try {
      return await fn(config);
    } catch (err) {
      throw mapOAuthError(err, what, context, clock());
    }
  }

  const expiresAt = (expiresIn: number | undefined): Date | undefined =>
    expiresIn === undefined ? undefined : new Date(clock().getTime() + expiresIn * 1000);

  async function consentsToken(): Promise<string> {
    if (cc && cc.expiresAt - CC_MARGIN_MS > clock().getTime()) return cc.token;
    ccPromise ??= guarded('client_credentials grant', 'endpoint', (c) => oidc.clientCredentialsGrant(c, { scope: 'consents' }))
      .then((t) => {
        cc = { token: t.access_token, expiresAt: clock().getTime() + (t.expires_in ?? 300) * 1000 };
        return t.access_token;
      })
      .finally(() => {
        ccPromise = undefined;
      });
    return ccPromise;
  }

  return {
    configuration,
    consentsToken,
    dropConsentsToken(token) {
      if (cc?.token === token) cc = undefined;
    },

    async startAuthorization(consentId) {
      if (!CONSENT_ID.test(consentId)) throw new TypeError('consentId is not a consent URN');
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = await guarded('pushed authorization request', 'endpoint', async (config) => {
        const jar = await oidc.buildAuthorizationUrlWithJAR(
          config,
          {
            redirect_uri: options.redirectUri,
            scope: ['openid', `consent:${consentId}`, ...options.scopes].join(' '),
            state,
            nonce,
            code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
            code_challenge_method: 'S256',
            // FAPI-BR: acr requested as an essential claim.
            claims: JSON.stringify({ id_token: { acr: { essential: true, values: options.acrValues } } }),
          },
          signingKey!,
        );
        return oidc.buildAuthorizationUrlWithPAR(config, jar.searchParams);
      });
      return { authorizationUrl: url.href, consentId, state, nonce, codeVerifier };
    },

    async finishAuthorization(callback, pending) {
      const current = await callbackUrl(callback, options.redirectUri);
      const tokens = await guarded('authorization code grant', 'callback', (config) =>
        oidc.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedNonce: pending.nonce,
          expectedState: pending.state,
          idTokenExpected: true,
        }),
      );
      const claims = tokens.claims();
      if (!claims || typeof claims.acr !== 'string' || !options.acrValues.includes(claims.acr)) {
        throw new OfbAuthorizationError('invalid_callback', 'the ID token has no acr among the requested values');
      }
      // The access token must be for the consent this flow was started for.
      if (tokens.scope !== undefined && !tokens.scope.split(' ').includes(`consent:${pending.consentId}`)) {
        throw new OfbAuthorizationError('invalid_callback', 'the token was not issued for the pending consent');
      }
      return {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        expiresAt: expiresAt(tokens.expires_in),
        scope: tokens.scope,
        idTokenClaims: claims,
        consentId: pending.consentId,
      };
    },

    async refresh(refreshToken) {
      const tokens = await guarded('refresh token grant', 'endpoint', (c) => oidc.refreshTokenGrant(c, refreshToken));
      return {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token ?? refreshToken,
        expiresAt: expiresAt(tokens.expires_in),
        scope: tokens.scope,
        idTokenClaims: tokens.claims(),
      };
    },

    async revoke(token, hint) {
      await guarded('token revocation', 'endpoint', (c) => oidc.tokenRevocation(c, token, hint ? { token_type_hint: hint } : undefined));
    },
  };
}

/**
 * The authorization response as a URL on the registered redirect_uri with the parameters in the
 * fragment, whatever way it arrived: fragment or query of the callback URL, a form_post Request,
 * or the parameters alone. Rebuilding on `redirectUri` keeps the token request's redirect_uri
 * exact even when the callback was received behind a proxy under another host.
 */
export async function callbackUrl(callback: CallbackInput, redirectUri: string): Promise<URL> {
  let params: URLSearchParams;
  if (typeof callback === 'string' || callback instanceof URL) {
    const url = new URL(callback, redirectUri);
    params = new URLSearchParams(url.hash ? url.hash.slice(1) : url.search.slice(1));
  } else if (callback instanceof URLSearchParams) {
    params = callback;
  } else if (isRequest(callback)) {
    if (callback.method === 'POST') {
      params = new URLSearchParams(await callback.text());
    } else {
      const url = new URL(callback.url);
      params = new URLSearchParams(url.hash ? url.hash.slice(1) : url.search.slice(1));
    }
  } else {
    params = new URLSearchParams(callback);
  }
  const url = new URL(redirectUri);
  url.search = '';
  url.hash = params.toString();
  return url;
}

function isRequest(x: unknown): x is Request {
  return !!x && typeof (x as Request).method === 'string' && typeof (x as Request).url === 'string' && typeof (x as Request).text === 'function';
}
