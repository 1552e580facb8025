import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeStores, client, type Client } from '../../../test/helpers/harness.js';
import { assertError } from '../../../test/helpers/links.js';
import { freshStore, STORES } from '../../../test/helpers/stores.js';
import { loadConfig } from '../../config.js';
import { ANY_PASSWORDS, ANY_USERNAMES } from '../../connectors/connector.contract.js';
import type { Connector, FormField, InstitutionDefinition, LoginRequest } from '../../connectors/connector.js';
import { SANDBOX_DEFAULTS, defineInstitution, passwordField } from '../../connectors/sandbox/sandbox-forms.js';
import { createVinculo, type Vinculo } from '../../server.js';

/**
 * Belvo's sandbox rule over HTTP, at every institution of the catalogue: any username and password
 * make a link, the reserved usernames (`mfa…`, `expire_password…`, `expire_token…`, `timeout…`)
 * behave as documented everywhere, and the `validation` regexes the catalogue publishes (what
 * the Connect widget checks in the browser) accept exactly what the server accepts.
 *
 * And the mechanism the sandbox no longer needs: a connector that declares a strict form gets
 * credentials that do not match it refused by the server, before it is called.
 */

const TOKEN = '123456';
/** docs/connectors.md: these institutions challenge every login, whoever logs in. */
const EVERY_LOGIN = new Set(['gotham_mx_business', 'heimdall_mx_retail']);
/** Resources a link can retrieve with nothing but its id, by path. */
const LINK_ONLY: Record<string, string> = {
  ACCOUNTS: 'accounts',
  OWNERS: 'owners',
  TAX_STATUS: 'tax-status',
  TAX_COMPLIANCE_STATUS: 'tax-compliance-status',
  EMPLOYMENT_RECORDS: 'employment-records',
};
/** Non-empty values the server refuses: line breaks (as `.` in the published `^.{1,}$` does). */
const LINE_BREAKS = ['line\nbreak', 'carriage\rreturn', 'trailing\n', 'separator\u2028here'];

/** The rules a username must pass at an institution: the username field's, and each select value's. */
function usernameRules(inst: InstitutionDefinition): RegExp[] {
  return inst.form_fields.flatMap((f) => [
    ...(f.name === 'username' ? [new RegExp(f.validation)] : []),
    ...(f.values ?? []).map((v) => new RegExp(v.validation)),
  ]);
}

function passwordRule(inst: InstitutionDefinition): RegExp | null {
  const field = inst.form_fields.find((f) => f.name === 'password');
  return field ? new RegExp(field.validation) : null;
}

