import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeStores } from '../../test/helpers/harness.js';
import { createLink, linkStatus } from '../../test/helpers/links.js';

/**
 * The sandbox's refresh control on a server with no worker running (an API-only process, or a
 * test server): it refreshes in the request, so it answers at once instead of waiting for a job
 * that nobody will run.
 */
describeStores('sandbox refresh without workers', (h) => {
  it('POST /sandbox/links/{id}/refresh/ runs the refresh and answers with the link', async () => {
    const c = await h().newClient();
    const id = await createLink(c, 'user_valid', { extra: { access_mode: 'recurrent' } });
    const before = (await c.request('GET', `/api/links/${id}/`)).body.last_accessed_at;

    const ok = await c.request('POST', `/sandbox/links/${id}/refresh/`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.id, id);
    assert.equal(ok.body.status, 'valid');
    assert.ok(ok.body.last_accessed_at > before, 'the refresh logged in again');

    // The institution now refuses the password: the refresh's outcome is in the answer.
    assert.equal((await c.request('POST', `/sandbox/links/${id}/reset_login/`)).status, 200);
    const refused = await c.request('POST', `/sandbox/links/${id}/refresh/`);
    assert.equal(refused.status, 200, JSON.stringify(refused.body));
    assert.equal(refused.body.status, 'invalid');
    assert.equal(await linkStatus(c, id), 'invalid');

    // Another tenant's link is not found.
    const other = await h().newClient();
    assert.equal((await other.request('POST', `/sandbox/links/${id}/refresh/`)).status, 404);
  });
});
