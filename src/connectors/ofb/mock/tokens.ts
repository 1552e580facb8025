/**
 * The resource side's checks of the bank's opaque tokens: age on the bank clock, binding to the
 * presented certificate (RFC 8705 `x5t#S256`), and for data calls the consent behind the token.
 * Separate from the authorization server (authorization-server.ts), which issues the tokens; the
 * consents API and the resource servers (through `authorize`) use these.
 */
import type { X509Certificate } from 'node:crypto';
import type Provider from 'oidc-provider';
import { certificateThumbprint } from './ca.js';
import type { ConsentsCaller, ConsentStore } from './consents.js';
import { ACCESS_TOKEN_TTL_S, consentIdsInScope, MOCK_IAT } from './authorization-server.js';

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

export interface TokenChecks {
  /** The data-call check, see `MockBank.authorize` (bank.ts). */
  authorize(accessToken: string, clientCertificate: ClientCertificate): Promise<AuthorizedRequest | null>;
  /** A client_credentials token for the consents API, see `ConsentsApiContext.authenticate` (consents.ts). */
  consentsCaller(token: string, clientCertificate: ClientCertificate): Promise<ConsentsCaller | 'insufficient_scope' | null>;
}

const boundTo = (token: { 'x5t#S256'?: string }, cert: ClientCertificate): boolean => {
  const expected = token['x5t#S256'];
  if (!expected || !cert) return false;
  try {
    return certificateThumbprint(cert) === expected;
  } catch {
    return false;
  }
};

export function tokenChecks(oidc: Provider, store: ConsentStore, bankClock: () => Date): TokenChecks {
  const tokenAgeOk = (token: { extra?: Record<string, unknown> }): boolean => {
    const iat = token.extra?.[MOCK_IAT];
    return typeof iat !== 'number' || bankClock().getTime() - iat < ACCESS_TOKEN_TTL_S * 1000;
  };

  return {
    async authorize(accessToken, cert) {
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
    },
    async consentsCaller(token, cert) {
      const cc = await oidc.ClientCredentials.find(token);
      if (!cc || !tokenAgeOk(cc as never) || !boundTo(cc as never, cert)) return null;
      if (!cc.clientId) return null;
      if (!(cc.scope ?? '').split(' ').includes('consents')) return 'insufficient_scope';
      return { clientId: cc.clientId };
    },
  };
}