describeStores('links: any username and password at every sandbox institution', (h) => {
  let catalogue: InstitutionDefinition[] = [];
  /** Every username and password this suite registered with, per institution, for the regex check at the end. */
  const used = new Map<string, { usernames: Set<string>; passwords: Set<string> }>();

  before(async () => {
    const c = await h().newClient();
    const res = await c.request('GET', '/api/institutions/?page_size=1000');
    assert.equal(res.status, 200);
    // The credential institutions: an Open Finance one (ofmockbank_br_retail) has no login form;
    // its links come from a consent (test/ofb.test.ts), and POST /api/links/ refuses it.
    catalogue = res.body.results.filter((i: InstitutionDefinition) => i.integration_type === 'credentials');
    assert.ok(catalogue.length >= 8, `${catalogue.length} institutions`);
    assert.ok(res.body.results.some((i: InstitutionDefinition) => i.integration_type === 'openbanking'));
  });

  /** The register body for an institution: the first code of each select, a password if the form has one. */
  function body(inst: InstitutionDefinition, username: string, password = 'pass_valid', extra: Record<string, unknown> = {}) {
    const out: Record<string, unknown> = { institution: inst.name, username, ...extra };
    for (const f of inst.form_fields) {
      if (f.name === 'password') out.password = password;
      else if (f.values?.length) out[f.name] = f.values[0].code;
    }
    const seen = used.get(inst.name) ?? { usernames: new Set(), passwords: new Set() };
    seen.usernames.add(username);
    if ('password' in out) seen.passwords.add(password);
    used.set(inst.name, seen);
    return out;
  }

  /** Answers a 428 as the end user would (the sandbox token, or nothing for a QR) and expects a valid link. */
  async function resume(c: Client, challenge: any, what: string): Promise<any> {
    const [err] = challenge.body;
    assert.equal(err.code, 'token_required', what);
    const token = err.token_generation_data.expects_user_input ? TOKEN : undefined;
    const res = await c.request('PATCH', '/api/links/', { session: err.session, link: err.link, ...(token ? { token } : {}) });
    assert.equal(res.status, 200, `${what}: resume ${JSON.stringify(res.body)}`);
    assert.equal(res.body.status, 'valid', what);
    return res.body;
  }

  /** A request that logs in: 2xx directly, or 428 and resumed at an institution that challenges every login. */
  async function loggedIn(c: Client, inst: InstitutionDefinition, res: any, what: string): Promise<any> {
    if (EVERY_LOGIN.has(inst.name)) {
      assertError(res, 428, 'token_required');
      return resume(c, res, what);
    }
    assert.ok(res.status === 200 || res.status === 201, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.status, 'valid', what);
    return res.body;
  }

  /** Retrieves the institution's first link-only resource (not stored), answering a challenge when one comes. */
  async function retrieve(c: Client, inst: InstitutionDefinition, link: string): Promise<any> {
    const path = LINK_ONLY[inst.resources.find((r) => LINK_ONLY[r])!];
    let res = await c.request('POST', `/api/${path}/`, { link, save_data: false });
    if (EVERY_LOGIN.has(inst.name)) {
      assertError(res, 428, 'token_required');
      const [err] = res.body;
      const token = err.token_generation_data.expects_user_input ? TOKEN : undefined;
      res = await c.request('PATCH', `/api/${path}/`, { session: err.session, link, save_data: false, ...(token ? { token } : {}) });
    }
    assert.equal(res.status, 200, `${inst.name} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  it('registers a link with any username and password, and retrieves its data', async () => {
    for (const inst of catalogue) {
      const c = await h().newClient();
      for (const username of [...ANY_USERNAMES, '  ']) {
        const what = `${inst.name} ${JSON.stringify(username)}`;
        const link = await loggedIn(c, inst, await c.request('POST', '/api/links/', body(inst, username)), what);
        assert.equal(link.institution, inst.name);
      }
      if (passwordRule(inst)) {
        for (const password of ANY_PASSWORDS) {
          await loggedIn(c, inst, await c.request('POST', '/api/links/', body(inst, 'user_valid', password)), `${inst.name} password ${JSON.stringify(password)}`);
        }
        assertError(await c.request('POST', '/api/links/', body(inst, 'user_valid', 'wrong')), 400, 'login_error');
      }
      // The data behind a username shaped like no document (no RFC, no CURP, no CPF).
      const link = await loggedIn(c, inst, await c.request('POST', '/api/links/', body(inst, 'José Ñúñez 名前 😀', 'pass_valid', { access_mode: 'single' })), inst.name);
      const data = await retrieve(c, inst, link.id);
      assert.ok(Array.isArray(data) ? data.length > 0 : data !== null && typeof data === 'object', `${inst.name}: ${JSON.stringify(data)}`);
    }
  });

  it('mfa…: 428 token_required at registration at every institution, resumed with the sandbox token; or the token up front', async () => {
    for (const inst of catalogue) {
      const c = await h().newClient();
      const what = `${inst.name} mfa_user`;
      const res = await c.request('POST', '/api/links/', body(inst, 'mfa_user'));
      assertError(res, 428, 'token_required');
      assert.match(res.body[0].session, /^[a-f0-9]{32}$/);
      assert.equal((await c.request('GET', `/api/links/${res.body[0].link}/`)).body.status, 'unconfirmed', what);
      if (res.body[0].token_generation_data.expects_user_input) {
        assertError(await c.request('PATCH', '/api/links/', { session: res.body[0].session, link: res.body[0].link, token: '000000' }), 400, 'login_error');
      }
      await resume(c, res, what);
      const upFront = await c.request('POST', '/api/links/', body(inst, 'MFA_other', 'pass_valid', { token: TOKEN }));
      assert.equal(upFront.status, 201, `${what}, token up front: ${JSON.stringify(upFront.body)}`);
      assert.equal(upFront.body.status, 'valid');
    }
  });

  it('expire_password…: the first password works once, then login_error; a new one repairs the link', async () => {
    for (const inst of catalogue) {
      const c = await h().newClient();
      const what = `${inst.name} expire_password_user`;
      const link = await loggedIn(c, inst, await c.request('POST', '/api/links/', body(inst, 'expire_password_user', 'p1')), what);
      if (!passwordRule(inst)) {
        // No password at this institution: nothing can expire, later logins keep working.
        const again = await c.request('PUT', `/api/links/${link.id}/`, { token: TOKEN });
        assert.equal(again.status, 200, `${what}: ${JSON.stringify(again.body)}`);
        continue;
      }
      assertError(await c.request('PUT', `/api/links/${link.id}/`, { password: 'p1' }), 400, 'login_error');
      await loggedIn(c, inst, await c.request('PUT', `/api/links/${link.id}/`, { password: 'p2' }), `${what}, new password`);
      await loggedIn(c, inst, await c.request('PUT', `/api/links/${link.id}/`, { password: 'p2' }), `${what}, new password again`);
    }
  });

  it('expire_token…: the first login works, every later one asks for a token; the token repairs the link', async () => {
    for (const inst of catalogue) {
      const c = await h().newClient();
      const what = `${inst.name} expire_token_user`;
      const link = await loggedIn(c, inst, await c.request('POST', '/api/links/', body(inst, 'expire_token_user')), what);
      // A later login: new credentials (PUT), or, where the form has no password, a retrieval.
      const later = () =>
        passwordRule(inst)
          ? c.request('PUT', `/api/links/${link.id}/`, { password: 'pass_valid' })
          : c.request('POST', `/api/${LINK_ONLY[inst.resources.find((r) => LINK_ONLY[r])!]}/`, { link: link.id, save_data: false });
      const challenged = await later();
      assertError(challenged, 428, 'token_required');
      // A PUT's challenge is answered on PATCH /api/links/; the token is for this login only.
      if (passwordRule(inst)) await resume(c, challenged, `${what}, later login`);
      assertError(await later(), 428, 'token_required');
      const upFront = await c.request('PUT', `/api/links/${link.id}/`, { token: TOKEN });
      assert.equal(upFront.status, 200, `${what}: ${JSON.stringify(upFront.body)}`);
      assert.equal(upFront.body.status, 'valid');
    }
  });

  it('timeout…: 408 request_timeout at every institution, before any challenge', async () => {
    for (const inst of catalogue) {
      const c = await h().newClient();
      assertError(await c.request('POST', '/api/links/', body(inst, 'timeout_user')), 408, 'request_timeout');
      assertError(await c.request('POST', '/api/links/', body(inst, 'Timeout 2', 'pass_valid', { token: TOKEN })), 408, 'request_timeout');
      assert.equal((await c.request('GET', '/api/links/')).body.count, 0, inst.name);
    }
  });

  it('refuses a line break in a username or password with 400 invalid, as the published regex does', async () => {
    for (const inst of catalogue) {
      const c = await h().newClient();
      for (const value of LINE_BREAKS) {
        for (const rule of usernameRules(inst)) assert.ok(!rule.test(value), `${inst.name}: ${rule} refuses ${JSON.stringify(value)}`);
        const res = await c.request('POST', '/api/links/', { ...body(inst, 'user_valid'), username: value });
        assertError(res, 400, 'invalid', 'username');
        const rule = passwordRule(inst);
        if (rule) {
          assert.ok(!rule.test(value));
          assertError(await c.request('POST', '/api/links/', { ...body(inst, 'user_valid'), password: value }), 400, 'invalid', 'password');
        }
      }
      assert.equal((await c.request('GET', '/api/links/')).body.count, 0, inst.name);
    }
  });

  it('publishes regexes (checked by the widget in the browser) that accept every username and password the server took above', () => {
    for (const inst of catalogue) {
      const seen = used.get(inst.name);
      assert.ok(seen && seen.usernames.size >= ANY_USERNAMES.length, `${inst.name} was exercised`);
      for (const username of seen.usernames) {
        for (const rule of usernameRules(inst)) assert.ok(rule.test(username), `${inst.name}: ${rule} accepts ${JSON.stringify(username)}`);
      }
      const rule = passwordRule(inst);
      for (const password of seen.passwords) assert.ok(rule!.test(password), `${inst.name}: ${rule} accepts ${JSON.stringify(password)}`);
    }
  });
});

/** A connector of this test's own whose institution declares a strict form: a 4-digit PIN. */
function strictConnector(): Connector & { logins: LoginRequest[] } {
  const pin: FormField = {
    name: 'username',
    type: 'text',
    label: 'PIN',
    validation: '^[0-9]{4}$',
    placeholder: '1234',
    validation_message: 'The PIN has 4 digits',
  };
  const institution = defineInstitution({
    ...SANDBOX_DEFAULTS,
    id: 9901,
    name: 'strictbank_mx_retail',
    type: 'bank',
    display_name: 'Strict Bank',
    website: null,
    primary_color: '#000000',
    country_codes: ['MX'],
    resources: ['ACCOUNTS'],
    form_fields: [pin, passwordField('Password', 'Your password', 'Type your password')],
  });
  const logins: LoginRequest[] = [];
  return {
    institutions: [institution],
    logins,
    login: async (request) => {
      logins.push(request);
      return { kind: 'success', state: {} };
    },
    answerChallenge: async () => ({ kind: 'success', state: {} }),
  };
}

for (const store of STORES) {
  describe(`links: a connector's strict form is checked by the server [${store}]`, () => {
    let vinculo: Vinculo;
    let c: Client;
    const connector = strictConnector();

    before(async () => {
      // createVinculo takes the connectors to serve (the catalogue is built from them); the shared harness serves the built-in ones.
      const config = loadConfig({ VINCULO_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' });
      vinculo = await createVinculo({ config, store: await freshStore(store), workers: false, connectors: [connector] });
      const key = await vinculo.services.tenants.createKey({ tenant: 'strict-form' });
      c = client(vinculo, key.tenant, key.id, key.password);
    });
    after(() => vinculo?.close());

    it('publishes the form, refuses a username that does not match it with 400 invalid on username, and accepts one that does', async () => {
      const listed = await c.request('GET', '/api/institutions/');
      assert.deepEqual(listed.body.results.map((i: InstitutionDefinition) => i.name), ['strictbank_mx_retail']);
      assert.equal(listed.body.results[0].form_fields[0].validation, '^[0-9]{4}$');

      for (const username of ['user_valid', '123', '12345', 'mfa_user', '12a4']) {
        const res = await c.request('POST', '/api/links/', { institution: 'strictbank_mx_retail', username, password: 'pass_valid' });
        const err = assertError(res, 400, 'invalid', 'username');
        assert.equal(res.body.length, 1, JSON.stringify(res.body));
        assert.equal(err.message, 'The PIN has 4 digits');
        assert.ok(!JSON.stringify(res.body).includes(username), 'the value is never echoed');
      }
      assert.equal(connector.logins.length, 0, 'the connector never saw credentials its form refuses');
      assert.equal((await c.request('GET', '/api/links/')).body.count, 0);

      const ok = await c.request('POST', '/api/links/', { institution: 'strictbank_mx_retail', username: '0042', password: 'pass_valid' });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.status, 'valid');
      assert.deepEqual(connector.logins.map((l) => l.credentials.username), ['0042']);
    });
  });
}
