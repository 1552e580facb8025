import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { client, type Client, type Response } from '../../test/helpers/harness.js';
import { assertError, createLink } from '../../test/helpers/links.js';
import { freshStore, STORES } from '../../test/helpers/stores.js';
import { loadConfig } from '../config.js';
import type { ConnectorState, ConsentConnector, ConsentRequest, InstitutionDefinition, LoginOutcome } from '../connectors/connector.js';
import { builtInConnectors } from '../connectors/registry.js';
import { InstitutionDownError, VinculoError } from '../errors.js';
import { createLogger } from '../logging.js';
import { createVinculo, type Vinculo } from '../server.js';
import * as links from '../store/queries/links.js';

/** The Open Finance consent flow of the Connect widget, against a fake ConsentConnector. */

const OFB_BANK: InstitutionDefinition = {
  id: 990_001,
  name: 'fakebank_br_retail',
  type: 'bank',
  display_name: 'Fake Bank',
  website: null,
  country_codes: ['BR'],
  primary_color: '#0b6e4f',
  logo: null,
  icon_logo: null,
  text_logo: null,
  form_fields: [],
  features: [],
  resources: ['ACCOUNTS', 'TRANSACTIONS', 'OWNERS', 'BALANCES'],
  integration_type: 'openbanking',
};

/** What the fake bank hands out; `secret-access-*` must never leave the vault. */
class FakeConsentConnector implements ConsentConnector {
  readonly institutions = [OFB_BANK];
  readonly started: ConsentRequest[] = [];
  readonly revoked: ConnectorState[] = [];
  /** The OAuth state of the latest start (a real bank sends it back in the redirect). */
  lastState = '';
  revokeFails = false;

  async startConsent(_def: InstitutionDefinition, request: ConsentRequest) {
    this.started.push(request);
    this.lastState = randomBytes(16).toString('hex');
    // PAR: the state is not in the URL, only in `pending`.
    return {
      authorizationUrl: 'https://bank.example/authorize?request_uri=urn%3Apar%3A1',
      state: this.lastState,
      pending: { state: this.lastState, consent: `urn:fake:${this.lastState}` },
    };
  }

  async finishConsent(_def: InstitutionDefinition, callback: Record<string, string>, pending: ConnectorState) {
    if (callback.error) throw new VinculoError('consent_rejected', 'The consent was not authorised at the institution');
    if (callback.state !== pending.state || callback.code !== 'good-code') throw new VinculoError('consent_failed', 'Bad callback');
    const consentId = String(pending.consent);
    return { state: { consentId, accessToken: `secret-access-${pending.state}` }, consentId, expiresAt: null };
  }

  async revoke(_def: InstitutionDefinition, state: ConnectorState) {
    if (this.revokeFails) throw new InstitutionDownError();
    this.revoked.push(state);
  }

  async login(): Promise<LoginOutcome> {
    return { kind: 'success', state: {} };
  }

  async answerChallenge(): Promise<LoginOutcome> {
    throw new Error('no MFA at this bank');
  }

  async extract() {
    return [];
  }
}

const CPF = '76109277673';
const OFDA_SCOPES = 'read_institutions,write_links,read_consents,write_consents,write_consent_callback,delete_consents';

