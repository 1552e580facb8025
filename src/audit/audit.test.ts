import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { sql } from 'kysely';
import { describeStores, type Client, type Response } from '../../test/helpers/harness.js';
import { createLink } from '../../test/helpers/links.js';
import { waitFor } from '../../test/helpers/receiver.js';
import { Audit, type AuditRecord } from './index.js';

/**
 * The audit log, on both stores: each use of credentials or keys leaves exactly one record with
 * who (the key; for the widget the key that issued the token; `system` for background jobs),
 * the tenant, the link, the action, the outcome (`success` or the error code) and the request id;
 * never a credential.
 */

/** Every credential value this file sends: none may appear in any audit column. */
const SECRETS = {
  password: 'audit-pw-9f3c1e',
  newPassword: 'audit-new-pw-77ab',
  token: '123456',
  widgetPassword: 'audit-widget-pw-4d2a',
};

describeStores('audit: who used credentials and keys', (h) => {
  const single = { access_mode: 'single' };
  const records = async (c: Client): Promise<AuditRecord[]> => h().vinculo.services.audit.list({ tenantName: c.tenant, limit: 1000 });
  /** The records since `before` (a count of the tenant's records), oldest first. */
  const since = async (c: Client, before: number) => (await records(c)).reverse().slice(before);
  const requestId = (res: Response) => String(res.headers['x-request-id']);
  const register = (c: Client, username: string, password = SECRETS.password, extra: object = single) =>
    c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username, password, ...extra });
  const pick = (r: AuditRecord) => ({ actor: r.actor, action: r.action, link_id: r.link_id, outcome: r.outcome, request_id: r.request_id });

  it('register: one record, the caller’s key, the new link, success, the request id; a refused login its code', async () => {
    const c = await h().newClient();
    const [created] = await since(c, 0);
    assert.equal(created.action, 'key_create', 'the key’s own creation comes first');
    const ok = await register(c, 'audit_register');
    assert.equal(ok.status, 201);
    const wrong = await register(c, 'audit_register_wrong', 'wrong');
    assert.equal(wrong.status, 400);
    const invalid = await c.request('POST', '/api/links/', { institution: 'no_such_bank', username: 'x', password: SECRETS.password });
    assert.equal(invalid.status, 400);
    assert.deepEqual((await since(c, 1)).map(pick), [
      { actor: c.id, action: 'register', link_id: ok.body.id, outcome: 'success', request_id: requestId(ok) },
      { actor: c.id, action: 'register', link_id: null, outcome: 'login_error', request_id: requestId(wrong) },
      { actor: c.id, action: 'register', link_id: null, outcome: 'does_not_exist', request_id: requestId(invalid) },
    ]);
    for (const r of await records(c)) {
      assert.ok(r.at instanceof Date && Math.abs(r.at.getTime() - Date.now()) < 600_000, 'when: now (the tenant’s clock is real time)');
      assert.equal(r.tenant, c.tenant);
    }
  });

  it('MFA: the 428 is recorded with its pending link; the resume (right and wrong token) once each', async () => {
    const c = await h().newClient();
    const challenged = await register(c, 'mfa_audit');
    assert.equal(challenged.status, 428);
    const { session, link } = challenged.body[0];
    const wrong = await c.request('PATCH', '/api/links/', { session, link, token: '000000' });
    assert.equal(wrong.status, 400);
    const right = await c.request('PATCH', '/api/links/', { session, link, token: SECRETS.token });
    assert.equal(right.status, 200, JSON.stringify(right.body));
    assert.deepEqual((await since(c, 1)).map(pick), [
      { actor: c.id, action: 'register', link_id: link, outcome: 'token_required', request_id: requestId(challenged) },
      { actor: c.id, action: 'resume', link_id: link, outcome: 'login_error', request_id: requestId(wrong) },
      { actor: c.id, action: 'resume', link_id: link, outcome: 'success', request_id: requestId(right) },
    ]);
  });

  it('PUT, retrieval, sandbox refresh, DELETE: one record each, failures with their code', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'audit_ops', { password: SECRETS.password, extra: single });
    const n = (await records(c)).length;
    const put = await c.request('PUT', `/api/links/${link}/`, { password: SECRETS.newPassword });
    assert.equal(put.status, 200);
    const badPut = await c.request('PUT', `/api/links/${link}/`, { password: 'wrong' });
    assert.equal(badPut.status, 400);
    // The refused PUT left the link as it was (valid, the new password kept).
    const retrieve = await c.request('POST', '/api/accounts/', { link });
    assert.equal(retrieve.status, 201, JSON.stringify(retrieve.body));
    const refresh = await c.request('POST', `/sandbox/links/${link}/refresh/`);
    assert.equal(refresh.status, 200);
    assert.equal((await c.request('POST', `/sandbox/links/${link}/reset_login/`)).status, 200);
    const refused = await c.request('POST', `/sandbox/links/${link}/refresh/`);
    assert.equal(refused.status, 200);
    const del = await c.request('DELETE', `/api/links/${link}/`);
    assert.equal(del.status, 204);
    const gone = await c.request('DELETE', `/api/links/${link}/`);
    assert.equal(gone.status, 404);
    assert.deepEqual((await since(c, n)).map(pick), [
      { actor: c.id, action: 'update', link_id: link, outcome: 'success', request_id: requestId(put) },
      { actor: c.id, action: 'update', link_id: link, outcome: 'login_error', request_id: requestId(badPut) },
      { actor: c.id, action: 'login', link_id: link, outcome: 'success', request_id: requestId(retrieve) },
      { actor: c.id, action: 'login', link_id: link, outcome: 'success', request_id: requestId(refresh) },
      { actor: c.id, action: 'login', link_id: link, outcome: 'login_error', request_id: requestId(refused) },
      { actor: c.id, action: 'delete', link_id: link, outcome: 'success', request_id: requestId(del) },
      { actor: c.id, action: 'delete', link_id: link, outcome: 'not_found', request_id: requestId(gone) },
    ]);
  });

  it('a background first load logs in as `system`, without a request id', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'audit_recurrent', { password: SECRETS.password });
    const logins = await waitFor('the first load’s login', async () => {
      const found = (await records(c)).filter((r) => r.action === 'login');
      return found.length && found;
    });
    assert.deepEqual(logins.map(pick), [{ actor: 'system', action: 'login', link_id: link, outcome: 'success', request_id: null }]);
  });

  it('widget: connect and resume are recorded against the key that issued the token', async () => {
    const c = await h().newClient();
    const tokens = await c.request('POST', '/api/token/', { scopes: 'read_institutions,write_links' });
    assert.equal(tokens.status, 200);
    const widget = async (method: 'POST' | 'PATCH', body: object) => {
      const res = await h().vinculo.app.inject({
        method,
        url: '/widget/api/links/',
        headers: { authorization: `Bearer ${tokens.body.access}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: res.json(), headers: res.headers } as Response;
    };
    const challenged = await widget('POST', { institution: 'erebor_mx_retail', username: 'mfa_widget_audit', password: SECRETS.widgetPassword });
    assert.equal(challenged.status, 428);
    const { session, link } = challenged.body[0];
    const resumed = await widget('PATCH', { session, link, token: SECRETS.token });
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.deepEqual((await since(c, 1)).map(pick), [
      { actor: c.id, action: 'widget_connect', link_id: link, outcome: 'token_required', request_id: requestId(challenged) },
      { actor: c.id, action: 'resume', link_id: link, outcome: 'success', request_id: requestId(resumed) },
    ]);
  });

  it('widget update mode: reconnect (stored credentials) and PUT are recorded with the issuing key; PATCH to recurrent is a login', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'expire_token_audit', { password: SECRETS.password, extra: single });
    assert.equal((await c.request('POST', '/api/owners/', { link })).status, 428, 'the institution now asks for a token');
    const tokens = await c.request('POST', '/api/token/', { link_id: link, scopes: 'read_institutions,write_links' });
    assert.equal(tokens.status, 200);
    const call = async (method: 'POST' | 'PUT', url: string, body?: object) => {
      const res = await h().vinculo.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${tokens.body.access}`, ...(body && { 'content-type': 'application/json' }) },
        payload: body && JSON.stringify(body),
      });
      return { status: res.statusCode, body: res.json(), headers: res.headers } as Response;
    };
    const n = (await records(c)).length;
    const reconnect = await call('POST', `/widget/api/links/${link}/reconnect/`);
    assert.equal(reconnect.status, 428);
    const put = await call('PUT', `/widget/api/links/${link}/`, { password: SECRETS.newPassword, token: SECRETS.token });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    // An expire_token user needs a token at every login: the switch's login asks for one.
    const patch = await c.request('PATCH', `/api/links/${link}/`, { access_mode: 'recurrent' });
    assert.equal(patch.status, 428, JSON.stringify(patch.body));
    assert.deepEqual((await since(c, n)).map(pick), [
      { actor: c.id, action: 'reconnect', link_id: link, outcome: 'token_required', request_id: requestId(reconnect) },
      { actor: c.id, action: 'update', link_id: link, outcome: 'success', request_id: requestId(put) },
      { actor: c.id, action: 'login', link_id: link, outcome: 'token_required', request_id: requestId(patch) },
    ]);
  });

  it('keys: creation and revocation, with the acting `cli` or `system`; a second revocation is not_found', async () => {
    const { tenants } = h().vinculo.services;
    const key = await tenants.createKey({ tenant: `audit-keys-${randomUUID()}`, actor: 'cli' });
    assert.equal(await tenants.revokeKey(key.id, 'cli'), true);
    assert.equal(await tenants.revokeKey(key.id), false);
    const list = (await h().vinculo.services.audit.list({ tenantName: key.tenant, limit: 10 })).reverse();
    assert.deepEqual(
      list.map((r) => ({ actor: r.actor, action: r.action, key_id: r.key_id, link_id: r.link_id, outcome: r.outcome, request_id: r.request_id })),
      [
        { actor: 'cli', action: 'key_create', key_id: key.id, link_id: null, outcome: 'success', request_id: null },
        { actor: 'cli', action: 'key_revoke', key_id: key.id, link_id: null, outcome: 'success', request_id: null },
        { actor: 'system', action: 'key_revoke', key_id: key.id, link_id: null, outcome: 'not_found', request_id: null },
      ],
    );
    assert.ok(!JSON.stringify(list).includes(key.password));
  });

  it('a record that cannot be written is logged; the operation goes on', async () => {
    const errors: string[] = [];
    const audit = new Audit(h().vinculo.store.db, { error: (_obj, msg) => errors.push(msg) });
    const tenant = (await h().vinculo.store.db.selectFrom('tenants').select('id').executeTakeFirstOrThrow()).id;
    // A check constraint refuses this actor: every insert of the records below fails.
    await sql`alter table audit_log add constraint audit_test_fail check (actor <> 'fail-me')`.execute(h().vinculo.store.db);
    try {
      const result = await audit.around({ tenantId: tenant, actor: 'fail-me', action: 'login' }, async () => 42);
      assert.equal(result, 42);
      await assert.rejects(audit.around({ tenantId: tenant, actor: 'fail-me', action: 'login' }, async () => { throw new Error('the operation failed'); }), /the operation failed/);
    } finally {
      await sql`alter table audit_log drop constraint audit_test_fail`.execute(h().vinculo.store.db);
    }
    assert.deepEqual(errors, ['audit record could not be written', 'audit record could not be written']);
  });

  it('no credential, token or key password in any audit column', async () => {
    const rows = await sql<Record<string, unknown>>`select * from audit_log`.execute(h().vinculo.store.db);
    assert.ok(rows.rows.length > 20, `${rows.rows.length} records`);
    const text = JSON.stringify(rows.rows);
    for (const [name, value] of Object.entries(SECRETS)) {
      if (name === 'token') continue; // six digits: checked per column below instead
      assert.ok(!text.includes(value), `${name} in the audit log`);
    }
    for (const row of rows.rows) for (const v of Object.values(row)) assert.notEqual(String(v), SECRETS.token);
    assert.doesNotMatch(text, /eyJ[\w-]{8,}\./, 'no widget token');
  });
}, { workers: true });
