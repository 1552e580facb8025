/**
 * The mock bank's Consents API v3 against consents-3.3.1.yml: every answer (body and declared
 * headers) is validated with Ajv against the published document, and the request rules of the
 * spec's `info` (groups, PF/PJ, unsupported products, expiry, x-fapi-interaction-id) hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { validateResponse } from '../spec/validate.js';
import { startMockBank, type MockBank } from './bank.js';
import { PERMISSION_GROUPS, zulu } from './consents.js';
import { cpfFromBase } from './resources/documents.js';
import { consentsApi, createRelyingParty, pushAuthorizationRequest, walkBankPages, type RelyingParty } from './testkit.js';

const CPF = cpfFromBase('390533447');
const ACCOUNTS = ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'];

describe('OFB mock bank — Consents API v3.3.1', () => {
  const now = Date.now();
  const clock = () => new Date(now);
  let bank: MockBank;
  let rp: RelyingParty;
  let token: string;

  before(async () => {
    bank = await startMockBank({ clock });
    rp = await createRelyingParty(bank);
    token = (await oidc.clientCredentialsGrant(rp.config, { scope: 'consents' })).access_token;
  });
  after(async () => {
    await rp?.close();
    await bank?.close();
  });

  /**
   * Spec issues of an answer, less one: ajv-formats' `url` format refuses loopback/IP and
   * TLD-less hosts, so `links.self` on https://127.0.0.1:<port> fails it although it is a
   * valid absolute URL of this bank (checked here instead).
   */
  const specIssues = (method: string, template: string, status: number, body: unknown, headers?: Record<string, string>) => {
    const self = (body as { links?: { self?: string } } | undefined)?.links?.self;
    if (self !== undefined) assert.ok(new URL(self).href.startsWith(`${bank.baseUrl}/open-banking/consents/v3/consents`), self);
    return validateResponse('consents', method, template, status, body, headers).filter(
      (i) => !(i.path === '$.links.self' && i.keyword === 'format' && self?.startsWith(bank.baseUrl)),
    );
  };

  /** Calls the API and asserts the answer conforms to the spec for its status. */
  const call = async (method: 'POST' | 'GET' | 'DELETE', suffix = '', body?: unknown, bearer = token) => {
    const res = await consentsApi(rp, bank, method, bearer, suffix, body);
    const template = suffix ? '/consents/{consentId}' : '/consents';
    const issues = specIssues(method, template, res.status, res.body, res.headers);
    assert.deepEqual(issues, [], `${method} ${template} ${res.status}: ${JSON.stringify(res.body)}`);
    return res;
  };
  const create = (data: Record<string, unknown>) =>
    call('POST', '', { data: { loggedUser: { document: { identification: CPF, rel: 'CPF' } }, ...data } });
  const errorCode = (body: unknown) => (body as { errors: { code: string }[] }).errors[0]!.code;
  const inDays = (d: number) => zulu(new Date(now + d * 86_400_000));

  it('POST → 201 AWAITING_AUTHORISATION; GET → 200; both conform, x-fapi-interaction-id echoed', async () => {
    const id = crypto.randomUUID();
    const res = await rp.fetch(`${bank.baseUrl}/open-banking/consents/v3/consents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-fapi-interaction-id': id, 'content-type': 'application/json' },
      body: JSON.stringify({
        data: {
          loggedUser: { document: { identification: CPF, rel: 'CPF' } },
          permissions: ACCOUNTS,
          expirationDateTime: inDays(90),
        },
      }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-fapi-interaction-id'), id);
    assert.equal(res.headers.get('x-v'), '3.3.1');
    const body = (await res.json()) as { data: Record<string, unknown>; links: { self: string } };
    assert.deepEqual(specIssues('POST', '/consents', 201, body, Object.fromEntries(res.headers)), []);
    assert.equal(body.data.status, 'AWAITING_AUTHORISATION');
    assert.match(body.data.consentId as string, /^urn:ofmockbank:/);
    assert.deepEqual(body.data.permissions, ACCOUNTS);

    const read = await call('GET', `/${body.data.consentId}`);
    assert.equal(read.status, 200);
    assert.deepEqual((read.body as { data: unknown }).data, body.data);
  });

  it('indefinite consent: no expirationDateTime sent, none returned', async () => {
    const res = await create({ permissions: ['CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ', 'RESOURCES_READ'] });
    assert.equal(res.status, 201);
    assert.equal('expirationDateTime' in (res.body as { data: object }).data, false);
  });

  it('drops products the bank lacks; 422 when nothing functional is left', async () => {
    // The credit-operations group (loans, financings…): a product this bank does not offer.
    const loans = [...PERMISSION_GROUPS['Operações de Crédito']];
    const mixed = await create({ permissions: [...ACCOUNTS, ...loans], expirationDateTime: inDays(30) });
    assert.equal(mixed.status, 201);
    assert.deepEqual((mixed.body as { data: { permissions: string[] } }).data.permissions, ACCOUNTS);

    const none = await create({ permissions: loans, expirationDateTime: inDays(30) });
    assert.equal(none.status, 422);
    assert.equal(errorCode(none.body), 'SEM_PERMISSOES_FUNCIONAIS_RESTANTES');
  });

  it('422 on incomplete groups, PF+PJ together, PJ without businessEntity, bad expiry', async () => {
    const incomplete = await create({ permissions: ['ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'], expirationDateTime: inDays(30) });
    assert.equal(incomplete.status, 422);
    assert.equal(errorCode(incomplete.body), 'COMBINACAO_PERMISSOES_INCORRETA');

    const pfPj = await create({
      permissions: ['CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ', 'CUSTOMERS_BUSINESS_IDENTIFICATIONS_READ', 'RESOURCES_READ'],
      expirationDateTime: inDays(30),
    });
    assert.equal(pfPj.status, 422);
    assert.equal(errorCode(pfPj.body), 'PERMISSAO_PF_PJ_EM_CONJUNTO');

    const pj = await create({ permissions: ['CUSTOMERS_BUSINESS_IDENTIFICATIONS_READ', 'RESOURCES_READ'], expirationDateTime: inDays(30) });
    assert.equal(pj.status, 422);
    assert.equal(errorCode(pj.body), 'INFORMACOES_PJ_NAO_INFORMADAS');

    for (const expirationDateTime of [zulu(new Date(now - 1000)), inDays(400)]) {
      const bad = await create({ permissions: ACCOUNTS, expirationDateTime });
      assert.equal(bad.status, 422);
      assert.equal(errorCode(bad.body), 'DATA_EXPIRACAO_INVALIDA');
    }
  });

  it('400 on bodies the schema refuses (CPF pattern, unknown permission, fractional seconds)', async () => {
    const badCpf = await call('POST', '', {
      data: { loggedUser: { document: { identification: '123', rel: 'CPF' } }, permissions: ACCOUNTS },
    });
    assert.equal(badCpf.status, 400);
    const unknown = await create({ permissions: ['ACCOUNTS_READ', 'NOT_A_PERMISSION'] });
    assert.equal(unknown.status, 400);
    const millis = await create({ permissions: ACCOUNTS, expirationDateTime: new Date(now + 86_400_000).toISOString() });
    assert.equal(millis.status, 400);
    const empty = await create({ permissions: [] });
    assert.equal(empty.status, 400);
  });

  it('x-fapi-interaction-id missing → 400 with a generated one; no/foreign/wrong-scope token → 401/403', async () => {
    const res = await rp.fetch(`${bank.baseUrl}/open-banking/consents/v3/consents/urn:ofmockbank:x`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('x-fapi-interaction-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(specIssues('GET', '/consents/{consentId}', 400, await res.json()), []);

    assert.equal((await call('GET', '/urn:ofmockbank:x', undefined, 'garbage')).status, 401);
    // The same token presented with another client certificate is not the receiver's.
    const stranger = await bank.issueClientCertificate({ orgId: 'o2', softwareId: 's2' });
    const other = await createRelyingParty(bank, stranger);
    try {
      const foreign = await consentsApi(other, bank, 'GET', token, '/urn:ofmockbank:x');
      assert.equal(foreign.status, 401);
    } finally {
      await other.close();
    }
    const noScope = (await oidc.clientCredentialsGrant(rp.config, { scope: 'accounts' })).access_token;
    assert.equal((await call('GET', '/urn:ofmockbank:x', undefined, noScope)).status, 403);
    assert.equal((await call('GET', '/urn:ofmockbank:does-not-exist')).status, 404);
  });

  it('AUTHORISED, REJECTED and DELETE answers conform too', async () => {
    const created = await create({ permissions: ACCOUNTS, expirationDateTime: inDays(30) });
    const consentId = (created.body as { data: { consentId: string } }).data.consentId;
    const request = await pushAuthorizationRequest(rp, bank, consentId);
    const walk = await walkBankPages(bank, request.url, { cpf: CPF, decision: 'Autorizar' });
    assert.ok(walk.callback);
    const authorised = await call('GET', `/${consentId}`);
    assert.equal((authorised.body as { data: { status: string } }).data.status, 'AUTHORISED');

    bank.faults.revokeConsent(consentId);
    const rejected = await call('GET', `/${consentId}`);
    assert.deepEqual((rejected.body as { data: { rejection: unknown } }).data.rejection, {
      rejectedBy: 'USER',
      reason: { code: 'CUSTOMER_MANUALLY_REVOKED' },
    });
    assert.equal((await call('DELETE', `/${consentId}`)).status, 422);

    const awaiting = await create({ permissions: ACCOUNTS, expirationDateTime: inDays(30) });
    const awaitingId = (awaiting.body as { data: { consentId: string } }).data.consentId;
    assert.equal((await call('DELETE', `/${awaitingId}`)).status, 204);
    const afterDelete = await call('GET', `/${awaitingId}`);
    assert.deepEqual((afterDelete.body as { data: { rejection: unknown } }).data.rejection, {
      rejectedBy: 'TPP',
      reason: { code: 'CUSTOMER_MANUALLY_REJECTED' },
    });
  });
});
