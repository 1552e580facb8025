/**
 * The OFB client against the mock bank, the happy path end to end: consent → PAR → the bank's
 * pages as the customer → hybrid callback → tokens → data (paginated) → refresh → revocation →
 * consent deleted; plus the customer pressing Rejeitar, and the sandbox bank's `at(now)` views.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACR_LOA2 } from '../mock/bank.js';
import { cpfFromBase } from '../mock/resources/documents.js';
import { walkBankPages } from '../mock/testkit.js';
import { OfbAuthorizationError, OfbUnauthorizedError, ofbPermissionsFor, SANDBOX_NOW_HEADER, type OfbClient } from './index.js';
import { ACCOUNTS, CARDS, IDENTIFICATIONS, isoDay, RESOURCES, startTestBank, type TestBank } from './testing.js';

const CPF = cpfFromBase('529982247');
const FORMATTED_CPF = `${CPF.slice(0, 3)}.${CPF.slice(3, 6)}.${CPF.slice(6, 9)}-${CPF.slice(9)}`;

describe('OFB client — authorization and data flow', () => {
  let tb: TestBank;
  let client: OfbClient;

  before(async () => {
    tb = await startTestBank();
    client = tb.client();
  });
  after(async () => {
    await tb?.close();
  });

  const newConsent = () =>
    client.createConsent({
      cpf: FORMATTED_CPF,
      permissions: ofbPermissionsFor(['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS']),
      expirationDateTime: new Date(Date.now() + 90 * 86_400_000),
    });

  it('runs consent → authorization → data → refresh → revoke → consent deletion', async () => {
    const consent = await newConsent();
    assert.equal(consent.status, 'AWAITING_AUTHORISATION');
    assert.deepEqual([...consent.permissions].sort(), ofbPermissionsFor(['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS']).sort());
    assert.equal(tb.bank.consents.get(consent.consentId)?.cpf, CPF, 'loggedUser sent as bare digits');

    const started = await client.startAuthorization({ consentId: consent.consentId });
    const authUrl = new URL(started.authorizationUrl);
    assert.equal(authUrl.origin, tb.bank.issuer);
    assert.ok(authUrl.searchParams.get('request_uri'), 'PAR request_uri');
    assert.equal(authUrl.searchParams.get('request'), null, 'the request object went through PAR');
    assert.equal(started.consentId, consent.consentId);

    const walk = await walkBankPages(tb.bank, authUrl, { cpf: CPF, decision: 'Autorizar' });
    assert.ok(walk.callback, `no callback; last page: ${walk.pages.at(-1)?.slice(0, 300)}`);
    const tokens = await client.finishAuthorization(walk.callback, started);
    assert.equal(tokens.consentId, consent.consentId);
    assert.equal(tokens.idTokenClaims?.acr, ACR_LOA2);
    assert.ok(tokens.refreshToken);
    assert.ok(tokens.expiresAt && tokens.expiresAt.getTime() > Date.now());
    assert.equal((await client.getConsent(consent.consentId)).status, 'AUTHORISED');

    // Pagination: one item per page, compared with the same list in one page.
    const accounts = await client.getAllPages<{ accountId: string }>(ACCOUNTS, tokens.accessToken, { 'page-size': 1 });
    const onePage = await client.getAllPages<{ accountId: string }>(ACCOUNTS, tokens.accessToken, { 'page-size': 100 });
    assert.ok(accounts.data.length >= 1);
    assert.equal(accounts.pageCount, accounts.data.length);
    assert.equal(onePage.pageCount, 1);
    assert.deepEqual(accounts.data.map((a) => a.accountId), onePage.data.map((a) => a.accountId));

    const accountId = accounts.data[0]!.accountId;
    const window = { fromBookingDate: isoDay(-90), toBookingDate: isoDay(0) };
    const tx = await client.getAllPages<{ transactionId: string }>(`${ACCOUNTS}/${accountId}/transactions`, tokens.accessToken, { ...window, 'page-size': 10 });
    const txOnePage = await client.getResource<{ data: unknown[] }>(`${ACCOUNTS}/${accountId}/transactions`, tokens.accessToken, { ...window, 'page-size': 1000 });
    assert.ok(tx.pageCount > 1, 'three months of transactions span several pages of 10');
    assert.equal(tx.data.length, txOnePage.data.length);
    assert.equal(new Set(tx.data.map((t) => t.transactionId)).size, tx.data.length, 'no page fetched twice');

    // Card links name another host (LINKS_ORIGIN): followed on the configured API base.
    const cards = await client.getAllPages<{ creditCardAccountId: string }>(CARDS, tokens.accessToken, { 'page-size': 1 });
    assert.ok(cards.data.length >= 1);
    assert.equal(cards.pageCount, cards.data.length);
    const identifications = await client.getAllPages<{ personalId: string }>(IDENTIFICATIONS, tokens.accessToken);
    assert.equal(identifications.data.length, 1);
    const resources = await client.getAllPages<{ type: string }>(RESOURCES, tokens.accessToken);
    assert.equal(resources.data.length, accounts.data.length + cards.data.length);

    // Refresh: a new access token; the refresh token is not rotated.
    const refreshed = await client.refresh(tokens.refreshToken!);
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    assert.equal(refreshed.refreshToken, tokens.refreshToken);
    await client.getResource(IDENTIFICATIONS, refreshed.accessToken);

    await client.revokeToken(refreshed.accessToken, 'access_token');
    await assert.rejects(client.getResource(IDENTIFICATIONS, refreshed.accessToken), (e) => e instanceof OfbUnauthorizedError && e.status === 401);

    await client.deleteConsent(consent.consentId);
    const deleted = await client.getConsent(consent.consentId);
    assert.equal(deleted.status, 'REJECTED');
    assert.deepEqual(deleted.rejection, { rejectedBy: 'TPP', reason: { code: 'CUSTOMER_MANUALLY_REVOKED' } });
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), OfbUnauthorizedError);
    await assert.rejects(client.refresh(tokens.refreshToken!), (e) => e instanceof OfbUnauthorizedError && e.codes.includes('invalid_grant'));
  });

  it('accepts the callback as bare parameters (e.g. a fragment relayed by the browser)', async () => {
    const consent = await newConsent();
    const started = await client.startAuthorization({ consentId: consent.consentId });
    const walk = await walkBankPages(tb.bank, new URL(started.authorizationUrl), { cpf: CPF, decision: 'Autorizar' });
    const params = Object.fromEntries(new URLSearchParams(walk.callback!.hash.slice(1)));
    const tokens = await client.finishAuthorization(params, started);
    assert.equal(tokens.consentId, consent.consentId);
  });

  it('turns Rejeitar into an OfbAuthorizationError and the consent is REJECTED', async () => {
    const consent = await newConsent();
    const started = await client.startAuthorization({ consentId: consent.consentId });
    const walk = await walkBankPages(tb.bank, new URL(started.authorizationUrl), { cpf: CPF, decision: 'Rejeitar' });
    assert.ok(walk.callback);
    await assert.rejects(client.finishAuthorization(walk.callback, started), (e) => {
      assert.ok(e instanceof OfbAuthorizationError);
      assert.equal(e.code, 'access_denied');
      assert.match(e.description ?? '', /rejected/);
      return true;
    });
    const read = await client.getConsent(consent.consentId);
    assert.equal(read.status, 'REJECTED');
    assert.deepEqual(read.rejection, { rejectedBy: 'USER', reason: { code: 'CUSTOMER_MANUALLY_REJECTED' } });
  });

  it('at(now): only a client of a sandbox bank tells the bank the caller’s now (x-vinculo-sandbox-now)', async () => {
    const at = new Date('2031-02-03T04:05:06.789Z');
    assert.equal(client.at(at), client, 'another bank: the client itself');
    const sandbox = tb.client({ sendSandboxNow: true });
    const seen: (string | undefined)[] = [];
    tb.tamper = (_answer, req) => void seen.push(req.headers[SANDBOX_NOW_HEADER]);
    try {
      for (const c of [client.at(at), sandbox, sandbox.at(at)]) {
        await assert.rejects(c.getResource(ACCOUNTS, 'not-a-token'), OfbUnauthorizedError);
      }
    } finally {
      tb.tamper = undefined;
    }
    assert.deepEqual(seen, [undefined, undefined, at.toISOString()]);
  });

  it('refuses a callback whose state belongs to another flow', async () => {
    const consent = await newConsent();
    const started = await client.startAuthorization({ consentId: consent.consentId });
    const walk = await walkBankPages(tb.bank, new URL(started.authorizationUrl), { cpf: CPF, decision: 'Autorizar' });
    await assert.rejects(client.finishAuthorization(walk.callback!, { ...started, state: 'another-flow-state' }), (e) => {
      assert.ok(e instanceof OfbAuthorizationError);
      assert.equal(e.code, 'invalid_callback');
      return true;
    });
  });
});
