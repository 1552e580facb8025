import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { describeStores } from '../../../test/helpers/harness.js';

const register = (body: Record<string, unknown>) => ({ institution: 'erebor_mx_retail', username: 'user_valid', password: 'pass_valid', ...body });

function assertError(res: { status: number; body: any }, status: number, code: string, field?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(Array.isArray(res.body), 'errors are an array');
  const hit = res.body.find((e: any) => e.code === code && (field === undefined || e.field === field));
  assert.ok(hit, `expected ${code}${field ? ` on ${field}` : ''}, got ${JSON.stringify(res.body)}`);
  assert.match(hit.request_id, /^[a-f0-9]{32}$/);
  assert.equal(typeof hit.message, 'string');
}

describeStores('links: errors', (h) => {
  it('validation errors name the field with Belvo codes', async () => {
    const c = await h().newClient();
    assertError(await c.request('POST', '/api/links/', { username: 'u', password: 'p' }), 400, 'required', 'institution');
    assertError(await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', password: 'p' }), 400, 'required', 'username');
    assertError(await c.request('POST', '/api/links/', register({ username: '' })), 400, 'blank', 'username');
    assertError(await c.request('POST', '/api/links/', register({ username: null })), 400, 'null', 'username');
    assertError(await c.request('POST', '/api/links/', register({ external_id: 'ab' })), 400, 'min_length', 'external_id');
    assertError(await c.request('POST', '/api/links/', register({ access_mode: 'sometimes' })), 400, 'invalid', 'access_mode');
    assertError(await c.request('POST', '/api/links/', register({ refresh_rate: '1h' })), 400, 'invalid', 'refresh_rate');
    assertError(await c.request('POST', '/api/links/', register({ credentials_storage: '999d' })), 400, 'invalid', 'credentials_storage');
    const unknown = await c.request('POST', '/api/links/', register({ institution: 'narnia' }));
    assertError(unknown, 400, 'does_not_exist', 'institution');
    assert.equal(unknown.body[0].message, 'Object with name=narnia does not exist.');
    assertError(await c.request('POST', '/api/links/', register({ password: undefined })), 400, 'required', 'password');
    assertError(
      await c.request('POST', '/api/links/', { institution: 'erebor_co_retail', username: '1020304050', password: 'p' }),
      400,
      'required',
      'username_type',
    );
    assertError(
      await c.request('POST', '/api/links/', { institution: 'erebor_co_retail', username: '1020304050', password: 'p', username_type: '999' }),
      400,
      'invalid',
      'username_type',
    );
    assertError(await c.request('POST', '/api/links/', register({ access_mode: 'recurrent', credentials_storage: 'nostore' })), 400, 'invalid', 'credentials_storage');
    assertError(await c.request('POST', '/api/links/', register({ access_mode: 'single', refresh_rate: '24h' })), 400, 'invalid', 'refresh_rate');
    assertError(await c.request('POST', '/api/links/', register({ fetch_resources: ['INVOICES'] })), 400, 'invalid', 'fetch_resources');
    // several problems at once: one item each
    const many = await c.request('POST', '/api/links/', { external_id: 'x' });
    assert.equal(many.status, 400);
    assert.ok(many.body.length >= 3, JSON.stringify(many.body));
  });

  it('a wrong password is login_error and keeps no link', async () => {
    const c = await h().newClient();
    assertError(await c.request('POST', '/api/links/', register({ password: 'wrong' })), 400, 'login_error');
    assert.equal((await c.request('GET', '/api/links/')).body.count, 0);
  });

  it('an institution timeout is 408 request_timeout', async () => {
    const c = await h().newClient();
    assertError(await c.request('POST', '/api/links/', register({ username: 'timeout_user' })), 408, 'request_timeout');
  });

  it('an expired MFA session is session_expired; an unknown one does_not_exist', async () => {
    const c = await h().newClient();
    const mfa = (await c.request('POST', '/api/links/', register({ username: 'mfa_late' }))).body[0];
    await sql`update mfa_sessions set expires_at = now() - interval '1 second' where id = ${mfa.session}`.execute(h().vinculo.store.db);
    assertError(await c.request('PATCH', '/api/links/', { session: mfa.session, link: mfa.link, token: '123456' }), 400, 'session_expired');
    assertError(await c.request('PATCH', '/api/links/', { session: 'a'.repeat(32), link: mfa.link, token: '123456' }), 400, 'does_not_exist', 'session');
    assertError(await c.request('PATCH', '/api/links/', { session: 'nothex', link: mfa.link }), 400, 'invalid', 'session');
    assertError(await c.request('PATCH', '/api/links/', { session: 'a'.repeat(32), link: 'not-a-uuid' }), 400, 'invalid', 'link');
  });

  it('operations on unconfirmed links are refused; PUT with no fields is required', async () => {
    const c = await h().newClient();
    const mfa = (await c.request('POST', '/api/links/', register({ username: 'mfa_pending' }))).body[0];
    assertError(await c.request('PUT', `/api/links/${mfa.link}/`, { password: 'x' }), 400, 'unconfirmed_link');
    assertError(await c.request('PATCH', `/api/links/${mfa.link}/`, { access_mode: 'single' }), 400, 'unconfirmed_link');
    const ok = (await c.request('POST', '/api/links/', register({ username: 'plain' }))).body;
    assertError(await c.request('PUT', `/api/links/${ok.id}/`, {}), 400, 'required', 'password');
    assertError(await c.request('PATCH', `/api/links/${ok.id}/`, {}), 400, 'required', 'access_mode');
  });

  it('a second institution session on the same link is too_many_sessions; nothing is corrupted', async () => {
    const c = await h().newClient();
    const link = (await c.request('POST', '/api/links/', register({ username: 'busy_user' }))).body;
    const db = h().vinculo.store.db;
    await sql`update links set session_lease_until = now() + interval '1 minute', session_lease_token = 'other' where id = ${link.id}`.execute(db);
    assertError(await c.request('PUT', `/api/links/${link.id}/`, { password: 'new' }), 400, 'too_many_sessions');
    await sql`update links set session_lease_until = null, session_lease_token = null where id = ${link.id}`.execute(db);
    // Concurrent PUTs: each either succeeds or is refused; the link ends valid with a lease released.
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => c.request('PUT', `/api/links/${link.id}/`, { password: `pw-${i}` })));
    for (const r of results) assert.ok(r.status === 200 || r.body[0].code === 'too_many_sessions', JSON.stringify(r.body));
    assert.ok(results.some((r) => r.status === 200));
    const after = await db.selectFrom('links').select(['status', 'session_lease_token']).where('id', '=', link.id).executeTakeFirstOrThrow();
    assert.deepEqual(after, { status: 'valid', session_lease_token: null });
  });

  it('bad requests: not JSON, too large, unknown route, wrong method, bad ids, bad pages, bad filters', async () => {
    const c = await h().newClient();
    assertError(await c.request('POST', '/api/links/', '{"institution":'), 400, 'parse_error');
    assertError(await c.request('POST', '/api/links/', { username: 'x'.repeat(1_100_000) }), 400, 'request_too_large');
    assertError(await c.request('POST', '/api/links/', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'unsupported_media_type');
    assertError(await c.request('GET', '/api/nothing/'), 404, 'not_found');
    // No route: 404 before the body is read (a broken body on a path that does not exist is still a 404).
    assertError(await c.request('POST', '/api/nothing/', '{"broken'), 404, 'not_found');
    const wrong = await c.request('DELETE', '/api/links/');
    assertError(wrong, 405, 'method_not_allowed');
    assert.match(String(wrong.headers.allow), /GET/);
    assertError(await c.request('GET', '/api/links/not-a-uuid/'), 404, 'not_found');
    assertError(await c.request('GET', '/api/links/00000000-0000-4000-8000-000000000000/'), 404, 'not_found');
    assertError(await c.request('GET', '/api/links/?page=0'), 404, 'not_found');
    assertError(await c.request('GET', '/api/links/?page=abc'), 404, 'not_found');
    assertError(await c.request('GET', '/api/links/?page=99'), 404, 'not_found');
    assertError(await c.request('GET', '/api/links/?created_at__gte=yesterday'), 400, 'invalid', 'created_at__gte');
    assertError(await c.request('GET', '/api/links/?id__in=1,2'), 400, 'invalid', 'id__in');
    assertError(await c.request('GET', '/api/links/?status=happy'), 400, 'invalid', 'status');
    assertError(await c.request('GET', '/api/institutions/99999/'), 404, 'not_found');
  });
});

describeStores(
  'links: institution down',
  (h) => {
    it('every login to a down institution is institution_down', async () => {
      const c = await h().newClient();
      assertError(await c.request('POST', '/api/links/', register({ institution: 'gringotts_mx_retail' })), 400, 'institution_down');
      const inst = await c.request('GET', '/api/institutions/?name=gringotts_mx_retail');
      assert.equal(inst.body.results[0].status, 'down');
      const ok = (await c.request('POST', '/api/links/', register({}))).body;
      await c.request('POST', '/sandbox/institutions/erebor_mx_retail/status/', { status: 'down' });
      assertError(await c.request('PUT', `/api/links/${ok.id}/`, { password: 'n' }), 400, 'institution_down');
      await c.request('PATCH', `/api/links/${ok.id}/`, { access_mode: 'single' });
      assertError(await c.request('PATCH', `/api/links/${ok.id}/`, { access_mode: 'recurrent' }), 400, 'institution_down');
    });
  },
  { env: { VINCULO_SANDBOX_DOWN: 'gringotts_mx_retail' } },
);
