import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describeStores, type Client, type Response } from '../../test/helpers/harness.js';
import { assertError, createLink, linkStatus } from '../../test/helpers/links.js';

/** POST /api/token/ and the widget's Bearer API, on both stores. */

describeStores('widget: tokens and the widget API', (h) => {
  const basic = (id: string, password: string) => `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`;

  /** A token pair as `widgetToken.create` asks for it: key pair in the body and Basic auth. */
  async function tokens(c: Client, body: Record<string, unknown> = {}): Promise<{ access: string; refresh: string }> {
    const res = await c.request('POST', '/api/token/', { id: c.id, password: c.password, scopes: 'read_institutions,write_links,read_links', ...body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  /** A widget API call with a Bearer token. */
  async function widget(token: string, method: string, url: string, body?: unknown): Promise<Response> {
    const res = await h().vinculo.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers };
  }

  async function principal(c: Client) {
    return (await h().vinculo.services.tenants.authenticate(c.id, c.password))!;
  }

  const register = (token: string, username: string, extra: Record<string, unknown> = {}) =>
    widget(token, 'POST', '/widget/api/links/', { institution: 'erebor_mx_retail', username, password: 'pass_valid', ...extra });

  // ---- issuing ---------------------------------------------------------------------------------

  it('answers {access, refresh}: HS256 JWTs valid 10 minutes, bound to the tenant, with the scopes', async () => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/token/', { id: c.id, password: c.password, scopes: 'read_institutions,write_links' });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['access', 'refresh']);
    for (const [use, token] of Object.entries(res.body as Record<string, string>)) {
      const header = decodeProtectedHeader(token);
      assert.equal(header.alg, 'HS256');
      assert.equal(header.kid, h().vinculo.services.vault.currentKeyId, 'signed with a subkey of the current master key');
      const claims = decodeJwt(token);
      assert.equal(claims.exp! - claims.iat!, 600);
      assert.equal(claims.use, use);
      assert.equal(claims.scopes, 'read_institutions,write_links');
      assert.equal(claims.tenant, (await principal(c)).tenantId);
      assert.equal(claims.link, null);
    }
    assert.notEqual(decodeJwt(res.body.access).jti, decodeJwt(res.body.refresh).jti);
  });

  it('takes the key pair in the body or as Basic auth (links.token sends only {link_id, scopes})', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'token_basic');
    const viaBasic = await c.request('POST', '/api/token/', { link_id: link, scopes: 'read_institutions,write_links' });
    assert.equal(viaBasic.status, 200);
    assert.equal(decodeJwt(viaBasic.body.access).link, link);
    const bodyOnly = await h().vinculo.app.inject({
      method: 'POST',
      url: '/api/token/',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ id: c.id, password: c.password }),
    });
    assert.equal(bodyOnly.statusCode, 200);
    assert.equal(decodeJwt(bodyOnly.json().access).scopes, 'read_institutions,write_links', "the SDK's default scopes");
  });

  it('refuses missing or wrong keys with 401 (before looking at the body)', async () => {
    const c = await h().newClient();
    const attempts: { headers: Record<string, string>; body: unknown }[] = [
      { headers: {}, body: { scopes: 'read_institutions' } },
      { headers: {}, body: { id: c.id, password: 'nope' } },
      { headers: { authorization: basic(c.id, 'nope') }, body: { scopes: 'read_institutions' } },
      // The body's pair is the one checked when it is there.
      { headers: { authorization: c.authorization }, body: { id: c.id, password: 'nope' } },
      { headers: {}, body: { id: c.id, password: 'nope', scopes: 42 } },
    ];
    for (const { headers, body } of attempts) {
      const res = await h().vinculo.app.inject({
        method: 'POST',
        url: '/api/token/',
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      });
      assertError({ status: res.statusCode, body: res.json() }, 401, 'authentication_failed');
    }
    assert.equal((await c.request('GET', '/api/token/')).status, 405);
  });

  it('validates scopes, link_id and the widget configuration', async () => {
    const a = await h().newClient();
    const b = await h().newClient();
    assertError(await a.request('POST', '/api/token/', { scopes: 'read_institutions,pay_everything' }), 400, 'invalid', 'scopes');
    assertError(await a.request('POST', '/api/token/', { scopes: ' , ' }), 400, 'invalid', 'scopes');
    const other = await createLink(b, 'someone_else');
    for (const linkId of [other, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      assertError(await a.request('POST', '/api/token/', { link_id: linkId }), 400, 'does_not_exist', 'link_id');
    }
    const badWidget = await a.request('POST', '/api/token/', {
      widget: {
        callback_urls: { success: 'javascript:alert(1)', exit: 'not a url', event: 'myapp://event' },
        branding: { company_logo: 'ftp://x/logo.png', overlay_background_color: 'red; background:url(x)' },
        theme: [{ css_key: '--primary-color', value: 'url(evil)' }, { css_key: 'position', value: 'red' }],
      },
    });
    assertError(badWidget, 400, 'invalid', 'widget.callback_urls.success');
    assertError(badWidget, 400, 'invalid', 'widget.callback_urls.exit');
    assertError(badWidget, 400, 'invalid', 'widget.branding.company_logo');
    assertError(badWidget, 400, 'invalid', 'widget.branding.overlay_background_color');
    assertError(badWidget, 400, 'invalid', 'widget.theme.0.value');
    assertError(badWidget, 400, 'invalid', 'widget.theme.1.css_key');
    assert.ok(!badWidget.body.some((e: { field: string }) => e.field === 'widget.callback_urls.event'), 'deep links are fine');
  });

  it('stores the widget configuration and hands the widget what it applies', async () => {
    const c = await h().newClient();
    const config = {
      callback_urls: { success: 'myapp://success', exit: 'https://acme.example/exit?from=widget', event: 'myapp://event' },
      branding: { company_name: 'ACME', company_logo: 'https://acme.example/logo.svg', company_terms_url: 'https://acme.example/terms', social_proof: true },
      theme: [{ css_key: '--primary-color', value: '#ff5500' }],
      consent: { anything: 'opaque is kept' },
    };
    const { access } = await tokens(c, { widget: config });
    const info = await widget(access, 'GET', '/widget/api/session/');
    assert.equal(info.status, 200);
    assert.equal(info.body.mode, 'connect');
    assert.deepEqual(info.body.scopes, ['read_institutions', 'write_links', 'read_links']);
    assert.deepEqual(info.body.widget, {
      branding: { company_name: 'ACME', company_logo: 'https://acme.example/logo.svg', company_terms_url: 'https://acme.example/terms', social_proof: true },
      callback_urls: config.callback_urls,
      theme: config.theme,
    });
    assert.equal(info.body.link, null);
    const row = await h().vinculo.store.db.selectFrom('widget_sessions').select('widget').where('id', '=', decodeJwt(access).sid as string).executeTakeFirstOrThrow();
    assert.deepEqual(row.widget, config, 'stored whole');
  });

  // ---- using the tokens -----------------------------------------------------------------------

  it('the widget API takes only a valid access token; the Basic-auth API takes no token', async () => {
    const c = await h().newClient();
    const { access, refresh } = await tokens(c);
    const [header, payload, signature] = access.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(access), scopes: 'read_links' })).toString('base64url')}.${signature}`;
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const authorization of [undefined, c.authorization, `Bearer ${refresh}`, `Bearer ${forged}`, `Bearer ${flipped}`, 'Bearer x.y.z', `Token ${access}`]) {
      const res = await h().vinculo.app.inject({ method: 'GET', url: '/widget/api/session/', headers: authorization ? { authorization } : {} });
      assertError({ status: res.statusCode, body: res.json() }, 401, 'authentication_failed');
    }
    assert.equal((await widget(access, 'GET', '/widget/api/session/')).status, 200);
    // The normal API is unchanged: Basic only.
    assertError(await widget(access, 'GET', '/api/links/'), 401, 'authentication_failed');
    assert.equal((await c.request('GET', '/api/links/')).status, 200);
  });

  it('enforces each scope on the widget calls', async () => {
    const c = await h().newClient();
    const noInstitutions = (await tokens(c, { scopes: 'write_links' })).access;
    assertError(await widget(noInstitutions, 'GET', '/widget/api/institutions/'), 403, 'permission_denied');
    const readOnly = (await tokens(c, { scopes: 'read_institutions' })).access;
    assert.equal((await widget(readOnly, 'GET', '/widget/api/institutions/')).status, 200);
    assertError(await register(readOnly, 'no_write'), 403, 'permission_denied');
    assert.equal((await c.request('GET', '/api/links/')).body.count, 0, 'nothing was created');
    const noRead = (await tokens(c, { scopes: 'read_institutions,write_links' })).access;
    const pending = (await register(noRead, 'mfa_no_read')).body[0];
    assertError(await widget(noRead, 'GET', `/widget/api/links/${pending.link}/`), 403, 'permission_denied');
  });

  it('read_links sees only the links its own token created or is bound to', async () => {
    const c = await h().newClient();
    const mine = (await tokens(c)).access;
    const pending = await register(mine, 'mfa_reader');
    assert.equal(pending.status, 428);
    const linkId = pending.body[0].link;
    const read = await widget(mine, 'GET', `/widget/api/links/${linkId}/`);
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'unconfirmed');
    const someoneElses = await createLink(c, 'api_made');
    assertError(await widget(mine, 'GET', `/widget/api/links/${someoneElses}/`), 403, 'permission_denied');
    const otherToken = (await tokens(c)).access;
    assertError(await widget(otherToken, 'GET', `/widget/api/links/${linkId}/`), 403, 'permission_denied');
    assertError(await widget(otherToken, 'PATCH', '/widget/api/links/', { session: pending.body[0].session, link: linkId, token: '123456' }), 403, 'permission_denied');
    const bound = (await tokens(c, { link_id: someoneElses })).access;
    assert.equal((await widget(bound, 'GET', `/widget/api/links/${someoneElses}/`)).status, 200);
  });

  it('an expired access or refresh token is refused', async () => {
    const c = await h().newClient();
    const old = await h().vinculo.services.widget.issue(await principal(c), { scopes: 'read_institutions,write_links' }, Date.now() - 11 * 60_000);
    const res = await widget(old.access, 'GET', '/widget/api/institutions/');
    assert.equal(assertError(res, 401, 'authentication_failed').message, 'The access token has expired');
    const refreshed = await c.request('POST', '/api/token/refresh/', { refresh: old.refresh });
    assert.equal(assertError(refreshed, 401, 'authentication_failed').message, 'The refresh token has expired');
    // Still within 10 minutes: fine.
    const recent = await h().vinculo.services.widget.issue(await principal(c), {}, Date.now() - 9 * 60_000);
    assert.equal((await widget(recent.access, 'GET', '/widget/api/institutions/')).status, 200);
  });

  it('refresh exchanges the refresh token for a new pair, once; a replayed refresh token ends the session', async () => {
    const c = await h().newClient();
    const first = await tokens(c);
    const res = await c.request('POST', '/api/token/refresh/', { refresh: first.refresh });
    assert.equal(res.status, 200);
    const second = res.body as { access: string; refresh: string };
    assert.equal(decodeJwt(second.access).sid, decodeJwt(first.access).sid, 'same widget session');
    assert.equal(decodeJwt(second.access).scopes, decodeJwt(first.access).scopes);
    assert.equal((await widget(second.access, 'GET', '/widget/api/session/')).status, 200);
    assertError(await c.request('POST', '/api/token/refresh/', { refresh: second.access }), 401, 'authentication_failed');
    // Replaying the first refresh token: refused, and the whole session ends.
    assertError(await c.request('POST', '/api/token/refresh/', { refresh: first.refresh }), 401, 'authentication_failed');
    assertError(await widget(second.access, 'GET', '/widget/api/session/'), 401, 'authentication_failed');
    assertError(await c.request('POST', '/api/token/refresh/', { refresh: second.refresh }), 401, 'authentication_failed');
    assertError(await c.request('POST', '/api/token/refresh/', {}), 400, 'required', 'refresh');
  });

  it('a token stops working once its connection succeeds (access and refresh)', async () => {
    const c = await h().newClient();
    const pair = await tokens(c);
    const link = await register(pair.access, 'one_shot', { external_id: 'ext-widget', access_mode: 'single' });
    assert.equal(link.status, 201);
    assert.equal(link.body.external_id, 'ext-widget');
    assert.equal(link.body.access_mode, 'single');
    const again = await register(pair.access, 'second_try');
    assert.equal(assertError(again, 401, 'authentication_failed').message, 'This token was already used to connect an account');
    assertError(await widget(pair.access, 'GET', '/widget/api/session/'), 401, 'authentication_failed');
    assertError(await c.request('POST', '/api/token/refresh/', { refresh: pair.refresh }), 401, 'authentication_failed');
    assert.equal((await c.request('GET', '/api/links/')).body.count, 1);
  });

  it('one token connects one link, even when two submissions race', async () => {
    const c = await h().newClient();
    const pair = await tokens(c);
    const [a, b] = await Promise.all([register(pair.access, 'racer_one'), register(pair.access, 'racer_two')]);
    const statuses = [a.status, b.status].sort();
    assert.equal(statuses[0], 201, JSON.stringify([a.body, b.body]));
    // The loser is refused while the winner runs (too_many_sessions) or after it finished (token used).
    assert.ok(statuses[1] === 400 || statuses[1] === 401, JSON.stringify([a.body, b.body]));
    assert.equal((await c.request('GET', '/api/links/')).body.count, 1);
  });

  it('MFA: the pending registration is resumed with the same token, which then stops working', async () => {
    const c = await h().newClient();
    const { access } = await tokens(c);
    const challenge = (await register(access, 'mfa_widget_api')).body[0];
    assert.equal(challenge.code, 'token_required');
    const wrong = await widget(access, 'PATCH', '/widget/api/links/', { session: challenge.session, link: challenge.link, token: '000000' });
    assertError(wrong, 400, 'login_error');
    const ok = await widget(access, 'PATCH', '/widget/api/links/', { session: challenge.session, link: challenge.link, token: '123456' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'valid');
    assertError(await widget(access, 'GET', '/widget/api/session/'), 401, 'authentication_failed');
  });

  it('link-bound tokens: update mode repairs that link only, the same id becomes valid', async () => {
    const c = await h().newClient();
    const linkId = await createLink(c, 'expire_password_api', { password: 'p1', extra: { access_mode: 'single' } });
    assert.equal((await c.request('POST', '/api/owners/', { link: linkId })).status, 400);
    assert.equal(await linkStatus(c, linkId), 'invalid');
    const other = await createLink(c, 'bystander');
    const { access } = await tokens(c, { link_id: linkId });
    const info = (await widget(access, 'GET', '/widget/api/session/')).body;
    assert.equal(info.mode, 'update');
    assert.deepEqual(info.link, { id: linkId, institution: 'erebor_mx_retail', status: 'invalid', needs: 'credentials' });
    assert.equal(info.institution.name, 'erebor_mx_retail');
    assertError(await register(access, 'new_link'), 403, 'permission_denied');
    assertError(await widget(access, 'PUT', `/widget/api/links/${other}/`, { password: 'x' }), 403, 'permission_denied');
    assertError(await widget(access, 'PUT', `/widget/api/links/${linkId}/`, { password: 'p1' }), 400, 'login_error');
    const fixed = await widget(access, 'PUT', `/widget/api/links/${linkId}/`, { password: 'p2' });
    assert.equal(fixed.status, 200);
    assert.equal(fixed.body.id, linkId);
    assert.equal(await linkStatus(c, linkId), 'valid');
    assertError(await widget(access, 'GET', '/widget/api/session/'), 401, 'authentication_failed');
  });

  it('link-bound tokens: a token_required link reconnects, answers the challenge and is valid', async () => {
    const c = await h().newClient();
    const linkId = await createLink(c, 'expire_token_api', { extra: { access_mode: 'single' } });
    assert.equal((await c.request('POST', '/api/owners/', { link: linkId })).status, 428);
    const { access } = await tokens(c, { link_id: linkId });
    assert.equal((await widget(access, 'GET', '/widget/api/session/')).body.link.needs, 'token');
    const challenge = await widget(access, 'POST', `/widget/api/links/${linkId}/reconnect/`);
    assert.equal(challenge.status, 428);
    const ok = await widget(access, 'PATCH', '/widget/api/links/', { session: challenge.body[0].session, link: linkId, token: '123456' });
    assert.equal(ok.status, 200);
    assert.equal(await linkStatus(c, linkId), 'valid');
  });

  it('a revoked API key or a deleted bound link ends its widget sessions', async () => {
    const c = await h().newClient();
    const { access } = await tokens(c);
    await h().vinculo.services.tenants.revokeKey(c.id);
    assertError(await widget(access, 'GET', '/widget/api/session/'), 401, 'authentication_failed');
    const d = await h().newClient();
    const linkId = await createLink(d, 'to_delete');
    const bound = await tokens(d, { link_id: linkId });
    assert.equal((await d.request('DELETE', `/api/links/${linkId}/`)).status, 204);
    assertError(await widget(bound.access, 'GET', '/widget/api/session/'), 401, 'authentication_failed');
  });

  it("checks credentials server-side with the institution's rules, as the widget page does", async () => {
    const c = await h().newClient();
    const { access } = await tokens(c);
    const res = await widget(access, 'POST', '/widget/api/links/', { institution: 'tatooine_mx_fiscal', username: 'two\nlines', password: 'ciec' });
    assertError(res, 400, 'invalid', 'username');
    assertError(await widget(access, 'POST', '/widget/api/links/', { institution: 'erebor_mx_retail', username: 'x', password: 'wrong' }), 400, 'login_error');
    assertError(await widget(access, 'POST', '/widget/api/links/', { institution: 'narnia_mx_retail', username: 'x', password: 'y' }), 400, 'does_not_exist', 'institution');
  });

  it("takes exactly the login form and the page's access_mode/external_id; link options only from the token", async () => {
    const c = await h().newClient();
    const { access } = await tokens(c, { credentials_storage: 'nostore', fetch_resources: ['ACCOUNTS'] });
    const linksOf = async () => (await c.request('GET', '/api/links/')).body.count;
    for (const [field, value] of Object.entries({
      credentials_storage: 'store',
      stale_in: '10d',
      fetch_resources: ['OWNERS'],
      refresh_rate: '6h',
      fetch_historical: false,
      certificate: 'cert',
      private_key: 'key',
      anything: 1,
    })) {
      assertError(await register(access, 'user_valid', { [field]: value }), 400, 'invalid', field);
    }
    // A credential field the chosen institution's form does not have is refused too.
    assertError(await register(access, 'user_valid', { username2: 'second' }), 400, 'invalid', 'username2');
    assert.equal(await linksOf(), 0, 'nothing was registered');

    const ok = await register(access, 'user_valid', { access_mode: 'single', external_id: 'from-the-page' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const link = (await c.request('GET', `/api/links/${ok.body.id}/`)).body;
    assert.equal(link.credentials_storage, 'nostore', "the token's pinned option");
    assert.deepEqual(link.fetch_resources, ['ACCOUNTS']);
    assert.deepEqual([link.access_mode, link.external_id], ['single', 'from-the-page']);

    // Resume and update mode are as strict.
    const second = (await tokens(c)).access;
    const mfa = await register(second, 'mfa_strict');
    assert.equal(mfa.status, 428);
    const resume = { session: mfa.body[0].session, link: mfa.body[0].link, token: '123456' };
    assertError(await widget(second, 'PATCH', '/widget/api/links/', { ...resume, save_data: true }), 400, 'invalid', 'save_data');
    assert.equal((await widget(second, 'PATCH', '/widget/api/links/', resume)).status, 200);
    const linkId = await createLink(c, 'bound_strict');
    const bound = await tokens(c, { link_id: linkId });
    assertError(await widget(bound.access, 'PUT', `/widget/api/links/${linkId}/`, { password: 'p', certificate: 'c' }), 400, 'invalid', 'certificate');
  });

  it("lists institutions by country, Belvo's or the catalogue's types, and names", async () => {
    const c = await h().newClient();
    const { access } = await tokens(c);
    const names = async (qs: string) => (await widget(access, 'GET', `/widget/api/institutions/${qs}`)).body.results.map((i: { name: string }) => i.name).sort();
    assert.ok((await names('')).length >= 8);
    assert.deepEqual(await names('?country_codes=MX&institution_types=retail'), ['erebor_mx_retail', 'gringotts_mx_retail', 'heimdall_mx_retail']);
    assert.deepEqual(await names('?institution_types=business'), ['gotham_mx_business']);
    assert.deepEqual(await names('?institution_types=fiscal,employment'), ['imss_mx_employment', 'tatooine_mx_fiscal']);
    // ofmockbank_br_retail: the sandbox Open Finance Brasil bank.
    assert.deepEqual(await names('?country_codes=co,br&institution_types=bank'), ['erebor_br_retail', 'erebor_co_retail', 'ofmockbank_br_retail']);
    assert.deepEqual(await names('?institutions=gotham_mx_business,erebor_co_retail'), ['erebor_co_retail', 'gotham_mx_business']);
    assert.deepEqual(await names('?institution_types=crypto'), []);
  });

  it('never logs passwords or tokens sent to the widget API', async () => {
    const c = await h().newClient();
    const pair = await tokens(c);
    await register(pair.access, 'log_check', { password: 'Sup3r-Secret-W1dget' });
    const logs = h().logs.join('');
    assert.ok(!logs.includes('Sup3r-Secret-W1dget'));
    assert.ok(!logs.includes(pair.access) && !logs.includes(pair.refresh));
    assert.ok(!logs.includes(c.password));
  });

  it('serves the hosted page with a strict CSP, and the embed script for other origins', async () => {
    const page = await h().vinculo.app.inject({ method: 'GET', url: '/widget/?access_token=eyJ-log-check-token&locale=es' });
    assert.equal(page.statusCode, 200);
    // A 404 next to the page is logged at info: its URL's token is redacted there too.
    const miss = await h().vinculo.app.inject({ method: 'GET', url: '/widget/index.html?access_token=eyJ-log-check-token&refresh=eyJ-log-check-refresh' });
    assert.equal(miss.statusCode, 404);
    assert.ok(!h().logs.join('').includes('eyJ-log-check'), 'the tokens in URLs are not logged');
    assert.ok(h().logs.join('').includes('/widget/index.html?access_token=[redacted]&refresh=[redacted]'));
    assert.ok(h().logs.length > 0);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const script = page.body.match(/src="(\/widget\/assets\/widget\.js\?v=[0-9a-f]+)"/)?.[1];
    assert.ok(script, page.body);
    assert.equal((await h().vinculo.app.inject({ method: 'GET', url: script! })).statusCode, 200);
    const embed = await h().vinculo.app.inject({ method: 'GET', url: '/widget/belvo-widget-1-stable.js' });
    assert.equal(embed.statusCode, 200);
    assert.match(embed.headers['content-type'] as string, /javascript/);
    assert.equal(embed.headers['cross-origin-resource-policy'], 'cross-origin');
    assert.match(embed.body, /belvoSDK/);
    for (const name of ['nope.js', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      assert.equal((await h().vinculo.app.inject({ method: 'GET', url: `/widget/assets/${name}` })).statusCode, 404, name);
    }
  });
});

