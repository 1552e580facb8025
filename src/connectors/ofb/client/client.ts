/**
 * `createOfbClient`: the production Open Finance Brasil data-receiver client the OFB connector
 * uses for one bank (one AS + one API base). OAuth is in oauth.ts, the consents API in
 * consents.ts, HTTP/validation in http.ts, pagination in pages.ts; this file wires them.
 */
import type { JsonWebKey } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { createConsentsApi, type CreateConsentInput, type OfbConsent } from './consents.js';
import { callOfbApi, createTransport } from './http.js';
import { ACR_LOA2, ACR_LOA3, createOAuth, type CallbackInput, type OfbTokens, type PendingAuthorization } from './oauth.js';
import { toSearchParams, walkPages, type OfbDocument, type Query } from './pages.js';
import { OFB_DATA_SCOPES } from './permissions.js';

/**
 * The request header that tells Vinculo's sandbox bank the caller's now (ISO 8601): the bank
 * answers consent and data calls at that instant. Sent only to a sandbox bank (`sendSandboxNow`).
 */
export const SANDBOX_NOW_HEADER = 'x-vinculo-sandbox-now';

export interface OfbClientOptions {
  /** The AS issuer, or its full discovery URL (`…/.well-known/openid-configuration`). */
  issuer: string | URL;
  /** Origin (plus optional prefix) the `/open-banking/...` APIs are served under. */
  apiBaseUrl: string | URL;
  clientId: string;
  /** Private PS256 signing key (private_key_jwt, request objects), JWK with `kid`. */
  signingJwk: JsonWebKey;
  /** Private RSA-OAEP key for encrypted ID tokens, JWK with `kid`; omit if the bank signs only. */
  encryptionJwk?: JsonWebKey;
  /** Transport (mTLS) certificate and its private key, PEM. */
  transport: { certPem: string; keyPem: string };
  /** Extra trust anchor(s) on top of Node's roots (sandbox / test CAs). */
  caPem?: string | string[];
  /** Registered redirect_uri. */
  redirectUri: string;
  /** Per HTTP call, including reading the body. Default 30 s. */
  timeoutMs?: number;
  /** Drives `expiresAt`, the client_credentials cache and Retry-After dates. Default: real time. */
  clock?: () => Date;
  /** Requested (essential) `acr` values. Default loa2 and loa3. */
  acrValues?: string[];
  /** Resource scopes asked next to `openid consent:{id}`. Default all four data APIs. */
  scopes?: readonly string[];
  /** Upper bound of `getAllPages`. Default 1000. */
  maxPages?: number;
  /** Use this undici dispatcher instead of an own mTLS Agent (it must present the certificate). */
  dispatcher?: Dispatcher;
  /**
   * Vinculo's sandbox bank only, never an operator's bank: the views `at(now)` returns send `now`
   * in the `x-vinculo-sandbox-now` header of consents and data calls. Default false.
   */
  sendSandboxNow?: boolean;
}

export interface StartedAuthorization extends PendingAuthorization {
  /** Send the customer's browser here (the bank's authorization endpoint with a request_uri). */
  authorizationUrl: string;
}

export interface FinishedAuthorization extends OfbTokens {
  consentId: string;
}

