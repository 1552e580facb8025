/**
 * The OFB client against the mock bank when things go wrong: injected faults (429/423/500,
 * latency), unreachable bank, token/certificate binding, non-conforming answers, interaction id
 * mismatch, runaway pagination, a consent revoked at the bank, and consents API refusals.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { cpfFromBase } from '../mock/resources/documents.js';
import { DEFAULT_LIMITS } from '../mock/resources/index.js';
import { walkBankPages } from '../mock/testkit.js';
import { createOfbClient } from './client.js';
import {
  OfbRateLimitedError,
  OfbRequestError,
  OfbResponseError,
  OfbUnauthorizedError,
  OfbUnavailableError,
  ofbPermissionsFor,
  type OfbClient,
} from './index.js';
import { ACCOUNTS, clientOptions, IDENTIFICATIONS, LINKS_ORIGIN, startTestBank, type TestBank } from './testing.js';

const CPF = cpfFromBase('111444777');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('OFB client — failures', () => {
  let tb: TestBank;
  let client: OfbClient;

  before(async () => {
    tb = await startTestBank();
    client = tb.client();
  });
  after(async () => {
    await tb?.close();
  });

  /** A consent the customer authorised, and its tokens. */
  async function authorised() {
    const consent = await client.createConsent({ cpf: CPF, permissions: ofbPermissionsFor(['REGISTER', 'ACCOUNTS']) });
    const started = await client.startAuthorization({ consentId: consent.consentId });
    const walk = await walkBankPages(tb.bank, new URL(started.authorizationUrl), { cpf: CPF, decision: 'Autorizar' });
    assert.ok(walk.callback);
    return client.finishAuthorization(walk.callback, started);
  }

  it('maps 429 and 423 to OfbRateLimitedError with Retry-After', async () => {
    const tokens = await authorised();
    tb.faults.set(tokens.consentId, { status: 429, retryAfter: 7, times: 1 });
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => {
      assert.ok(e instanceof OfbRateLimitedError);
      assert.equal(e.status, 429);
      assert.equal(e.retryAfterSeconds, 7);
      assert.deepEqual(e.codes, ['LIMITE_EXCEDIDO']);
      assert.ok(e.interactionId);
      return true;
    });
    tb.faults.set(tokens.consentId, { status: 423, retryAfter: 30, times: 1 });
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbRateLimitedError && e.status === 423 && e.retryAfterSeconds === 30);
    tb.faults.set(tokens.consentId, { status: 429, times: 1 });
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbRateLimitedError && e.retryAfterSeconds === undefined);
    // The faults were one-shot: the next call is served.
    await client.getResource(ACCOUNTS, tokens.accessToken);
  });

  it('maps 5xx, timeouts and an unreachable bank to OfbUnavailableError', async () => {
    const tokens = await authorised();
    tb.faults.set(tokens.consentId, { status: 500, times: 1 });
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbUnavailableError && e.status === 500);
    tb.faults.set(tokens.consentId, { status: 529, times: 1 });
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbUnavailableError && e.status === 529);

    const impatient = tb.client({ timeoutMs: 100 });
    tb.faults.slow(2_000);
    try {
      await assert.rejects(impatient.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbUnavailableError && e.status === undefined);
    } finally {
      tb.faults.slow(0);
    }

    // A port just freed on loopback: the connection is refused at discovery.
    const closed = `https://127.0.0.1:${await freePort()}`;
    const nowhere = tb.client({ issuer: closed, apiBaseUrl: closed });
    await assert.rejects(nowhere.createConsent({ cpf: CPF, permissions: ofbPermissionsFor(['ACCOUNTS']) }), (e) => {
      assert.ok(e instanceof OfbUnavailableError);
      assert.deepEqual(e.codes, ['ECONNREFUSED']);
      return true;
    });
  });

  it('works over its own mTLS agent (extra CA trust) and refuses tokens without their certificate', async () => {
    const tokens = await authorised();
    // No dispatcher override: the client's own undici Agent, with the bank CA as extra trust.
    const own = createOfbClient(clientOptions(tb.bank));
    try {
      await own.getResource(IDENTIFICATIONS, tokens.accessToken);
      const refreshed = await own.refresh(tokens.refreshToken!);
      assert.ok(refreshed.accessToken);
    } finally {
      await own.close();
    }

    const stranger = await tb.bank.issueClientCertificate({ orgId: 'other-org', softwareId: 'other-software' });
    const otherCert = tb.client({ transport: { certPem: stranger.certPem, keyPem: stranger.keyPem } });
    await assert.rejects(otherCert.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbUnauthorizedError && e.status === 401);
    const noCert = tb.client({ transport: null });
    await assert.rejects(noCert.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbUnauthorizedError && e.status === 401);
    // The token itself is fine with the right certificate.
    await client.getResource(ACCOUNTS, tokens.accessToken);
  });

  it('refuses an answer that does not conform to the document, naming the JSON path', async () => {
    const tokens = await authorised();
    tb.tamper = (answer) => {
      delete answer.body.data[0].brandName;
      answer.body.data[0].type = 'CONTA_DE_OURO';
    };
    try {
      await assert.rejects(client.getAllPages(ACCOUNTS, tokens.accessToken), (e) => {
        assert.ok(e instanceof OfbResponseError);
        assert.deepEqual(new Set(e.issues.map((i) => i.path)), new Set(['$.data[0].brandName', '$.data[0].type']));
        assert.ok(['$.data[0].brandName', '$.data[0].type'].includes(e.path));
        assert.equal(e.status, 200);
        return true;
      });
    } finally {
      tb.tamper = undefined;
    }
  });

  it('refuses an answer echoing another x-fapi-interaction-id', async () => {
    const tokens = await authorised();
    tb.tamper = (answer) => {
      answer.headers['x-fapi-interaction-id'] = '00000000-0000-4000-8000-000000000000';
    };
    try {
      await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbResponseError && e.path === 'headers.x-fapi-interaction-id');
    } finally {
      tb.tamper = undefined;
    }
  });

  it('stops pagination that loops, leaves the endpoint or runs past maxPages', async () => {
    const tokens = await authorised();
    const next = (link: string) => (answer: { body?: any }) => {
      if (answer.body?.links) answer.body.links.next = link;
    };
    // Pages without a pagination-key count against the monthly limit of 4 calls.
    tb.faults.setLimits({ accounts: Number.POSITIVE_INFINITY });
    try {
      tb.tamper = next(`${LINKS_ORIGIN}${ACCOUNTS}?page-size=5`);
      await assert.rejects(client.getAllPages(ACCOUNTS, tokens.accessToken, { 'page-size': 5 }), (e) => e instanceof OfbResponseError && e.path === '$.links.next' && /already fetched/.test(e.message));
      tb.tamper = next(`${LINKS_ORIGIN}/open-banking/customers/v2/personal/identifications?page=2`);
      await assert.rejects(client.getAllPages(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbResponseError && /another endpoint/.test(e.message));
      let page = 1;
      tb.tamper = (answer) => {
        page += 1;
        // Undeclared parameters are ignored by the mock: every "next" page is page 1 again.
        if (answer.body?.links) answer.body.links.next = `${LINKS_ORIGIN}${ACCOUNTS}?page=1&n=${page}`;
      };
      const bounded = tb.client({ maxPages: 3 });
      await assert.rejects(bounded.getAllPages(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbResponseError && /more than 3 pages/.test(e.message));
      assert.equal(page, 4, 'three pages fetched, the fourth refused before the call');
    } finally {
      tb.tamper = undefined;
      tb.faults.setLimits({ accounts: DEFAULT_LIMITS.accounts });
    }
  });

  it('reports a consent the customer revoked at the bank', async () => {
    const tokens = await authorised();
    tb.bank.faults.revokeConsent(tokens.consentId);
    await assert.rejects(client.getResource(ACCOUNTS, tokens.accessToken), (e) => e instanceof OfbUnauthorizedError && (e.status === 401 || e.status === 403));
    const consent = await client.getConsent(tokens.consentId);
    assert.equal(consent.status, 'REJECTED');
    assert.deepEqual(consent.rejection, { rejectedBy: 'USER', reason: { code: 'CUSTOMER_MANUALLY_REVOKED' } });
    await assert.rejects(client.refresh(tokens.refreshToken!), OfbUnauthorizedError);
    // Deleting it again is refused with the document's code.
    await assert.rejects(client.deleteConsent(tokens.consentId), (e) => e instanceof OfbRequestError && e.status === 422 && e.codes[0] === 'CONSENTIMENTO_EM_STATUS_REJEITADO');
  });

  it('surfaces consents API refusals with their codes and never echoes the CPF', async () => {
    await assert.rejects(client.createConsent({ cpf: CPF, permissions: ['ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'] }), (e) => {
      assert.ok(e instanceof OfbRequestError);
      assert.equal(e.status, 422);
      assert.deepEqual(e.codes, ['COMBINACAO_PERMISSOES_INCORRETA']);
      assert.doesNotMatch(e.message, new RegExp(CPF));
      return true;
    });
    await assert.rejects(client.getConsent('urn:ofmockbank:does-not-exist'), (e) => e instanceof OfbRequestError && e.status === 404);
    await assert.rejects(client.createConsent({ cpf: '123', permissions: ['ACCOUNTS_READ'] }), (e) => e instanceof TypeError && !/123/.test(e.message));
    await assert.rejects(client.startAuthorization({ consentId: 'not a urn' }), TypeError);
  });
});
