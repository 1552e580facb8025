import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { apiError, type VinculoError } from '../errors.js';

/**
 * The Connect widget's tokens: `POST /api/token/` answers `{access, refresh}`, two JWTs (HS256)
 * valid 10 minutes each, as Belvo's are. Both name the widget session (`sid`, a row of
 * `widget_sessions`), its tenant, scopes and, in update mode, the one link it may repair.
 *
 * Signing key: an HKDF subkey of the vault's master key (`Vault.deriveKeys`), with the master
 * key's public id as the JWT `kid`. Chosen over a random key stored sealed in the database
 * because it needs no state: every process that shares the master key (API and workers on one
 * PostgreSQL) signs and verifies alike with nothing to create, race over or re-wrap; it rotates
 * with the master key (tokens signed under a previous key verify while that key is listed in
 * VINCULO_PREVIOUS_MASTER_KEYS — ten minutes is all they need); and the HKDF `info` keeps it
 * apart from the key that wraps credentials, so a leaked token key opens nothing.
 *
 * A signature alone cannot be taken back, so every use is also checked against the session row
 * (see WidgetService): finished or revoked sessions, rotated refresh tokens and revoked API keys
 * stop a token that is still within its 10 minutes.
 */

export const TOKEN_TTL_SECONDS = 600;
/** Belvo's widget scopes; the `*_consents` ones are those of OFDA (Open Finance Brasil) tokens. */
export const WIDGET_SCOPES = [
  'read_institutions',
  'write_links',
  'read_links',
  'read_consents',
  'write_consents',
  'write_consent_callback',
  'delete_consents',
] as const;
export type WidgetScope = (typeof WIDGET_SCOPES)[number];
export type TokenUse = 'access' | 'refresh';

const ISSUER = 'vinculo';
const AUDIENCE = 'vinculo-widget';
export const SIGNING_PURPOSE = 'widget-token-signing-v1';

export interface WidgetClaims {
  /** Widget session id. */
  sid: string;
  tenant: string;
  scopes: WidgetScope[];
  /** Update mode: the link the token is bound to. */
  link: string | null;
  use: TokenUse;
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
}

export interface SignedToken {
  token: string;
  jti: string;
  exp: number;
}

const invalid = (message = 'Invalid access token') => apiError('authentication_failed', message);

export class WidgetTokens {
  private readonly byId: Map<string, Uint8Array>;
  private readonly currentId: string;

  /** `keys`: from `vault.deriveKeys(SIGNING_PURPOSE)`, current first. */
  constructor(keys: readonly { id: string; key: Uint8Array }[]) {
    if (!keys.length) throw new Error('widget tokens need a signing key');
    this.byId = new Map(keys.map((k) => [k.id, new Uint8Array(k.key)]));
    this.currentId = keys[0].id;
  }

  /** Signs one token; `now` (ms) is for tests that need one already expired. */
  async sign(claims: Omit<WidgetClaims, 'jti' | 'exp'>, now = Date.now()): Promise<SignedToken> {
    const jti = randomUUID();
    const iat = Math.floor(now / 1000);
    const exp = iat + TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ sid: claims.sid, tenant: claims.tenant, scopes: claims.scopes.join(','), link: claims.link, use: claims.use })
      .setProtectedHeader({ alg: 'HS256', kid: this.currentId, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.sid)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.byId.get(this.currentId)!);
    return { token, jti, exp };
  }

  /** Verifies signature, issuer, audience, expiry and use; throws 401 `authentication_failed`. */
  async verify(token: string, use: TokenUse): Promise<WidgetClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid ? this.byId.get(header.kid) : undefined;
          if (!key) throw invalid();
          return key;
        },
        { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['jti', 'exp', 'sub'] },
      ));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw expired(use);
      throw (err as VinculoError).code === 'authentication_failed' ? err : invalid();
    }
    const scopes = typeof payload.scopes === 'string' ? payload.scopes.split(',') : [];
    if (payload.use !== use || typeof payload.tenant !== 'string' || typeof payload.sid !== 'string' || payload.sid !== payload.sub) {
      throw invalid();
    }
    return {
      sid: payload.sid,
      tenant: payload.tenant,
      scopes: scopes.filter((s): s is WidgetScope => (WIDGET_SCOPES as readonly string[]).includes(s)),
      link: typeof payload.link === 'string' ? payload.link : null,
      use,
      jti: payload.jti!,
      exp: payload.exp!,
    };
  }
}

export function expired(use: TokenUse): VinculoError {
  return apiError('authentication_failed', use === 'access' ? 'The access token has expired' : 'The refresh token has expired');
}
