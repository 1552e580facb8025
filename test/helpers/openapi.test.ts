/**
 * The conformance check itself: what it lets through, what it refuses, and that a refused answer
 * fails the test that caused it, whether the request came through `Client.request` or a socket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Client, type Harness } from './harness.js';
import { checkExchange, type Exchange } from './openapi.js';
import { SAMPLE_ID, SAMPLE_LINK, SAMPLE_REQUEST_ID } from './sample-link.js';

const ID = SAMPLE_ID;
const REQ = SAMPLE_REQUEST_ID;
const LINK = SAMPLE_LINK;

function check(x: Partial<Exchange> & { method: string; url: string; status: number }, body?: unknown): string[] {
  return checkExchange({ contentType: 'application/json; charset=utf-8', body: body === undefined ? '' : JSON.stringify(body), ...x });
}

describe('Belvo OpenAPI conformance check', () => {
  it('accepts documented answers, with or without the trailing slash', () => {
    assert.deepEqual(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200 }, LINK), []);
    assert.deepEqual(check({ method: 'GET', url: `/api/links/${ID}`, status: 200 }, LINK), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/links/?page=1', status: 200 }, { count: 1, next: null, previous: null, results: [LINK] }), []);
    assert.deepEqual(check({ method: 'DELETE', url: `/api/links/${ID}/`, status: 204 }), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/links/', status: 401 }, [{ request_id: REQ, code: 'authentication_failed', message: 'Invalid Secret Keys' }]), []);
  });

  it('refuses a body that does not match, an undocumented status, a body where none is documented, and non-JSON', () => {
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200 }, { ...LINK, status: 'sleeping' }).join(), /status must be equal to one of the allowed values/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200 }, { ...LINK, created_at: 'yesterday' }).join(), /created_at must match format "date-time"/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 418 }, []).join(), /status 418 is not documented/);
    assert.match(check({ method: 'DELETE', url: `/api/links/${ID}/`, status: 204 }, { deleted: true }).join(), /documents no body/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200, body: 'oops' }).join(), /not JSON/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200, contentType: 'text/plain' }, LINK).join(), /content-type/);
  });

  it('a 428 challenge value must be a string', () => {
    const challenge = (value: unknown) => [
      {
        request_id: REQ,
        code: 'token_required',
        message: 'A MFA token is required by the institution to login',
        session: 'b'.repeat(32),
        expiry: 600,
        link: ID,
        token_generation_data: { instructions: 'Enter the code', type: 'numeric', value, expects_user_input: true },
      },
    ];
    assert.deepEqual(check({ method: 'POST', url: '/api/links/', status: 428 }, challenge('')), []);
    assert.match(check({ method: 'POST', url: '/api/links/', status: 428 }, challenge(null)).join(), /token_generation_data\/value must be string/);
  });

  it('applies the deviations, and only them', () => {
    // Paths outside Belvo's API are skipped by a rule; a path nobody serves must be a 404 not_found.
    assert.deepEqual(check({ method: 'POST', url: `/sandbox/links/${ID}/refresh/`, status: 200 }, { anything: true }), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/nothing-here/', status: 404 }, [{ request_id: REQ, code: 'not_found', message: 'Not found' }]), []);
    assert.match(check({ method: 'GET', url: '/api/nothing-here/', status: 200 }, {}).join(), /no operation of Belvo's document has this path/);
    // Undocumented statuses Belvo answers: past the last page, a bad filter, a register timeout.
    assert.deepEqual(check({ method: 'GET', url: '/api/accounts/?page=9', status: 404 }, [{ request_id: REQ, code: 'not_found', message: 'Invalid page.' }]), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/accounts/?x=1', status: 400 }, [{ request_id: REQ, code: 'invalid', message: 'Invalid value.', field: 'x' }]), []);
    assert.match(check({ method: 'GET', url: `/api/accounts/${ID}/`, status: 418 }, []).join(), /status 418 is not documented/);
    // A detail's 400 is only the input guard's (not JSON, NUL characters), not any 400.
    const nul = [{ request_id: REQ, code: 'invalid', message: 'Null characters are not allowed.', field: '' }];
    assert.deepEqual(check({ method: 'GET', url: `/api/accounts/${ID}/?a=%00`, status: 400 }, nul), []);
    assert.deepEqual(check({ method: 'DELETE', url: `/api/accounts/${ID}/`, status: 400 }, [{ request_id: REQ, code: 'parse_error', message: 'x' }]), []);
    assert.match(check({ method: 'GET', url: `/api/accounts/${ID}/`, status: 400 }, [{ ...nul[0], message: 'Invalid value.' }]).join(), /undocumented status/);
    // HEAD is judged as the GET; PATCH on a collection the document gives none, as its POST.
    assert.deepEqual(check({ method: 'HEAD', url: '/api/links/', status: 200 }), []);
    assert.match(check({ method: 'HEAD', url: '/api/links/', status: 418 }).join(), /status 418 is not documented/);
    assert.deepEqual(check({ method: 'PATCH', url: '/api/tax-status/', status: 401 }, [{ request_id: REQ, code: 'authentication_failed', message: 'Invalid Secret Keys' }]), []);
    assert.match(check({ method: 'PATCH', url: '/api/tax-status/', status: 428 }, []).join(), /status 428 is not documented/);
    // 405 on a method the document does not give.
    assert.deepEqual(check({ method: 'PUT', url: '/api/accounts/', status: 405 }, [{ request_id: REQ, code: 'method_not_allowed', message: 'Method "PUT" not allowed.' }]), []);
    assert.match(check({ method: 'PUT', url: '/api/accounts/', status: 200 }, {}).join(), /documents no PUT on \/api\/accounts\//);
    // fields/omit: removed properties may be missing; kept ones are still checked.
    const shaped = { id: ID, status: 'valid' };
    assert.deepEqual(check({ method: 'GET', url: `/api/links/${ID}/?fields=id,status`, status: 200 }, shaped), []);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/?fields=id,status`, status: 200 }, { ...shaped, status: 1 }).join(), /status must be/);
    const tx = check({ method: 'GET', url: '/api/transactions/?fields=id', status: 200 }, { count: 1, next: null, previous: null, results: [{ id: ID }] });
    assert.deepEqual(tx, []);
    assert.match(
      check({ method: 'GET', url: '/api/transactions/?omit=account', status: 200 }, { count: 1, next: null, previous: null, results: [{ id: ID }] }).join(),
      /must have required property 'amount'/,
    );
  });
});

describe('conformance failures fail the test that caused them', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await startHarness('embedded');
    // Breaks the answer of requests carrying this header, after the handler and before the check
    // (on routes that answer objects: link and link-data lists answer JSON text built by the store).
    h.vinculo.app.addHook('preSerialization', async (req, _reply, payload) =>
      req.headers['x-test-break'] && payload && typeof payload === 'object' ? { ...payload, count: 'many' } : payload,
    );
    await h.listen();
    c = await h.newClient();
  });
  after(() => h.close());

  it('Client.request throws at once', async () => {
    assert.equal((await c.request('GET', '/api/institutions/')).status, 200);
    await assert.rejects(() => c.request('GET', '/api/institutions/', undefined, { 'x-test-break': '1' }), /broke Belvo's OpenAPI document[\s\S]*count must be integer/);
    h.assertConformant();
  });

  it('an answer over a socket is held until the harness is asked (after each test)', async () => {
    const res = await fetch(`${h.baseUrl}/api/institutions/`, { headers: { authorization: c.authorization, 'x-test-break': '1' } });
    assert.equal(res.status, 200, 'the client gets the answer as it was');
    assert.throws(() => h.assertConformant(), /1 answer\(s\) broke Belvo's OpenAPI document[\s\S]*GET \/api\/institutions\/ → 200[\s\S]*count must be integer/);
    h.assertConformant(); // reported once
  });

  it("an answer that breaks only Vinculo's own document (a path outside Belvo's) fails too", async () => {
    assert.equal((await c.request('GET', '/api/webhooks/')).status, 200);
    await assert.rejects(() => c.request('GET', '/api/webhooks/', undefined, { 'x-test-break': '1' }), /Vinculo's openapi.json, GET \/api\/webhooks\/\)[\s\S]*count must be integer/);
    h.assertConformant();
  });
});
