/**
 * The in-process sandbox bank: it starts, is described by an entry that passes the file checks,
 * answers over TLS trusting only the entry's CA, serves the whole consent flow back to a local
 * http://localhost redirect with data behind it, answers a call at the caller's now when it sends
 * one (x-vinculo-sandbox-now), and frees its port when closed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Agent, fetch } from 'undici';
import { SANDBOX_NOW_HEADER } from '../client/index.js';
import { checkOfbInstitution, derivedInstitutionId, ofbInstitutionDefinition } from '../config/index.js';
import { zulu } from '../mock/consents.js';
import { cpfFromBase } from '../mock/resources/documents.js';
import { consentsApi, createRelyingParty, pushAuthorizationRequest, walkBankPages, type RelyingParty } from '../mock/testkit.js';
import { sandboxRequestNow, startSandboxOfbBank, type SandboxOfbBank } from './index.js';

const REDIRECT = 'http://localhost:8000/ofb/callback';
const CPF = cpfFromBase('529982247');
const DAY = 86_400_000;

describe('startSandboxOfbBank', () => {
  const now = Date.now();
  let sandbox: SandboxOfbBank;
  let rp: RelyingParty | undefined;

  before(async () => {
    sandbox = await startSandboxOfbBank({ clock: () => new Date(now), port: 0, redirectUri: REDIRECT });
  });
  after(async () => {
    await rp?.close();
    await sandbox?.close();
  });

  it('describes the mock bank with an entry that passes the file checks', () => {
    const { entry, bank } = sandbox;
    assert.equal(entry.name, 'ofmockbank_br_retail');
    assert.equal(entry.display_name, 'OF Mock Bank');
    assert.equal(entry.id, derivedInstitutionId('ofmockbank_br_retail'));
    assert.equal(entry.discovery_url, `${bank.issuer}/.well-known/openid-configuration`);
    assert.equal(entry.api_base_url, bank.baseUrl);
    assert.equal(entry.client_id, bank.client.clientId);
    assert.equal(entry.redirect_uri, REDIRECT);
    assert.equal(entry.source, 'sandbox');
    assert.equal(entry.signing_key_id, (bank.client.signingJwk as { kid: string }).kid);
    assert.deepEqual(entry.secrets.ca, [bank.ca]);
    assert.equal(entry.secrets.transport.certPem, bank.client.certPem);
    assert.deepEqual(checkOfbInstitution(entry), []);
    assert.equal(ofbInstitutionDefinition(entry).integration_type, 'openbanking');
  });

  it('answers discovery over TLS to a client trusting only the entry’s CA', async () => {
    const { entry } = sandbox;
    const trusting = new Agent({ connect: { ca: [...entry.secrets.ca] } });
    const stranger = new Agent({ connect: { ca: [] } });
    try {
      const res = await fetch(entry.discovery_url, { dispatcher: trusting });
      assert.equal(res.status, 200);
      const meta = (await res.json()) as { issuer: string; pushed_authorization_request_endpoint: string };
      assert.equal(meta.issuer, sandbox.bank.issuer);
      assert.ok(meta.pushed_authorization_request_endpoint.startsWith(entry.api_base_url));
      await assert.rejects(fetch(entry.discovery_url, { dispatcher: stranger }), 'the bank’s certificate chains to its own CA only');
    } finally {
      await Promise.all([trusting.close(), stranger.close()]);
    }
  });

  it('serves the consent flow back to a localhost redirect, then data over mTLS', async () => {
    const { bank, entry } = sandbox;
    rp = await createRelyingParty(bank, { certPem: entry.secrets.transport.certPem, keyPem: entry.secrets.transport.keyPem });
    const cc = await oidc.clientCredentialsGrant(rp.config, { scope: 'consents' });
    const created = await consentsApi(rp, bank, 'POST', cc.access_token, '', {
      data: {
        loggedUser: { document: { identification: CPF, rel: 'CPF' } },
        permissions: ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'],
        expirationDateTime: zulu(new Date(now + 30 * 86_400_000)),
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const consentId = (created.body as { data: { consentId: string } }).data.consentId;

    const request = await pushAuthorizationRequest(rp, bank, consentId);
    const walk = await walkBankPages(bank, request.url, { cpf: CPF, decision: 'Autorizar' });
    assert.ok(walk.callback, `no callback; last page: ${walk.pages.at(-1)}`);
    assert.equal(`${walk.callback.origin}${walk.callback.pathname}`, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(rp.config, walk.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedNonce: request.nonce,
      expectedState: request.state,
    });

    const accounts = await rp.fetch(`${entry.api_base_url}/open-banking/accounts/v2/accounts`, {
      headers: { authorization: `Bearer ${tokens.access_token}`, 'x-fapi-interaction-id': randomUUID() },
    });
    assert.equal(accounts.status, 200, await accounts.clone().text());
    const body = (await accounts.json()) as { data: unknown[]; links: { self: string } };
    assert.ok(body.data.length > 0);
    // Links name the bank (the OFB documents refuse IP hosts in links), never 127.0.0.1.
    assert.ok(body.links.self.startsWith('https://ofmockbank.vinculo.dev/open-banking/accounts/v2/accounts'), body.links.self);

    // Without a token the resource server (not the bank's 404) answers.
    const anonymous = await rp.fetch(`${entry.api_base_url}/open-banking/accounts/v2/accounts`, {
      headers: { 'x-fapi-interaction-id': randomUUID() },
    });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { errors: { code: string }[] }).errors[0]?.code, 'NAO_AUTORIZADO');
  });

  it('answers a call that sends x-vinculo-sandbox-now at that instant, any other at its own clock', async () => {
    const { bank, entry } = sandbox;
    rp ??= await createRelyingParty(bank, { certPem: entry.secrets.transport.certPem, keyPem: entry.secrets.transport.keyPem });
    const cc = await oidc.clientCredentialsGrant(rp.config, { scope: 'consents' });
    const call = async (method: 'POST' | 'GET', path: string, at?: Date, body?: unknown) => {
      const res = await rp!.fetch(`${bank.baseUrl}/open-banking/consents/v3/consents${path}`, {
        method,
        headers: {
          authorization: `Bearer ${cc.access_token}`,
          'x-fapi-interaction-id': randomUUID(),
          ...(at ? { [SANDBOX_NOW_HEADER]: at.toISOString() } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as { data: Record<string, any> } };
    };
    // A tenant 200 days ahead asks for a consent of 300 days: past the bank's own 12 months, not past the caller's.
    const later = new Date(now + 200 * DAY);
    const create = (at?: Date) =>
      call('POST', '', at, {
        data: {
          loggedUser: { document: { identification: CPF, rel: 'CPF' } },
          permissions: ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'],
          expirationDateTime: zulu(new Date(later.getTime() + 300 * DAY)),
        },
      });
    assert.equal((await create()).status, 422, 'at the bank’s own clock: more than 12 months ahead');
    const created = await create(later);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.data.creationDateTime, zulu(later));
    const path = `/${created.body.data.consentId}`;
    // Read at the bank's own clock it still awaits the customer; an hour later for the caller, it has expired unanswered.
    assert.equal((await call('GET', path)).body.data.status, 'AWAITING_AUTHORISATION');
    const expired = await call('GET', path, new Date(later.getTime() + 61 * 60_000));
    assert.equal(expired.body.data.status, 'REJECTED');
    assert.equal(expired.body.data.rejection.reason.code, 'CONSENT_EXPIRED');
  });

  it('reads the caller’s now only from a well-formed instant', () => {
    const at = (value: string | undefined) => sandboxRequestNow({ headers: { [SANDBOX_NOW_HEADER]: value } });
    assert.equal(at('2031-02-03T04:05:06.789Z')?.toISOString(), '2031-02-03T04:05:06.789Z');
    assert.equal(at('2031-02-03T01:05:06-03:00')?.toISOString(), '2031-02-03T04:05:06.000Z');
    for (const bad of [undefined, '', 'tomorrow', '2031-02-03', '1700000000000', '2031-02-03 04:05:06Z']) assert.equal(at(bad), undefined, String(bad));
  });
});

describe('startSandboxOfbBank close()', () => {
  it('frees the port', async () => {
    const sandbox = await startSandboxOfbBank({ clock: () => new Date(), redirectUri: REDIRECT });
    const port = Number(new URL(sandbox.entry.api_base_url).port);
    assert.ok(port > 0);
    await sandbox.close();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
