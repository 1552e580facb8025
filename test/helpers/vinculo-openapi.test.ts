/**
 * The check against Vinculo's own document: what it lets through and what it refuses. (That a
 * refused answer fails the test that caused it is shown in openapi.test.ts, with Belvo's.)
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Exchange } from './openapi.js';
import { vinculoDocumentCheck, type DocumentCheck } from './vinculo-openapi.js';
import { SAMPLE_ID, SAMPLE_LINK, SAMPLE_REQUEST_ID } from './sample-link.js';

const ID = SAMPLE_ID;
const REQ = SAMPLE_REQUEST_ID;
const LINK = {
  ...SAMPLE_LINK,
  credentials_storage: 'store',
  stale_in: null,
  fetch_resources: ['ACCOUNTS'],
};
const error = (code: string, extra: object = {}) => [{ request_id: REQ, code, message: 'm', ...extra }];
const page = (results: unknown[]) => ({ count: results.length, next: null, previous: null, results });

describe("Vinculo's OpenAPI document as a check", () => {
  let doc: DocumentCheck;
  const check = (x: Partial<Exchange> & { method: string; url: string; status: number }, body?: unknown) =>
    doc.check({ contentType: 'application/json; charset=utf-8', body: body === undefined ? '' : JSON.stringify(body), ...x });
  before(async () => {
    doc = await vinculoDocumentCheck();
  });

  it('accepts documented answers: objects, pages, no body, errors', () => {
    assert.deepEqual(check({ method: 'GET', url: `/api/links/${ID}`, status: 200 }, LINK), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/links/?status__in=valid', status: 200 }, page([LINK])), []);
    assert.deepEqual(check({ method: 'DELETE', url: `/api/links/${ID}/`, status: 204 }), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/links/?page=9', status: 404 }, error('not_found')), []);
    assert.deepEqual(check({ method: 'HEAD', url: '/api/links/', status: 200 }), []);
    const challenge = { session: 'b'.repeat(32), expiry: 600, link: ID, token_generation_data: { instructions: 'i', type: 'numeric', value: '', expects_user_input: true } };
    assert.deepEqual(check({ method: 'POST', url: '/api/links/', status: 428 }, error('token_required', challenge)), []);
  });

  it('refuses an undocumented status, a field the schema lacks, a wrong code, a body where none is documented', () => {
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 418 }, []).join(), /status 418 is not documented/);
    assert.match(check({ method: 'GET', url: '/api/links/', status: 408 }, error('request_timeout')).join(), /status 408 is not documented/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200 }, { ...LINK, secret: 'x' }).join(), /must NOT have additional properties/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200 }, { ...LINK, status: 'sleeping' }).join(), /status must be equal to one of the allowed values/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 404 }, error('invalid')).join(), /code must be equal to one of the allowed values/);
    assert.match(check({ method: 'DELETE', url: `/api/links/${ID}/`, status: 204 }, { deleted: true }).join(), /gives no body/);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/`, status: 200, contentType: 'text/plain' }, LINK).join(), /content-type/);
  });

  it('judges link-data objects by the fields the server owns', () => {
    const account = { id: ID, link: ID, collected_at: LINK.created_at, created_at: LINK.created_at, name: 'Cuenta', balance: { current: 1 } };
    assert.deepEqual(check({ method: 'POST', url: '/api/accounts/', status: 201 }, [account]), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/transactions/?link=x', status: 200 }, page([{ ...account, link: undefined, account }])), []);
    assert.match(check({ method: 'GET', url: '/api/transactions/?link=x', status: 200 }, page([account])).join(), /must have required property 'account'/);
    assert.match(check({ method: 'POST', url: '/api/accounts/', status: 202 }, { request_id: REQ }).join(), /status 202 is not documented/);
    assert.deepEqual(check({ method: 'POST', url: '/api/transactions/', status: 202 }, { request_id: REQ }), []);
  });

  it('fields/omit: removed fields may be missing, kept ones are still checked', () => {
    assert.deepEqual(check({ method: 'GET', url: `/api/links/${ID}/?fields=id,status`, status: 200 }, { id: ID, status: 'valid' }), []);
    assert.match(check({ method: 'GET', url: `/api/links/${ID}/?fields=id,status`, status: 200 }, { id: ID, status: 1 }).join(), /status must be/);
    assert.deepEqual(check({ method: 'GET', url: '/api/links/?omit=created_by', status: 200 }, page([{ ...LINK, created_by: undefined }])), []);
    assert.match(check({ method: 'GET', url: '/api/links/', status: 200 }, page([{ ...LINK, created_by: undefined }])).join(), /required property 'created_by'/);
  });

  it('a method the document does not list: 405 (or 401/429 before it), nothing else; undescribed paths are not judged', () => {
    assert.deepEqual(check({ method: 'PUT', url: '/api/links/', status: 405 }, error('method_not_allowed')), []);
    assert.deepEqual(check({ method: 'OPTIONS', url: `/api/links/${ID}/`, status: 401 }, error('authentication_failed')), []);
    assert.match(check({ method: 'PUT', url: '/api/links/', status: 200 }, LINK).join(), /lists no PUT on this path/);
    assert.match(check({ method: 'PUT', url: '/api/links/', status: 405 }, error('not_found')).join(), /code must be equal/);
    assert.deepEqual(check({ method: 'GET', url: '/widget/api/session/', status: 200 }, { anything: 1 }), []);
    assert.deepEqual(check({ method: 'GET', url: '/api/nothing-here/', status: 404 }, error('not_found')), []);
  });
});
