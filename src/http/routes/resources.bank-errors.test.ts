import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { describeStores, type Client } from '../../../test/helpers/harness.js';
import { assertError, createLink, daysAgo, linkStatus, today } from '../../../test/helpers/links.js';

/**
 * Errors of the bank link-data retrievals (accounts, transactions, owners, balances): request
 * validation, unknown and foreign links, unusable links (invalid, unconfirmed, token_required),
 * MFA resume, async retrieval, a down institution, and credentials never leaking.
 */

/** Every link of this file uses this password: it must never come back in a body or a log line. */
const SECRET = 'Bank-Secret-Pa55word!';
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const DOWN = 'gringotts_mx_retail';
const FISCAL = 'tatooine_mx_fiscal';
const BANK_RESOURCES = ['accounts', 'transactions', 'owners', 'balances'] as const;

type Obj = Record<string, any>;

/** A valid retrieval body for each bank resource. */
const bodyFor = (path: string, link: string, extra: Obj = {}): Obj =>
  path === 'transactions' || path === 'balances' ? { link, date_from: daysAgo(7), date_to: today(), ...extra } : { link, ...extra };

/** Keeps every answer (body and headers) a client gets, to look for leaked credentials. */
function recording(client: Client, seen: string[]): Client {
  return {
    ...client,
    async request(method, url, body, headers) {
      const res = await client.request(method, url, body, headers);
      seen.push(`${method} ${url} ${res.status} ${JSON.stringify(res.body)} ${JSON.stringify(res.headers)}`);
      return res;
    },
  };
}

