import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { describeStores } from '../../../test/helpers/harness.js';

const register = (body: Record<string, unknown>) => ({ institution: 'erebor_mx_retail', password: 'pass_valid', ...body });

describeStores('links: happy paths', (h) => {
  it('GET /api/ answers 200 (the SDK connect() call)', async () => {
    const c = await h().newClient();
    const res = await c.request('GET', '/api/');
    assert.equal(res.status, 200);
  });

  it('registers a recurrent link with Belvo defaults', async () => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/links/', register({ username: 'user_valid', external_id: 'client-42' }));
    assert.equal(res.status, 201);
    assertSchema('Link', res.body);
    const link = res.body;
    assert.equal(link.status, 'valid');
    assert.equal(link.access_mode, 'recurrent');
    assert.equal(link.refresh_rate, '7d');
    assert.equal(link.credentials_storage, 'store');
    assert.equal(link.external_id, 'client-42');
    assert.match(link.institution_user_id, /^[A-Za-z0-9\-_]{43}=$/);
    assert.ok(link.last_accessed_at);
    assert.deepEqual(link.fetch_resources.slice().sort(), ['ACCOUNTS', 'BALANCES', 'OWNERS', 'TRANSACTIONS']);
    const detail = await c.request('GET', `/api/links/${link.id}/`);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body, link);
  });

  it('registers a single link: no refresh rate, no fetch resources', async () => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/links/', register({ username: 'single1', access_mode: 'single' }));
    assert.equal(res.status, 201);
    assert.equal(res.body.access_mode, 'single');
    assert.equal(res.body.refresh_rate, null);
    assert.deepEqual(res.body.fetch_resources, []);
  });

  it('gives the same institution_user_id for the same user and institution only', async () => {
    const c = await h().newClient();
    const a = await c.request('POST', '/api/links/', register({ username: 'Same.User' }));
    const b = await c.request('POST', '/api/links/', register({ username: ' same.user ' }));
    const other = await c.request('POST', '/api/links/', register({ username: 'someone.else' }));
    const otherBank = await c.request('POST', '/api/links/', register({ username: 'Same.User', institution: 'gringotts_mx_retail' }));
    assert.equal(a.body.institution_user_id, b.body.institution_user_id);
    assert.notEqual(a.body.institution_user_id, other.body.institution_user_id);
    assert.notEqual(a.body.institution_user_id, otherBank.body.institution_user_id);
    const found = await c.request('GET', `/api/links/?institution_user_id=${encodeURIComponent(a.body.institution_user_id)}`);
    assert.equal(found.body.count, 2);
    // Another tenant gets another id for the very same user (keyed per tenant).
    const d = await (await h().newClient()).request('POST', '/api/links/', register({ username: 'Same.User' }));
    assert.notEqual(d.body.institution_user_id, a.body.institution_user_id);
  });

  it('MFA at registration: 428 with a session, wrong token keeps it open, 123456 confirms', async () => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/links/', register({ username: 'mfa_user' }));
    assert.equal(res.status, 428);
    const [err] = res.body;
    assert.equal(err.code, 'token_required');
    assert.match(err.session, /^[a-f0-9]{32}$/);
    assert.match(err.request_id, /^[a-f0-9]{32}$/);
    assert.ok(err.expiry > 0);
    assert.equal(err.token_generation_data.expects_user_input, true);
    const pending = await c.request('GET', `/api/links/${err.link}/`);
    assert.equal(pending.body.status, 'unconfirmed');

    const wrong = await c.request('PATCH', '/api/links/', { session: err.session, link: err.link, token: '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body[0].code, 'login_error');
    assert.equal((await c.request('GET', `/api/links/${err.link}/`)).body.status, 'unconfirmed');

    const ok = await c.request('PATCH', '/api/links/', { session: err.session, link: err.link, token: '123456' });
    assert.equal(ok.status, 200);
    assertSchema('Link', ok.body);
    assert.equal(ok.body.status, 'valid');
    assert.ok(ok.body.last_accessed_at);
    const again = await c.request('PATCH', '/api/links/', { session: err.session, link: err.link, token: '123456' });
    assert.equal(again.status, 400, 'a used session is gone');
  });

  it('gotham asks for a token at every login; heimdall resumes with no token (QR)', async () => {
    const c = await h().newClient();
    const g = await c.request('POST', '/api/links/', { institution: 'gotham_mx_business', username: 'acme', password: 'x1' });
    assert.equal(g.status, 428);
    const gOk = await c.request('PATCH', '/api/links/', { session: g.body[0].session, link: g.body[0].link, token: '123456' });
    assert.equal(gOk.body.status, 'valid');

    const q = await c.request('POST', '/api/links/', { institution: 'heimdall_mx_retail', username: 'ana', password: 'x1' });
    assert.equal(q.status, 428);
    assert.equal(q.body[0].token_generation_data.expects_user_input, false);
    const qOk = await c.request('PATCH', '/api/links/', { session: q.body[0].session, link: q.body[0].link });
    assert.equal(qOk.status, 200);
    assert.equal(qOk.body.status, 'valid');
  });

  it('a token sent up front satisfies MFA without a 428', async () => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/links/', register({ username: 'mfa_upfront', token: '123456' }));
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'valid');
  });

  it('employment institutions need no password; username_type forms need it', async () => {
    const c = await h().newClient();
    const imss = await c.request('POST', '/api/links/', { institution: 'imss_mx_employment', username: 'GOMC800101HDFRRR09' });
    assert.equal(imss.status, 201, JSON.stringify(imss.body));
    const co = await c.request('POST', '/api/links/', { institution: 'erebor_co_retail', username: '1020304050', password: 'p', username_type: '001' });
    assert.equal(co.status, 201, JSON.stringify(co.body));
  });

  it('PUT repairs an expired password; a failed PUT changes nothing', async () => {
    const c = await h().newClient();
    const link = (await c.request('POST', '/api/links/', register({ username: 'expire_password_1', password: 'old-pass' }))).body;
    const same = await c.request('PUT', `/api/links/${link.id}/`, { password: 'old-pass' });
    assert.equal(same.status, 400);
    assert.equal(same.body[0].code, 'login_error');
    assert.equal((await c.request('GET', `/api/links/${link.id}/`)).body.status, 'valid');
    const fixed = await c.request('PUT', `/api/links/${link.id}/`, { password: 'new-pass' });
    assert.equal(fixed.status, 200);
    assertSchema('Link', fixed.body);
    assert.equal(fixed.body.status, 'valid');
    assert.equal(fixed.body.id, link.id);
    // The new password was stored: logging in with it again works.
    assert.equal((await c.request('PUT', `/api/links/${link.id}/`, { password: 'new-pass' })).status, 200);
  });

  it('PUT on an expire_token link asks for a token, resumed through PATCH /api/links/', async () => {
    const c = await h().newClient();
    const link = (await c.request('POST', '/api/links/', register({ username: 'expire_token_1' }))).body;
    const put = await c.request('PUT', `/api/links/${link.id}/`, { password: 'pass_valid' });
    assert.equal(put.status, 428);
    assert.equal(put.body[0].link, link.id);
    const done = await c.request('PATCH', '/api/links/', { session: put.body[0].session, link: link.id, token: '123456' });
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'valid');
    const withToken = await c.request('PUT', `/api/links/${link.id}/`, { token: '123456' });
    assert.equal(withToken.status, 200);
  });

  it('PATCH switches access mode and refresh rate', async () => {
    const c = await h().newClient();
    const link = (await c.request('POST', '/api/links/', register({ username: 'switcher' }))).body;
    const single = await c.request('PATCH', `/api/links/${link.id}/`, { access_mode: 'single' });
    assert.equal(single.status, 200);
    assert.equal(single.body.access_mode, 'single');
    assert.equal(single.body.refresh_rate, null);
    const back = await c.request('PATCH', `/api/links/${link.id}/`, { access_mode: 'recurrent', refresh_rate: '24h' });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.refresh_rate, '24h');
    const retention = await c.request('PATCH', `/api/links/${link.id}/`, { stale_in: '90d', fetch_resources: ['ACCOUNTS'] });
    assert.equal(retention.body.stale_in, '90d');
    assert.deepEqual(retention.body.fetch_resources, ['ACCOUNTS']);
    assertSchema('Link', retention.body);
  });

  it('DELETE removes the link, its credentials and its sessions', async () => {
    const c = await h().newClient();
    const link = (await c.request('POST', '/api/links/', register({ username: 'to_delete' }))).body;
    const mfa = (await c.request('POST', '/api/links/', register({ username: 'mfa_to_delete' }))).body[0];
    for (const id of [link.id, mfa.link]) {
      const res = await c.request('DELETE', `/api/links/${id}/`);
      assert.equal(res.status, 204);
      assert.equal(res.body, undefined);
      assert.equal((await c.request('GET', `/api/links/${id}/`)).status, 404);
    }
    const db = h().vinculo.store.db;
    const left = await sql<{ n: number }>`
      select (select count(*) from link_credentials where link_id in (${link.id}, ${mfa.link}))
           + (select count(*) from mfa_sessions where link_id in (${link.id}, ${mfa.link}))
           + (select count(*) from links where id in (${link.id}, ${mfa.link})) as n`.execute(db);
    assert.equal(Number(left.rows[0].n), 0);
    assert.equal((await c.request('DELETE', `/api/links/${link.id}/`)).status, 404);
  });

  it('keeps credentials sealed: nothing readable at rest, nostore keeps none, Nd sets an expiry', async () => {
    const c = await h().newClient();
    const stored = (await c.request('POST', '/api/links/', register({ username: 'sealed_user', password: 'Plain-Text-Pw-1' }))).body;
    const nostore = (await c.request('POST', '/api/links/', register({ username: 'nostore_user', access_mode: 'single', credentials_storage: 'nostore' }))).body;
    const days = (await c.request('POST', '/api/links/', register({ username: 'days_user', access_mode: 'single', credentials_storage: '30d' }))).body;
    const db = h().vinculo.store.db;
    const rows = await db.selectFrom('link_credentials').selectAll().where('link_id', 'in', [stored.id, nostore.id]).execute();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes('Plain-Text-Pw-1'));
    assert.ok(!JSON.stringify(rows).includes('sealed_user'));
    const expiry = await db.selectFrom('links').select('credentials_expire_at').where('id', '=', days.id).executeTakeFirstOrThrow();
    const inDays = (expiry.credentials_expire_at!.getTime() - Date.now()) / 86_400_000;
    assert.ok(inDays > 29.9 && inDays <= 30, String(inDays));
    const sw = await c.request('PATCH', `/api/links/${nostore.id}/`, { access_mode: 'recurrent' });
    assert.equal(sw.status, 400);
    assert.equal(sw.body[0].code, 'invalid_access_mode_switch');
  });
});
