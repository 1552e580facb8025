/**
 * Test helpers around the mock bank: an openid-client v6 relying party configured the way OFB
 * wants a data receiver (private_key_jwt PS256, mTLS-bound tokens, PAR + signed request
 * object, hybrid `code id_token` with detached-signature checks, encrypted ID tokens), and a
 * tiny "browser" that walks the bank's login/consent pages with plain fetch.
 */
import { randomUUID, webcrypto, type JsonWebKey } from 'node:crypto';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { ACR_LOA2, ACR_LOA3, type MockBank } from './bank.js';

export interface RelyingParty {
  config: oidc.Configuration;
  /** undici dispatcher presenting the client's transport certificate. */
  mtls: Agent;
  /** fetch over mTLS with the client certificate (for the consents/data APIs). */
  fetch(url: string | URL, init?: Parameters<typeof undiciFetch>[1]): ReturnType<typeof undiciFetch>;
  signingKey: oidc.PrivateKey;
  close(): Promise<void>;
}

async function importPrivate(jwk: JsonWebKey, algorithm: RsaHashedImportParams, usages: KeyUsage[]): Promise<CryptoKey> {
  // WebCrypto rejects members it does not know only when they conflict; drop ours to be safe.
  const { kid: _kid, use: _use, alg: _alg, ...material } = jwk as JsonWebKey & { kid?: string; use?: string; alg?: string };
  return (await webcrypto.subtle.importKey('jwk', material as webcrypto.JsonWebKey, algorithm, false, usages)) as CryptoKey;
}

/**
 * Builds the relying party for `bank.client`, optionally with another transport certificate
 * (`null`: none at all).
 */
export async function createRelyingParty(
  bank: MockBank,
  transport: { certPem: string; keyPem: string } | null = bank.client,
): Promise<RelyingParty> {
  const mtls = new Agent({
    connect: transport ? { ca: bank.ca, cert: transport.certPem, key: transport.keyPem } : { ca: bank.ca },
  });
  const mtlsFetch = ((url: string | URL, init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(url, { ...init, dispatcher: mtls })) as RelyingParty['fetch'];

  const signingKey: oidc.PrivateKey = {
    key: await importPrivate(bank.client.signingJwk, { name: 'RSA-PSS', hash: 'SHA-256' }, ['sign']),
    kid: (bank.client.signingJwk as { kid?: string }).kid,
  };
  const decryptionKey: oidc.DecryptionKey = {
    key: await importPrivate(bank.client.encryptionJwk, { name: 'RSA-OAEP', hash: 'SHA-1' }, ['decrypt', 'unwrapKey']),
    alg: 'RSA-OAEP',
    kid: (bank.client.encryptionJwk as { kid?: string }).kid,
  };

  const config = await oidc.discovery(
    new URL(bank.issuer),
    bank.client.clientId,
    { use_mtls_endpoint_aliases: true, id_token_signed_response_alg: 'PS256' },
    oidc.PrivateKeyJwt(signingKey),
    {
      execute: [oidc.useCodeIdTokenResponseType, oidc.enableDetachedSignatureResponseChecks],
      [oidc.customFetch]: mtlsFetch as unknown as oidc.CustomFetch,
    },
  );
  oidc.enableDecryptingResponses(config, ['A256GCM'], decryptionKey);

  return {
    config,
    mtls,
    fetch: mtlsFetch,
    signingKey,
    close: () => mtls.close(),
  };
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** PAR with a PS256 request object (JAR) and PKCE S256, scope `openid consent:<id> …`. */
export async function pushAuthorizationRequest(
  rp: RelyingParty,
  bank: MockBank,
  consentId: string,
  extraScopes = 'accounts credit-cards-accounts customers resources',
): Promise<AuthorizationRequest> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const { searchParams } = await oidc.buildAuthorizationUrlWithJAR(
    rp.config,
    {
      redirect_uri: bank.client.redirectUri,
      scope: `openid consent:${consentId} ${extraScopes}`.trim(),
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      claims: JSON.stringify({ id_token: { acr: { essential: true, values: [ACR_LOA2, ACR_LOA3] } } }),
    },
    rp.signingKey,
  );
  const url = await oidc.buildAuthorizationUrlWithPAR(rp.config, searchParams);
  return { url, state, nonce, codeVerifier };
}

/** Cookie jar good enough for one host: name → value, last write wins. */
class Jar {
  private readonly cookies = new Map<string, string>();
  store(res: Response | Awaited<ReturnType<typeof undiciFetch>>): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface BrowserResult {
  /** The redirect to the client's redirect_uri (fragment holds the response), if reached. */
  callback?: URL;
  /** Pages seen, in order (HTML), for assertions on their content. */
  pages: string[];
  /** Final status when the walk stopped on a page instead of the callback. */
  status: number;
}

/**
 * Walks the bank's pages like a user would: follows redirects, logs in with `cpf`, then presses
 * the button labelled `decision` ("Autorizar" or "Rejeitar") by submitting its form.
 * Stops at the redirect to the client's redirect_uri, or on a page it cannot act on.
 */
export async function walkBankPages(
  bank: MockBank,
  start: URL,
  input: { cpf: string; decision: 'Autorizar' | 'Rejeitar' },
): Promise<BrowserResult> {
  // The user's browser trusts the bank's server certificate but has no client certificate.
  const browser = new Agent({ connect: { ca: bank.ca } });
  const jar = new Jar();
  const pages: string[] = [];
  try {
    let request: { url: URL; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: start, method: 'GET' };
    for (let hop = 0; hop < 20; hop += 1) {
      const res = await undiciFetch(request.url, {
        method: request.method,
        body: request.body?.toString(),
        headers: {
          cookie: jar.header(),
          ...(request.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        redirect: 'manual',
        dispatcher: browser,
      });
      jar.store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, request.url);
        if (next.href.startsWith(bank.client.redirectUri)) return { callback: next, pages, status: res.status };
        request = { url: next, method: 'GET' };
        continue;
      }
      const html = await res.text();
      pages.push(html);
      const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
      if (!form) return { pages, status: res.status };
      const action = new URL(form[1]!.replace(/&amp;/g, '&'), request.url);
      if (/name="cpf"/.test(form[2]!)) {
        if (pages.filter((p) => /name="cpf"/.test(p)).length > 1) return { pages, status: res.status }; // login refused
        request = { url: action, method: 'POST', body: new URLSearchParams({ cpf: input.cpf }) };
        continue;
      }
      const button = new RegExp(`<button type="submit" name="([^"]+)" value="([^"]+)">${input.decision}</button>`).exec(form[2]!);
      if (!button) return { pages, status: res.status };
      request = { url: action, method: 'POST', body: new URLSearchParams({ [button[1]!]: button[2]! }) };
    }
    throw new Error('too many hops in the bank pages');
  } finally {
    await browser.close();
  }
}

/** A fresh x-fapi-interaction-id. */
export const interactionId = (): string => randomUUID();

/** Calls the consents API over mTLS with a Bearer token. */
export async function consentsApi(
  rp: RelyingParty,
  bank: MockBank,
  method: 'POST' | 'GET' | 'DELETE',
  accessToken: string,
  pathSuffix = '',
  body?: unknown,
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  const res = await rp.fetch(`${bank.baseUrl}/open-banking/consents/v3/consents${pathSuffix}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      'x-fapi-interaction-id': interactionId(),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: text ? JSON.parse(text) : undefined,
  };
}
