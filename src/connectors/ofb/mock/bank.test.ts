/**
 * The mock OFB bank's authorization side, driven end to end by openid-client v6 as the data
 * receiver: client_credentials → POST consent → PAR (signed request object, PKCE) → the
 * bank's pages → hybrid callback → token exchange over mTLS → bound access token → refresh →
 * revocation → consent DELETE; plus the ways a flow ends without data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { authorize, startMockBank, ACR_LOA2, type MockBank } from './bank.js';
import { cpfFromBase } from './resources/documents.js';
import {
  consentsApi,
  createRelyingParty,
  pushAuthorizationRequest,
  walkBankPages,
  type RelyingParty,
} from './testkit.js';
import { zulu } from './consents.js';

const CPF = cpfFromBase('529982247'); // 529.982.247-25
const OTHER_CPF = cpfFromBase('111444777'); // 111.444.777-35
const ACCOUNTS = ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'];

describe('OFB mock bank — authorization server', () => {
  let now = Date.now();
  const clock = () => new Date(now);
  let bank: MockBank;
  let rp: RelyingParty;

  before(async () => {
    bank = await startMockBank({ clock });
    rp = await createRelyingParty(bank);
  });
  after(async () => {
    await rp?.close();
    await bank?.close();
  });

  const freshCcToken = async () => (await oidc.clientCredentialsGrant(rp.config, { scope: 'consents' })).access_token;

  const newConsent = async (cpf = CPF, permissions = ACCOUNTS, days = 30) => {
    const cc = await oidc.clientCredentialsGrant(rp.config, { scope: 'consents' });
    const created = await consentsApi(rp, bank, 'POST', cc.access_token, '', {
      data: {
        loggedUser: { document: { identification: cpf, rel: 'CPF' } },
        permissions,
        expirationDateTime: zulu(new Date(now + days * 86_400_000)),
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const consentId = (created.body as { data: { consentId: string } }).data.consentId;
    return { consentId, ccToken: cc.access_token };
  };

  const authorizeFlow = async (consentId: string, cpf = CPF, decision: 'Autorizar' | 'Rejeitar' = 'Autorizar') => {
    const request = await pushAuthorizationRequest(rp, bank, consentId);
    const walk = await walkBankPages(bank, request.url, { cpf, decision });
    return { request, walk };
  };

  it('publishes an OIDC discovery document with the OFB profile', async () => {
    const res = await rp.fetch(`${bank.issuer}/.well-known/openid-configuration`);
    const meta = (await res.json()) as Record<string, unknown>;
    assert.equal(meta.issuer, bank.issuer);
    assert.deepEqual(meta.response_types_supported, ['code id_token']);
    assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['private_key_jwt']);
    assert.equal(meta.require_pushed_authorization_requests, true);
    assert.equal(meta.tls_client_certificate_bound_access_tokens, true);
    assert.ok((meta.acr_values_supported as string[]).includes(ACR_LOA2));
    assert.ok((meta.id_token_encryption_alg_values_supported as string[]).includes('RSA-OAEP'));
    assert.ok((meta.id_token_encryption_enc_values_supported as string[]).includes('A256GCM'));
    assert.deepEqual(meta.request_object_signing_alg_values_supported, ['PS256']);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.ok(typeof meta.revocation_endpoint === 'string');
    assert.ok((meta.scopes_supported as string[]).includes('consents'));
    assert.ok((meta.grant_types_supported as string[]).includes('client_credentials'));
  });

  it('runs the whole authorization-code flow with a certificate-bound token', async () => {
    const { consentId, ccToken } = await newConsent();
    const { request, walk } = await authorizeFlow(consentId);
    assert.ok(walk.callback, `no callback; last page: ${walk.pages.at(-1)}`);
    // The login page, then the consent page with its two buttons.
    assert.match(walk.pages[0]!, /name="cpf"/);
    assert.match(walk.pages[1]!, />Autorizar<\/button>/);
    assert.match(walk.pages[1]!, />Rejeitar<\/button>/);
    assert.match(walk.pages[1]!, /Saldos das contas/);
    // Hybrid response in the fragment; the ID token there is encrypted (JWE, 5 parts).
    const fragment = new URLSearchParams(walk.callback.hash.slice(1));
    assert.ok(fragment.get('code'));
    assert.equal(fragment.get('id_token')!.split('.').length, 5);
    assert.equal(bank.consents.get(consentId)!.status, 'AUTHORISED');

    // Token exchange over mTLS: openid-client checks the detached signature (c_hash, s_hash),
    // decrypts both ID tokens and checks nonce/state/PKCE.
    const tokens = await oidc.authorizationCodeGrant(rp.config, walk.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedNonce: request.nonce,
      expectedState: request.state,
    });
    const claims = tokens.claims()!;
    assert.equal(claims.acr, ACR_LOA2);
    assert.equal(claims.sub, CPF);
    assert.ok(tokens.refresh_token);
    assert.ok(tokens.expires_in! >= 300 && tokens.expires_in! <= 900);
    assert.ok(tokens.scope!.split(' ').includes(`consent:${consentId}`));

    // Bound to the transport certificate: the same token with another certificate is refused.
    const granted = await bank.authorize(tokens.access_token, bank.client.certPem);
    assert.deepEqual(granted && { ...granted, scopes: undefined }, {
      consentId,
      cpf: CPF,
      permissions: ACCOUNTS,
      clientId: bank.client.clientId,
      scopes: undefined,
    });
    assert.deepEqual(await authorize(tokens.access_token, bank.client.certPem), granted, 'module-level seam');
    const stranger = await bank.issueClientCertificate({ orgId: 'other-org', softwareId: 'other-software' });
    assert.equal(await bank.authorize(tokens.access_token, stranger.certPem), null);
    assert.equal(await bank.authorize(tokens.access_token, undefined), null);
    assert.equal(await bank.authorize('not-a-token', bank.client.certPem), null);
    // A client_credentials token is not a data token.
    assert.equal(await bank.authorize(ccToken, bank.client.certPem), null);

    // Refresh: a new access token, the refresh token is not rotated.
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.ok(refreshed.refresh_token === undefined || refreshed.refresh_token === tokens.refresh_token);
    assert.ok(await bank.authorize(refreshed.access_token, bank.client.certPem));

    // Revocation of one access token.
    await oidc.tokenRevocation(rp.config, refreshed.access_token);
    assert.equal(await bank.authorize(refreshed.access_token, bank.client.certPem), null);
    assert.ok(await bank.authorize(tokens.access_token, bank.client.certPem), 'other tokens live on');

    // DELETE the consent: 204, REJECTED by TPP, every token of it dies.
    const deleted = await consentsApi(rp, bank, 'DELETE', ccToken, `/${consentId}`);
    assert.equal(deleted.status, 204);
    const read = await consentsApi(rp, bank, 'GET', ccToken, `/${consentId}`);
    assert.deepEqual((read.body as { data: { rejection: unknown } }).data.rejection, {
      rejectedBy: 'TPP',
      reason: { code: 'CUSTOMER_MANUALLY_REVOKED' },
    });
    assert.equal(await bank.authorize(tokens.access_token, bank.client.certPem), null);
    await assert.rejects(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!), { error: 'invalid_grant' });
    assert.equal((await consentsApi(rp, bank, 'DELETE', ccToken, `/${consentId}`)).status, 422);
  });

  it('refuses the token exchange without the client certificate', async () => {
    const { consentId } = await newConsent();
    const { request, walk } = await authorizeFlow(consentId);
    assert.ok(walk.callback);
    // Without a client certificate the RP still discovers (TLS lets it in) but the token
    // endpoint refuses to issue a bound token.
    const bare = await createRelyingParty(bank, null);
    try {
      await assert.rejects(
        oidc.authorizationCodeGrant(bare.config, walk.callback, {
          pkceCodeVerifier: request.codeVerifier,
          expectedNonce: request.nonce,
          expectedState: request.state,
        }),
        { error: 'invalid_grant' },
      );
    } finally {
      await bare.close();
    }
  });

  it('Rejeitar ends with access_denied and a REJECTED consent (CUSTOMER_MANUALLY_REJECTED)', async () => {
    const { consentId, ccToken } = await newConsent();
    const { walk } = await authorizeFlow(consentId, CPF, 'Rejeitar');
    assert.ok(walk.callback);
    const fragment = new URLSearchParams(walk.callback.hash.slice(1));
    assert.equal(fragment.get('error'), 'access_denied');
    const read = await consentsApi(rp, bank, 'GET', ccToken, `/${consentId}`);
    const data = (read.body as { data: Record<string, unknown> }).data;
    assert.equal(data.status, 'REJECTED');
    assert.deepEqual(data.rejection, { rejectedBy: 'USER', reason: { code: 'CUSTOMER_MANUALLY_REJECTED' } });
    // DELETE of a REJECTED consent → 422 CONSENTIMENTO_EM_STATUS_REJEITADO.
    const deleted = await consentsApi(rp, bank, 'DELETE', ccToken, `/${consentId}`);
    assert.equal(deleted.status, 422);
    assert.equal((deleted.body as { errors: { code: string }[] }).errors[0]!.code, 'CONSENTIMENTO_EM_STATUS_REJEITADO');
  });

  it('a CPF other than the consent loggedUser ends with access_denied', async () => {
    const { consentId } = await newConsent();
    const { walk } = await authorizeFlow(consentId, OTHER_CPF);
    assert.ok(walk.callback);
    assert.equal(new URLSearchParams(walk.callback.hash.slice(1)).get('error'), 'access_denied');
    assert.equal(walk.pages.length, 1, 'no consent page is shown');
    const consent = bank.consents.get(consentId)!;
    assert.equal(consent.status, 'REJECTED');
    assert.equal(consent.rejection?.reason.code, 'INTERNAL_SECURITY_REASON');
  });

  it('an invalid CPF is refused on the login page, which shows the error', async () => {
    const { consentId } = await newConsent();
    const { walk } = await authorizeFlow(consentId, '12345678900');
    assert.equal(walk.callback, undefined);
    assert.equal(walk.status, 400);
    assert.match(walk.pages.at(-1)!, /CPF inválido/);
    assert.equal(bank.consents.get(consentId)!.status, 'AWAITING_AUTHORISATION');
  });

  it('PAR refuses unknown consents, missing essential acr and a second use of the consent', async () => {
    await assert.rejects(pushAuthorizationRequest(rp, bank, 'urn:ofmockbank:nope'), { error: 'invalid_scope' });
    const { consentId } = await newConsent();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const { searchParams } = await oidc.buildAuthorizationUrlWithJAR(
      rp.config,
      {
        redirect_uri: bank.client.redirectUri,
        scope: `openid consent:${consentId} accounts`,
        nonce: oidc.randomNonce(),
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      },
      rp.signingKey,
    );
    await assert.rejects(oidc.buildAuthorizationUrlWithPAR(rp.config, searchParams), { error: 'invalid_request_object' });
    // Once authorised, the consent cannot be authorised again.
    const { walk } = await authorizeFlow(consentId);
    assert.ok(walk.callback);
    await assert.rejects(pushAuthorizationRequest(rp, bank, consentId), { error: 'invalid_scope' });
  });

  it('revocation at the bank and consent expiry cut data access and refresh', async () => {
    const { consentId } = await newConsent(CPF, ACCOUNTS, 1);
    const { request, walk } = await authorizeFlow(consentId);
    const tokens = await oidc.authorizationCodeGrant(rp.config, walk.callback!, {
      pkceCodeVerifier: request.codeVerifier,
      expectedNonce: request.nonce,
      expectedState: request.state,
    });
    assert.ok(await bank.authorize(tokens.access_token, bank.client.certPem));

    // Access tokens age on the injected clock too (900 s).
    now += 901_000;
    assert.equal(await bank.authorize(tokens.access_token, bank.client.certPem), null);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    assert.ok(await bank.authorize(refreshed.access_token, bank.client.certPem));

    // One day later the consent has reached its expirationDateTime.
    now += 86_400_000;
    assert.equal(await bank.authorize(refreshed.access_token, bank.client.certPem), null);
    const read = await consentsApi(rp, bank, 'GET', await freshCcToken(), `/${consentId}`);
    const data = (read.body as { data: Record<string, unknown> }).data;
    assert.equal(data.status, 'REJECTED');
    assert.deepEqual(data.rejection, { rejectedBy: 'ASPSP', reason: { code: 'CONSENT_MAX_DATE_REACHED' } });
    await assert.rejects(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!), { error: 'invalid_grant' });

    // Revocation by the customer at the bank (a fault the tests inject).
    const second = await newConsent();
    const flow = await authorizeFlow(second.consentId);
    const t2 = await oidc.authorizationCodeGrant(rp.config, flow.walk.callback!, {
      pkceCodeVerifier: flow.request.codeVerifier,
      expectedNonce: flow.request.nonce,
      expectedState: flow.request.state,
    });
    bank.faults.revokeConsent(second.consentId);
    assert.equal(await bank.authorize(t2.access_token, bank.client.certPem), null);
    await assert.rejects(oidc.refreshTokenGrant(rp.config, t2.refresh_token!), { error: 'invalid_grant' });
    const revoked = bank.consents.get(second.consentId)!;
    assert.deepEqual(revoked.rejection, { rejectedBy: 'USER', reason: { code: 'CUSTOMER_MANUALLY_REVOKED' } });
  });

  it('an AWAITING consent is REJECTED (CONSENT_EXPIRED) after 60 minutes', async () => {
    const { consentId, ccToken } = await newConsent();
    const request = await pushAuthorizationRequest(rp, bank, consentId);
    now += 60 * 60_000;
    // The client_credentials token has aged past 900 s on the bank's clock as well.
    assert.equal((await consentsApi(rp, bank, 'GET', ccToken, `/${consentId}`)).status, 401);
    const read = await consentsApi(rp, bank, 'GET', await freshCcToken(), `/${consentId}`);
    const data = (read.body as { data: Record<string, unknown> }).data;
    assert.equal(data.status, 'REJECTED');
    assert.deepEqual(data.rejection, { rejectedBy: 'ASPSP', reason: { code: 'CONSENT_EXPIRED' } });
    // The pushed request still leads to the bank, which now answers access_denied.
    const walk = await walkBankPages(bank, request.url, { cpf: CPF, decision: 'Autorizar' });
    assert.equal(new URLSearchParams(walk.callback!.hash.slice(1)).get('error'), 'access_denied');
  });
});