describeStores(
  'bank link data: errors',
  (h) => {
    const seen: string[] = [];
    let c: Client;
    let link: string;

    before(async () => {
      c = recording(await h().newClient(), seen);
      link = await createLink(c, 'errors_user', { password: SECRET });
    });

    const count = async (client: Client, path: string, query: string) => {
      const res = await client.request('GET', `/api/${path}/?${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.count as number;
    };

    it('every route needs valid secret keys (401); other methods are 405', async () => {
      for (const [i, path] of BANK_RESOURCES.entries()) {
        // A key and a client address per resource: more than 10 failed checks from one address or on
        // one key id in a minute would be throttled (429).
        const other = await h().newClient();
        const bad = { authorization: `Basic ${Buffer.from(`${other.id}:nope`).toString('base64')}` };
        const remoteAddress = `10.67.0.${i + 1}`;
        for (const [method, url] of [
          ['GET', `/api/${path}/`],
          ['POST', `/api/${path}/`],
          ['PATCH', `/api/${path}/`],
          ['GET', `/api/${path}/${NO_SUCH_ID}/`],
          ['DELETE', `/api/${path}/${NO_SUCH_ID}/`],
        ]) {
          for (const headers of [{}, bad]) {
            const res = await h().vinculo.app.inject({ method: method as 'GET', url, headers, remoteAddress });
            assert.equal(res.statusCode, 401, `${method} ${url}`);
            assert.equal(res.json()[0].code, 'authentication_failed');
          }
        }
        // A method the route lacks, without valid keys: 401 first (Django REST framework authenticates
        // before it judges the method), whatever the body, which is never read.
        for (const headers of [{}, bad, { authorization: 'Bearer a.b.c' }]) {
          const res = await h().vinculo.app.inject({ method: 'PUT', url: `/api/${path}/`, headers: { ...headers, 'content-type': 'application/json' }, payload: '\u0000{', remoteAddress });
          assert.equal(res.statusCode, 401, `PUT /api/${path}/ ${res.body}`);
        }
        const put = await c.request('PUT', `/api/${path}/`, { link });
        assertError(put, 405, 'method_not_allowed');
        assert.match(String(put.headers.allow), /POST/);
        assertError(await c.request('DELETE', `/api/${path}/`), 405, 'method_not_allowed');
        assertError(await c.request('POST', `/api/${path}/${NO_SUCH_ID}/`, { link }), 405, 'method_not_allowed');
      }
    });

    it('the retrieval body is validated: required fields, uuids, real days in order, none in the future', async () => {
      for (const path of BANK_RESOURCES) {
        assertError(await c.request('POST', `/api/${path}/`, {}), 400, 'required', 'link');
        assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, 'not-a-uuid')), 400, 'invalid', 'link');
        assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, link, { save_data: 'no' })), 400, 'invalid', 'save_data');
        assertError(await c.request('POST', `/api/${path}/`, '[1,2]'), 400, 'parse_error');
      }
      const missing = await c.request('POST', '/api/transactions/', {});
      assert.deepEqual(missing.body.map((e: Obj) => e.field).sort(), ['date_from', 'date_to', 'link']);
      assertError(await c.request('POST', '/api/balances/', { link }), 400, 'required', 'date_from');
      assertError(await c.request('POST', '/api/balances/', { link, date_from: daysAgo(1) }), 400, 'required', 'date_to');
      for (const path of ['transactions', 'balances']) {
        const future = await c.request('POST', `/api/${path}/`, { link, date_from: daysAgo(5), date_to: daysAgo(-3) });
        assertError(future, 400, 'invalid', 'date_to');
        assert.equal(future.body.length, 1);
        assertError(await c.request('POST', `/api/${path}/`, { link, date_from: today(), date_to: daysAgo(1) }), 400, 'invalid', 'date_from');
        assertError(await c.request('POST', `/api/${path}/`, { link, date_from: '2025-02-30', date_to: '2025-03-10' }), 400, 'invalid', 'date_from');
        assertError(await c.request('POST', `/api/${path}/`, { link, date_from: '2025-02-01', date_to: '2025-02-30' }), 400, 'invalid', 'date_to');
        assertError(await c.request('POST', `/api/${path}/`, { link, date_from: '2025/01/01', date_to: '2025-01-31' }), 400, 'invalid', 'date_from');
        assertError(await c.request('POST', `/api/${path}/`, { link, date_from: '2025-13-01', date_to: '2025-01-31' }), 400, 'invalid', 'date_from');
        assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, link, { account: 'checking' })), 400, 'invalid', 'account');
      }
      // Nothing was retrieved, and the link is as it was.
      assert.equal(await linkStatus(c, link), 'valid');
      assert.equal(await count(c, 'accounts', `link=${link}`), 0);
    });

    it("an unknown link and another tenant's link are 400 does_not_exist on link; tenants never see each other's data", async () => {
      for (const path of BANK_RESOURCES) {
        const res = await c.request('POST', `/api/${path}/`, bodyFor(path, NO_SUCH_ID));
        const err = assertError(res, 400, 'does_not_exist', 'link');
        assert.equal(err.message, `Object with id=${NO_SUCH_ID} does not exist.`);
      }
      const accounts = (await c.request('POST', '/api/accounts/', { link })).body;
      await c.request('POST', '/api/transactions/', bodyFor('transactions', link));
      const b = recording(await h().newClient(), seen);
      for (const path of BANK_RESOURCES) {
        const foreign = await b.request('POST', `/api/${path}/`, bodyFor(path, link));
        const err = assertError(foreign, 400, 'does_not_exist', 'link');
        assert.equal(err.message, `Object with id=${link} does not exist.`, 'the same answer as for a link that does not exist');
      }
      assert.equal(await count(b, 'accounts', ''), 0);
      assert.equal(await count(b, 'accounts', `link=${link}`), 0);
      assert.equal(await count(b, 'transactions', `link=${link}`), 0);
      assert.equal(await count(b, 'balances', `account=${accounts[0].id}`), 0);
      assertError(await b.request('GET', `/api/accounts/${accounts[0].id}/`), 404, 'not_found');
      assertError(await b.request('DELETE', `/api/accounts/${accounts[0].id}/`), 404, 'not_found');
      // B's own link does not open A's data either.
      const bLink = await createLink(b, 'errors_user', { password: SECRET });
      assertError(await b.request('POST', '/api/transactions/', bodyFor('transactions', bLink, { account: accounts[0].id })), 400, 'does_not_exist', 'account');
      assert.equal(await count(c, 'accounts', `link=${link}`), accounts.length, "A's data is untouched");
      assert.equal(await linkStatus(c, link), 'valid');
    });

    it('an `account` that is not one of the link accounts is 400 does_not_exist on account', async () => {
      const other = await createLink(c, 'errors_other', { password: SECRET });
      const [foreign] = (await c.request('POST', '/api/accounts/', { link: other })).body;
      for (const path of ['transactions', 'balances']) {
        const res = await c.request('POST', `/api/${path}/`, bodyFor(path, link, { account: foreign.id }));
        const err = assertError(res, 400, 'does_not_exist', 'account');
        assert.equal(err.message, `Object with id=${foreign.id} does not exist.`);
        assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, link, { account: NO_SUCH_ID })), 400, 'does_not_exist', 'account');
      }
      // The account of the link itself is fine.
      const [own] = (await c.request('GET', `/api/accounts/?link=${link}`)).body.results;
      assert.equal((await c.request('POST', '/api/balances/', bodyFor('balances', link, { account: own.id }))).status, 201);
    });

    it('a resource the institution does not provide is 400 unsupported_operation', async () => {
      const window = { date_from: daysAgo(30), date_to: today() };
      assertError(await c.request('POST', '/api/invoices/', { link, ...window, type: 'INFLOW' }), 400, 'unsupported_operation');
      assertError(await c.request('POST', '/api/tax-returns/', { link, year_from: 2023, year_to: 2024 }), 400, 'unsupported_operation');
      const taxStatus = assertError(await c.request('POST', '/api/tax-status/', { link }), 400, 'unsupported_operation');
      assert.equal(taxStatus.message, 'The resource you are trying to access is not supported by this institution', 'contract A.6');
      assertError(await c.request('POST', '/api/tax-compliance-status/', { link }), 400, 'unsupported_operation');
      assertError(await c.request('POST', '/api/employment-records/', { link }), 400, 'unsupported_operation');
      const fiscal = await createLink(c, 'MAOL850312AB1', { institution: FISCAL, password: SECRET });
      for (const path of BANK_RESOURCES) assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, fiscal)), 400, 'unsupported_operation');
      assert.equal(await linkStatus(c, fiscal), 'valid');
    });

    it('a rejected stored password makes the link invalid: login_error, then invalid_link until a PUT', async () => {
      const l = await createLink(c, 'expire_password_x', { password: SECRET });
      assertError(await c.request('POST', '/api/accounts/', { link: l }), 400, 'login_error');
      assert.equal(await linkStatus(c, l), 'invalid');
      for (const path of BANK_RESOURCES) {
        const res = await c.request('POST', `/api/${path}/`, bodyFor(path, l));
        const err = assertError(res, 400, 'invalid_link');
        assert.equal(err.message, 'The link has been invalidated. You may need to update link credentials');
      }
      // Stored data can still be read; nothing was stored by the failed calls.
      assert.equal(await count(c, 'accounts', `link=${l}`), 0);
      // New credentials repair it.
      const put = await c.request('PUT', `/api/links/${l}/`, { password: `${SECRET}-2` });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal((await c.request('POST', '/api/accounts/', { link: l })).status, 201);
      assert.equal(await linkStatus(c, l), 'valid');
    });

    it('an unconfirmed link is 400 unconfirmed_link until its registration is resumed', async () => {
      const reg = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'mfa_x', password: SECRET });
      assert.equal(reg.status, 428);
      const { link: l, session } = reg.body[0];
      assert.equal(await linkStatus(c, l), 'unconfirmed');
      for (const path of BANK_RESOURCES) {
        const err = assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, l)), 400, 'unconfirmed_link');
        assert.equal(err.message, 'The link creation has not been completed yet');
      }
      // The registration's session does not finish a retrieval.
      assertError(await c.request('PATCH', '/api/accounts/', { session, link: l, token: '123456' }), 400, 'does_not_exist', 'session');
      assert.equal((await c.request('PATCH', '/api/links/', { session, link: l, token: '123456' })).status, 200);
      assert.equal((await c.request('POST', '/api/accounts/', { link: l })).status, 201, 'mfa users need no token after registration');
    });

    it('expire_token: 428 with a session, token_required, wrong token and foreign sessions refused, 123456 finishes it', async () => {
      const l = await createLink(c, 'expire_token_x', { password: SECRET });
      const first = await c.request('POST', '/api/accounts/', { link: l });
      assert.equal(first.status, 428, JSON.stringify(first.body));
      assert.ok(Array.isArray(first.body) && first.body.length === 1);
      const mfa = first.body[0];
      assert.equal(mfa.code, 'token_required');
      assert.equal(mfa.message, 'A MFA token is required by the institution to login');
      assert.equal(mfa.request_id, first.headers['x-request-id']);
      assert.match(mfa.request_id, /^[a-f0-9]{32}$/);
      assert.match(mfa.session, /^[a-f0-9]{32}$/);
      assert.equal(mfa.expiry, 600);
      assert.equal(mfa.link, l);
      assert.equal(typeof mfa.token_generation_data.instructions, 'string');
      assert.equal(mfa.token_generation_data.type, 'numeric');
      assert.equal(mfa.token_generation_data.value, '', 'a string (Belvo types it so), empty: a numeric challenge has nothing to show');
      assert.equal(mfa.token_generation_data.expects_user_input, true);
      assert.equal(await linkStatus(c, l), 'token_required');
      assert.equal(await count(c, 'accounts', `link=${l}`), 0);

      // A wrong token: login_error, the session stays open and the link keeps its status.
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, link: l, token: '000000' }), 400, 'login_error');
      assert.equal(await linkStatus(c, l), 'token_required');
      // Sessions are per resource, per link and per tenant.
      assertError(await c.request('PATCH', '/api/owners/', { session: mfa.session, link: l, token: '123456' }), 400, 'does_not_exist', 'session');
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, link, token: '123456' }), 400, 'does_not_exist', 'session');
      assertError(await c.request('PATCH', '/api/links/', { session: mfa.session, link: l, token: '123456' }), 400, 'does_not_exist', 'session');
      const stranger = recording(await h().newClient(), seen);
      assertError(await stranger.request('PATCH', '/api/accounts/', { session: mfa.session, link: l, token: '123456' }), 400, 'does_not_exist', 'session');
      assertError(await c.request('PATCH', '/api/accounts/', { session: 'f'.repeat(32), link: l, token: '123456' }), 400, 'does_not_exist', 'session');
      assertError(await c.request('PATCH', '/api/accounts/', { session: 'not-hex', link: l, token: '123456' }), 400, 'invalid', 'session');
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, token: '123456' }), 400, 'required', 'link');

      const done = await c.request('PATCH', '/api/accounts/', { session: mfa.session, link: l, token: '123456' });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      assert.ok(Array.isArray(done.body) && done.body.length > 0);
      for (const a of done.body) assertSchema('Account', a);
      assert.equal(await linkStatus(c, l), 'valid');
      assert.equal(await count(c, 'accounts', `link=${l}`), done.body.length);
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, link: l, token: '123456' }), 400, 'does_not_exist', 'session');

      // Every later login asks again. A resume with save_data:false answers 200 and stores nothing.
      const owners = await c.request('POST', '/api/owners/', { link: l });
      assert.equal(owners.status, 428);
      const unsaved = await c.request('PATCH', '/api/owners/', { session: owners.body[0].session, link: l, token: '123456', save_data: false });
      assert.equal(unsaved.status, 200, JSON.stringify(unsaved.body));
      assert.ok(unsaved.body.length > 0);
      assert.equal(await count(c, 'owners', `link=${l}`), 0);
      // The resumed transactions retrieval keeps the window of the POST that asked.
      const txns = await c.request('POST', '/api/transactions/', { link: l, date_from: daysAgo(5), date_to: daysAgo(2) });
      assert.equal(txns.status, 428);
      const resumed = await c.request('PATCH', '/api/transactions/', { session: txns.body[0].session, link: l, token: '123456' });
      assert.equal(resumed.status, 201);
      for (const t of resumed.body) assert.ok(t.value_date >= daysAgo(5) && t.value_date <= daysAgo(2), t.value_date);
      // A token sent up front answers the challenge before it is asked.
      const upFront = await c.request('POST', '/api/balances/', bodyFor('balances', l, { token: '123456' }));
      assert.equal(upFront.status, 201, JSON.stringify(upFront.body));
      assert.equal(await linkStatus(c, l), 'valid');
    });

    it(
      'a wrong token sent up front is login_error and leaves the link as it was',
      {},
      async () => {
        const l = await createLink(c, 'expire_token_wrong', { password: SECRET });
        assert.equal((await c.request('POST', '/api/accounts/', { link: l })).status, 428);
        assert.equal(await linkStatus(c, l), 'token_required');
        assertError(await c.request('POST', '/api/accounts/', { link: l, token: '000000' }), 400, 'login_error');
        assert.equal(await linkStatus(c, l), 'token_required', 'a wrong MFA answer changes nothing (src/links/status.ts)');
      },
    );

    it('an expired retrieval session is session_expired', async () => {
      const l = await createLink(c, 'expire_token_late', { password: SECRET });
      const mfa = (await c.request('POST', '/api/accounts/', { link: l })).body[0];
      await sql`update mfa_sessions set expires_at = now() - interval '1 second' where id = ${mfa.session}`.execute(h().vinculo.store.db);
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, link: l, token: '123456' }), 400, 'session_expired');
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, link: l, token: '123456' }), 400, 'does_not_exist', 'session');
    });

    it('a second institution session on the link is too_many_sessions', async () => {
      const db = h().vinculo.store.db;
      await sql`update links set session_lease_until = now() + interval '1 minute', session_lease_token = 'other' where id = ${link}`.execute(db);
      for (const path of BANK_RESOURCES) assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, link)), 400, 'too_many_sessions');
      await sql`update links set session_lease_until = null, session_lease_token = null where id = ${link}`.execute(db);
      assert.equal((await c.request('POST', '/api/owners/', { link })).status, 201);
    });

    it('X-Belvo-Request-Mode: async answers 202 {request_id} at once and stores the transactions after', async () => {
      const l = await createLink(c, 'async_user', { password: SECRET });
      const window = { date_from: daysAgo(20), date_to: daysAgo(1) };
      const res = await c.request('POST', '/api/transactions/', { link: l, ...window }, { 'X-Belvo-Request-Mode': 'async' });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.match(res.body.request_id, /^[a-f0-9]{32}$/);
      assert.deepEqual(res.body, { request_id: res.headers['x-request-id'] });
      await h().vinculo.services.queue.runQueued('link-retrieve');
      const expected = (await c.request('POST', '/api/transactions/', { link: l, ...window, save_data: false })).body;
      assert.ok(expected.length > 0);
      const stored = await c.request('GET', `/api/transactions/?link=${l}&page_size=1000`);
      assert.equal(stored.body.count, expected.length);
      assert.deepEqual(stored.body.results.map((t: Obj) => t.id).sort(), expected.map((t: Obj) => t.id).sort());
      assert.equal(await count(c, 'accounts', `link=${l}`) > 0, true, 'with their accounts');

      // Validation and link checks still answer at once.
      assertError(
        await c.request('POST', '/api/transactions/', { link: l, date_from: daysAgo(1), date_to: daysAgo(-3) }, { 'X-Belvo-Request-Mode': 'async' }),
        400,
        'invalid',
        'date_to',
      );
      assertError(
        await c.request('POST', '/api/transactions/', bodyFor('transactions', NO_SUCH_ID), { 'X-Belvo-Request-Mode': 'async' }),
        400,
        'does_not_exist',
        'link',
      );
      // Only transactions are asynchronous, and only with the exact value.
      const accounts = await c.request('POST', '/api/accounts/', { link: l }, { 'X-Belvo-Request-Mode': 'async' });
      assert.equal(accounts.status, 201);
      assert.ok(Array.isArray(accounts.body));
      const upper = await c.request('POST', '/api/transactions/', { link: l, ...window }, { 'X-Belvo-Request-Mode': 'ASYNC' });
      assert.equal(upper.status, 201);
      assert.ok(Array.isArray(upper.body));

      // A background retrieval whose login is rejected still invalidates the link (and is logged, without credentials).
      const expiring = await createLink(c, 'expire_password_async', { password: SECRET });
      const failing = await c.request('POST', '/api/transactions/', bodyFor('transactions', expiring), { 'X-Belvo-Request-Mode': 'async' });
      assert.equal(failing.status, 202);
      await h().vinculo.services.queue.runQueued('link-retrieve');
      assert.equal(await linkStatus(c, expiring), 'invalid');
      assert.equal(await count(c, 'transactions', `link=${expiring}`), 0);
      assert.ok(h().logs.some((line) => line.includes(failing.body.request_id)), 'the failure is logged with its request id');
      // The background retrieval let go of the link's institution session: a PUT can repair it.
      assert.equal((await c.request('PUT', `/api/links/${expiring}/`, { password: `${SECRET}-new` })).status, 200);
      assert.equal((await c.request('POST', '/api/transactions/', bodyFor('transactions', expiring))).status, 201);
    });

    it('while an async retrieval runs, another retrieval of the link is refused at once with too_many_sessions', async () => {
      const l = await createLink(c, 'async_busy', { password: SECRET });
      // Hold the background retrieval before it extracts anything, until the checks below are done.
      const data = h().vinculo.services.data;
      const original = data.collect;
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      data.collect = async function (this: typeof data, ...args: Parameters<typeof original>) {
        await gate;
        return original.apply(this, args);
      };
      try {
        const accepted = await c.request('POST', '/api/transactions/', bodyFor('transactions', l), { 'X-Belvo-Request-Mode': 'async' });
        assert.equal(accepted.status, 202);
        assertError(await c.request('POST', '/api/accounts/', { link: l }), 400, 'too_many_sessions');
        assertError(
          await c.request('POST', '/api/transactions/', bodyFor('transactions', l), { 'X-Belvo-Request-Mode': 'async' }),
          400,
          'too_many_sessions',
        );
      } finally {
        data.collect = original;
        open();
      }
      await h().vinculo.services.queue.runQueued('link-retrieve');
      assert.ok((await count(c, 'transactions', `link=${l}`)) > 0);
      assert.equal((await c.request('POST', '/api/owners/', { link: l })).status, 201, 'the session was released');
    });

    it('a link that keeps no credentials cannot retrieve: 400 unsupported_operation', async () => {
      const l = await createLink(c, 'nostore_user', {
        password: SECRET,
        extra: { access_mode: 'single', credentials_storage: 'nostore' },
      });
      for (const path of BANK_RESOURCES) assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, l)), 400, 'unsupported_operation');
      assert.equal(await linkStatus(c, l), 'valid');
    });

    it('a down institution is 400 institution_down on every retrieval and resume; stored data still reads', async () => {
      const inst = await c.request('GET', `/api/institutions/?name=${DOWN}`);
      assert.equal(inst.body.results[0].status, 'down', 'VINCULO_SANDBOX_DOWN');
      assertError(await c.request('POST', '/api/links/', { institution: DOWN, username: 'down_user', password: SECRET }), 400, 'institution_down');
      // Make links while it is up, then take it down again.
      const setStatus = (status: string) => c.request('POST', `/sandbox/institutions/${DOWN}/status/`, { status });
      await setStatus('healthy');
      let plain: string;
      let mfa: Obj;
      try {
        plain = await createLink(c, 'down_user', { institution: DOWN, password: SECRET });
        assert.equal((await c.request('POST', '/api/accounts/', { link: plain })).status, 201);
        const token = await createLink(c, 'expire_token_down', { institution: DOWN, password: SECRET });
        mfa = (await c.request('POST', '/api/accounts/', { link: token })).body[0];
        assert.match(mfa.session, /^[a-f0-9]{32}$/);
      } finally {
        await setStatus('down');
      }
      for (const path of BANK_RESOURCES) {
        const err = assertError(await c.request('POST', `/api/${path}/`, bodyFor(path, plain)), 400, 'institution_down');
        assert.equal(err.message, 'The financial institution is down, try again later');
      }
      assertError(
        await c.request('POST', '/api/transactions/', bodyFor('transactions', plain), { 'X-Belvo-Request-Mode': 'async' }),
        400,
        'institution_down',
      );
      assertError(await c.request('PATCH', '/api/accounts/', { session: mfa.session, link: mfa.link, token: '123456' }), 400, 'institution_down');
      assert.ok((await count(c, 'accounts', `link=${plain}`)) > 0, 'lists do not need the institution');
      assert.equal(await linkStatus(c, plain), 'valid', 'an outage does not invalidate the link');
    });

    it('credentials never appear in any answer or log line', async () => {
      assert.ok(seen.length > 50, 'answers were recorded');
      for (const s of seen) assert.ok(!s.includes(SECRET), `password echoed: ${s.slice(0, 300)}`);
      const logs = h().logs.join('\n');
      assert.ok(h().logs.length > 0, 'logs were captured');
      assert.ok(!logs.includes(SECRET), 'password found in logs');
      assert.ok(!logs.includes(c.password), 'API key password found in logs');
    });
  },
  { env: { VINCULO_SANDBOX_DOWN: DOWN } },
);