for (const store of STORES) {
  describe(`widget: Open Finance consents [${store}]`, () => {
    const fake = new FakeConsentConnector();
    let vinculo: Vinculo;
    let tenant = 0;
    /** The server's log lines (JSON). */
    const logs: string[] = [];

    before(async () => {
      const sink = new Writable({
        write: (chunk, _enc, done) => {
          logs.push(String(chunk));
          done();
        },
      });
      vinculo = await createVinculo({
        config: loadConfig({ VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' }),
        logger: createLogger('debug', sink),
        store: await freshStore(store),
        workers: false,
        warn: () => undefined,
        connectors: [...builtInConnectors, fake],
      });
    });
    after(() => vinculo?.close());

    async function newClient(): Promise<Client> {
      const key = await vinculo.services.tenants.createKey({ tenant: `consent-${++tenant}` });
      return client(vinculo, key.tenant, key.id, key.password);
    }

    /** An OFDA token as Belvo documents it; `widget` and top-level fields override. */
    async function ofdaToken(c: Client, overrides: { widget?: Record<string, unknown>; [k: string]: unknown } = {}): Promise<string> {
      const { widget, ...rest } = overrides;
      const res = await c.request('POST', '/api/token/', {
        id: c.id,
        password: c.password,
        scopes: OFDA_SCOPES,
        stale_in: '300d',
        fetch_resources: ['ACCOUNTS', 'TRANSACTIONS'],
        widget: {
          openfinance_feature: 'consent_link_creation',
          callback_urls: { success: 'https://app.example/success', exit: 'https://app.example/exit' },
          consent: {
            terms_and_conditions_url: 'https://app.example/terms',
            permissions: ['REGISTER', 'ACCOUNTS'],
            identification_info: [{ type: 'CPF', number: CPF, name: 'Ralph Bragg' }],
          },
          ...widget,
        },
        ...rest,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.access;
    }

    async function call(method: string, url: string, body?: unknown, token?: string): Promise<Response> {
      const res = await vinculo.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      let parsed: any = res.body;
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        /* HTML or JS */
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    }

    const startConsent = (token: string, body: Record<string, unknown> = {}) =>
      call('POST', '/widget/api/consents/', { institution: OFB_BANK.name, months: 6, ...body }, token);
    const callback = (params: Record<string, string>) => call('POST', '/ofb/callback', { params });

    /** Starts a consent and returns the state the bank will send back. */
    async function started(token: string, body: Record<string, unknown> = {}): Promise<string> {
      const res = await startConsent(token, body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return fake.lastState;
    }

    const db = () => vinculo.store.db;
    const consentRows = (tenantId: string) =>
      sql<{ state_hash: string; ciphertext: string; options: Record<string, unknown> }>`select state_hash, ciphertext, options from consent_sessions where tenant_id = ${tenantId}`
        .execute(db())
        .then((r) => r.rows);
    const tenantOf = async (c: Client) => (await vinculo.services.tenants.authenticate(c.id, c.password))!.tenantId;

    // ---- POST /api/token/ ---------------------------------------------------------------------

    it("accepts Belvo's OFDA token options and gives the page the consent configuration", async () => {
      const c = await newClient();
      const token = await ofdaToken(c, { widget: { consent: { permissions: ['CREDIT_CARDS'], identification_info: [{ type: 'CPF', number: '761.092.776-73' }] } } });
      const info = await call('GET', '/widget/api/session/', undefined, token);
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.deepEqual(info.body.scopes, OFDA_SCOPES.split(','));
      assert.equal(info.body.widget.openfinance_feature, 'consent_link_creation');
      assert.deepEqual(info.body.widget.consent, { permissions: ['CREDIT_CARDS'], identification_info: [{ type: 'CPF', number: CPF }] });
      const institutions = await call('GET', '/widget/api/institutions/?country_codes=BR', undefined, token);
      assert.equal(institutions.body.results.find((i: { name: string }) => i.name === OFB_BANK.name)?.integration_type, 'openbanking');
    });

    it('refuses bad OFDA options with a 400 naming the field', async () => {
      const c = await newClient();
      const token = (widget: Record<string, unknown>) => c.request('POST', '/api/token/', { scopes: OFDA_SCOPES, widget });
      const consent = (value: Record<string, unknown>) => token({ openfinance_feature: 'consent_link_creation', consent: value });
      assertError(await token({ openfinance_feature: 'payments' }), 400, 'invalid', 'widget.openfinance_feature');
      assertError(await consent({ identification_info: [{ type: 'CPF', number: '76109277674' }] }), 400, 'invalid', 'widget.consent.identification_info.0.number');
      assertError(await consent({ identification_info: [{ type: 'CNPJ', number: CPF }] }), 400, 'invalid', 'widget.consent.identification_info.0.type');
      assertError(await consent({ identification_info: [] }), 400, 'invalid', 'widget.consent.identification_info');
      assertError(await consent({ permissions: ['ACCOUNTS', 'PAYMENTS'] }), 400, 'invalid', 'widget.consent.permissions');
      assertError(await consent({ permissions: [] }), 400, 'invalid', 'widget.consent.permissions');
      assertError(await consent({ terms_and_conditions_url: 'http://app.example/terms' }), 400, 'invalid', 'widget.consent.terms_and_conditions_url');
      assertError(await token({ consent: 'yes' }), 400, 'invalid', 'widget.consent');
      const wrong = await consent({ identification_info: [{ type: 'CPF', number: '76109277674' }] });
      assert.ok(!JSON.stringify(wrong.body).includes('76109277674'), 'the CPF is not echoed');
      assertError(await c.request('POST', '/api/token/', { scopes: 'read_institutions,write_consents,pay' }), 400, 'invalid', 'scopes');
      assertError(await c.request('POST', '/api/token/', { scopes: OFDA_SCOPES, stale_in: '2y' }), 400, 'invalid', 'stale_in');
    });

    // ---- the Links API ------------------------------------------------------------------------

    it('POST /api/links/ refuses an Open Finance institution: its links come from the Connect widget', async () => {
      const c = await newClient();
      const res = await c.request('POST', '/api/links/', { institution: OFB_BANK.name, username: CPF, password: 'x' });
      const error = assertError(res, 400, 'unsupported_operation');
      assert.match(error.message, /Connect widget/);
    });

    // ---- the consent flow -----------------------------------------------------------------------

    it('start → bank → callback: a valid link with the state sealed, audited and loaded like a registration', async () => {
      const c = await newClient();
      const tenantId = await tenantOf(c);
      const token = await ofdaToken(c);
      const start = await startConsent(token, { external_id: 'user-42' });
      assert.equal(start.status, 201, JSON.stringify(start.body));
      assert.deepEqual(start.body, { redirect_url: 'https://bank.example/authorize?request_uri=urn%3Apar%3A1' });
      assert.deepEqual(fake.started.at(-1), { document: CPF, name: 'Ralph Bragg', permissions: ['REGISTER', 'ACCOUNTS'], months: 6 });
      const state = fake.lastState;
      const [row] = await consentRows(tenantId);
      assert.notEqual(row.state_hash, state, 'a hash of the state is kept, not the state');
      assert.ok(!row.ciphertext.includes(state) && !JSON.stringify(row.options).includes(CPF), 'pending and the CPF are sealed');

      const page = await call('GET', '/ofb/callback');
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      assert.match(page.body, /<script src="\/ofb\/callback\.js"><\/script>/);
      const script = await call('GET', '/ofb/callback.js');
      assert.equal(script.status, 200);
      assert.match(String(script.headers['content-type']), /^text\/javascript/);

      const done = await callback({ code: 'good-code', id_token: 'eyJ.x.y', state });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.outcome, 'success');
      const linkId: string = done.body.link;
      assert.equal(done.body.redirect_url, `https://app.example/success?link=${linkId}&institution=${OFB_BANK.name}`);

      const link = await c.request('GET', `/api/links/${linkId}/`);
      assert.equal(link.status, 200);
      assert.equal(link.body.status, 'valid');
      assert.equal(link.body.access_mode, 'recurrent');
      assert.equal(link.body.refresh_rate, '7d');
      assert.equal(link.body.external_id, 'user-42');
      assert.equal(link.body.stale_in, '300d');
      assert.equal(link.body.credentials_storage, 'store');
      assert.deepEqual(link.body.fetch_resources, ['ACCOUNTS', 'TRANSACTIONS']);

      const linkRow = (await links.findLink(db(), tenantId, linkId))!;
      const sealed = await links.findCredentials(db(), linkId);
      assert.ok(sealed && !sealed.ciphertext.includes('secret-access'), 'the connector state is sealed');
      const consentId = `urn:fake:${state}`;
      assert.deepEqual(await vinculo.services.vault.openJson(sealed, `link-credentials:${linkId}`), {
        credentials: {},
        state: { consentId, accessToken: `secret-access-${state}` },
      });
      assert.equal(linkRow.institution, OFB_BANK.name);

      const audit = (await vinculo.services.audit.list({ tenantName: c.tenant, limit: 10 })).filter((r) => r.action === 'widget_connect');
      assert.deepEqual(audit.map((r) => [r.action, r.outcome, r.link_id]), [['widget_connect', 'success', linkId]]);
      const jobs = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${vinculo.services.queue.schema}.job`)} where name = 'historical-load' and data->>'linkId' = ${linkId}`.execute(db());
      assert.equal(jobs.rows[0].n, 1, 'the first load is queued');

      // The connection ended the widget session, and the callback works once.
      assertError(await call('GET', '/widget/api/session/', undefined, token), 401, 'authentication_failed');
      assertError(await callback({ code: 'good-code', id_token: 'eyJ.x.y', state }), 400, 'invalid', 'state');
      assert.equal((await consentRows(tenantId)).length, 0);
    });

    it('a rejection at the bank goes to callback_urls.exit with last_encountered_error; no link', async () => {
      const c = await newClient();
      const token = await ofdaToken(c);
      const state = await started(token);
      const res = await callback({ error: 'access_denied', state });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'exit');
      const url = new URL(res.body.redirect_url);
      assert.equal(`${url.origin}${url.pathname}`, 'https://app.example/exit');
      assert.deepEqual(JSON.parse(url.searchParams.get('last_encountered_error')!), {
        code: 'consent_rejected',
        message: 'The consent was not authorised at the institution',
      });
      assert.equal(url.searchParams.get('institution'), OFB_BANK.name);
      assert.equal((await c.request('GET', '/api/links/')).body.count, 0);
      const audit = (await vinculo.services.audit.list({ tenantName: c.tenant, limit: 10 })).filter((r) => r.action === 'widget_connect');
      assert.deepEqual(audit.map((r) => [r.action, r.outcome]), [['widget_connect', 'consent_rejected']]);
      // The widget session goes on: the user may try again.
      assert.equal((await call('GET', '/widget/api/session/', undefined, token)).status, 200);
      assertError(await callback({ code: 'good-code', state }), 400, 'invalid', 'state');
    });

    it('a consent session that expired is refused (exit session_expired), and an unknown state is a 400', async () => {
      const c = await newClient();
      const token = await ofdaToken(c);
      const state = await started(token);
      await sql`update consent_sessions set expires_at = now() - interval '1 second' where tenant_id = ${await tenantOf(c)}`.execute(db());
      const res = await callback({ code: 'good-code', state });
      assert.equal(res.status, 200);
      assert.equal(res.body.outcome, 'exit');
      assert.equal(JSON.parse(new URL(res.body.redirect_url).searchParams.get('last_encountered_error')!).code, 'session_expired');
      assert.equal((await c.request('GET', '/api/links/')).body.count, 0);
      assertError(await callback({ code: 'good-code', state: 'never-issued-state' }), 400, 'invalid', 'state');
      assertError(await callback({ code: 'good-code' }), 400, 'invalid', 'state');
      assertError(await call('POST', '/ofb/callback', { params: { state: 1 } }), 400, 'invalid');
    });

    it('without callback URLs the browser goes back to the hosted widget page with the result', async () => {
      const c = await newClient();
      const token = await ofdaToken(c, { widget: { callback_urls: null } });
      const ok = await callback({ code: 'good-code', state: await started(token) });
      assert.equal(ok.body.redirect_url, `/widget/#consent=success&link=${ok.body.link}&institution=${OFB_BANK.name}`);
      const other = await ofdaToken(c, { widget: { callback_urls: null } });
      const no = await callback({ error: 'access_denied', state: await started(other) });
      assert.equal(no.body.redirect_url, `/widget/#consent=error&code=consent_rejected&institution=${OFB_BANK.name}`);
    });

    it('a single link, when the page asks for one', async () => {
      const c = await newClient();
      const token = await ofdaToken(c);
      const res = await callback({ code: 'good-code', state: await started(token, { access_mode: 'single' }) });
      const link = await c.request('GET', `/api/links/${res.body.link}/`);
      assert.equal(link.body.access_mode, 'single');
      assert.equal(link.body.refresh_rate, null);
    });

    it('checks the scopes, the feature, the CPF and the permissions before going to the bank', async () => {
      const c = await newClient();
      const calls = fake.started.length;
      const noConsentScope = await ofdaToken(c, { scopes: 'read_institutions,write_links' });
      assertError(await startConsent(noConsentScope), 403, 'permission_denied');
      const noFeature = await ofdaToken(c, { widget: { openfinance_feature: null } });
      assertError(await startConsent(noFeature), 403, 'permission_denied');
      const withCpf = await ofdaToken(c);
      assertError(await startConsent(withCpf, { document: '52998224725' }), 400, 'invalid', 'document');
      assertError(await startConsent(withCpf, { permissions: ['CREDIT_CARDS'] }), 400, 'invalid', 'permissions');
      assertError(await startConsent(withCpf, { months: 5 }), 400, 'invalid');
      assertError(await startConsent(withCpf, { institution: 'erebor_mx_retail' }), 400, 'unsupported_operation');
      assertError(await startConsent(withCpf, { institution: 'nobank_br_retail' }), 400, 'does_not_exist', 'institution');
      const noCpf = await ofdaToken(c, { widget: { consent: { permissions: ['ACCOUNTS'] } } });
      assertError(await startConsent(noCpf), 400, 'required', 'document');
      assertError(await startConsent(noCpf, { document: '111.111.111-11' }), 400, 'invalid', 'document');
      assert.equal(fake.started.length, calls, 'the bank was never asked');
      assert.equal((await startConsent(noCpf, { document: '529.982.247-25', permissions: ['ACCOUNTS'] })).status, 201);
      assert.deepEqual(fake.started.at(-1), { document: '52998224725', name: undefined, permissions: ['ACCOUNTS'], months: 6 });
    });

    // ---- DELETE -----------------------------------------------------------------------------------

    it('DELETE /api/links/{id}/ revokes the consent at the bank, and deletes the link even when that fails', async () => {
      const c = await newClient();
      const first = await callback({ code: 'good-code', state: await started(await ofdaToken(c)) });
      const state = fake.lastState;
      assert.equal((await c.request('DELETE', `/api/links/${first.body.link}/`)).status, 204);
      assert.deepEqual(fake.revoked.at(-1), { consentId: `urn:fake:${state}`, accessToken: `secret-access-${state}` });
      assert.equal((await c.request('GET', `/api/links/${first.body.link}/`)).status, 404);

      const second = await callback({ code: 'good-code', state: await started(await ofdaToken(c)) });
      const revocations = fake.revoked.length;
      fake.revokeFails = true;
      try {
        assert.equal((await c.request('DELETE', `/api/links/${second.body.link}/`)).status, 204);
        // The server's logger hears it (level warn), with the link and the error code only.
        const warning = logs.find((l) => /could not be revoked/.test(l) && l.includes(String(second.body.link)));
        assert.ok(warning, 'a warning for the link');
        assert.equal(JSON.parse(warning).level, 40);
        assert.match(warning, /institution_down/);
        assert.ok(!warning.includes('secret-access'), 'no secret in the warning');
      } finally {
        fake.revokeFails = false;
      }
      assert.equal(fake.revoked.length, revocations);
      assert.equal((await c.request('GET', `/api/links/${second.body.link}/`)).status, 404);

      // Links of login-form institutions are deleted as before, with no revocation.
      const plain = await createLink(c, 'consent_plain_user');
      assert.equal((await c.request('DELETE', `/api/links/${plain}/`)).status, 204);
      assert.equal(fake.revoked.length, revocations);
    });
  });
}