export interface OfbClient {
  createConsent(input: CreateConsentInput): Promise<OfbConsent>;
  getConsent(consentId: string): Promise<OfbConsent>;
  /** Revokes the consent at the bank (DELETE): it becomes REJECTED by TPP. */
  deleteConsent(consentId: string): Promise<void>;
  startAuthorization(input: { consentId: string }): Promise<StartedAuthorization>;
  finishAuthorization(callback: CallbackInput, pending: PendingAuthorization): Promise<FinishedAuthorization>;
  refresh(refreshToken: string): Promise<OfbTokens & { refreshToken: string }>;
  revokeToken(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void>;
  /** GET one `/open-banking/...` resource; the body conforms to its OFB document. */
  getResource<T = OfbDocument>(path: string, accessToken: string, query?: Query): Promise<T>;
  /** Every page of a list endpoint, following `links.next`. */
  pages<T = unknown>(path: string, accessToken: string, query?: Query): AsyncGenerator<OfbDocument<T[]>>;
  /** All items of a list endpoint and how many pages they came in. */
  getAllPages<T = unknown>(path: string, accessToken: string, query?: Query): Promise<{ data: T[]; pageCount: number }>;
  /**
   * This client with the caller's now: for a sandbox bank (`sendSandboxNow`) a view whose consents
   * and data calls carry `now` in `x-vinculo-sandbox-now`, so the bank answers at that instant; for
   * any other bank the client itself. OAuth calls (tokens, PAR) never carry it: token lifetimes are
   * real time. The view shares everything else (connections, tokens); closing either closes both.
   */
  at(now: Date): OfbClient;
  close(): Promise<void>;
}

function assertOfbPath(path: string): void {
  if (!path.startsWith('/open-banking/') || path.includes('?') || path.includes('#') || path.split('/').includes('..')) {
    throw new TypeError('path must be an /open-banking/... path without query');
  }
}

export function createOfbClient(options: OfbClientOptions): OfbClient {
  const clock = options.clock ?? (() => new Date());
  const apiBase = new URL(options.apiBaseUrl);
  if (apiBase.protocol !== 'https:') throw new TypeError('apiBaseUrl must be https');
  const prefix = apiBase.pathname.replace(/\/+$/, '');
  const apiUrl = (path: string, query?: URLSearchParams): URL => {
    const url = new URL(`${prefix}${path}`, apiBase.origin);
    if (query && [...query].length) url.search = query.toString();
    return url;
  };

  const transport = createTransport({
    certPem: options.transport.certPem,
    keyPem: options.transport.keyPem,
    caPem: options.caPem,
    timeoutMs: options.timeoutMs ?? 30_000,
    dispatcher: options.dispatcher,
  });
  const oauth = createOAuth({
    issuer: new URL(options.issuer),
    clientId: options.clientId,
    signingJwk: options.signingJwk,
    encryptionJwk: options.encryptionJwk,
    redirectUri: options.redirectUri,
    acrValues: options.acrValues ?? [ACR_LOA2, ACR_LOA3],
    scopes: options.scopes ?? OFB_DATA_SCOPES,
    transport,
    clock,
  });
  const maxPages = options.maxPages ?? 1000;

  /** The client whose consents and data calls carry `headers`. */
  function view(headers: Readonly<Record<string, string>> | undefined): OfbClient {
    const consents = createConsentsApi({ oauth, transport, apiUrl: (p) => apiUrl(p), clock, headers });

    async function get<T>(path: string, accessToken: string, query: URLSearchParams): Promise<T> {
      assertOfbPath(path);
      const answer = await callOfbApi(transport, { method: 'GET', url: apiUrl(path, query), ofbPath: path, accessToken, headers }, clock);
      return answer.body as T;
    }

    const client: OfbClient = {
      createConsent: (input) => consents.create(input),
      getConsent: (id) => consents.get(id),
      deleteConsent: (id) => consents.delete(id),
      startAuthorization: ({ consentId }) => oauth.startAuthorization(consentId),
      finishAuthorization: (callback, pending) => oauth.finishAuthorization(callback, pending),
      refresh: (refreshToken) => oauth.refresh(refreshToken),
      revokeToken: (token, hint) => oauth.revoke(token, hint),
      getResource: (path, accessToken, query) => get(path, accessToken, toSearchParams(query)),
      pages<T>(path: string, accessToken: string, query?: Query) {
        assertOfbPath(path);
        return walkPages<T>(path, toSearchParams(query), maxPages, (p, q) => get<OfbDocument<T[]>>(p, accessToken, q));
      },
      async getAllPages<T>(path: string, accessToken: string, query?: Query) {
        const data: T[] = [];
        let pageCount = 0;
        for await (const page of client.pages<T>(path, accessToken, query)) {
          data.push(...page.data);
          pageCount++;
        }
        return { data, pageCount };
      },
      at: (now) => (options.sendSandboxNow ? view({ [SANDBOX_NOW_HEADER]: now.toISOString() }) : root),
      close: () => transport.close(),
    };
    return client;
  }

  const root = view(undefined);
  return root;
}
