import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeStores } from '../../../test/helpers/harness.js';

const SECRET = 'Very-Secret-Pa55word!';

describeStores('links: security', (h) => {
  it('every route needs valid secret keys: 401 authentication_failed', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/'],
      ['GET', '/api/links/'],
      ['POST', '/api/links/'],
      ['PATCH', '/api/links/'],
      ['GET', '/api/links/00000000-0000-4000-8000-000000000000/'],
      ['PUT', '/api/links/00000000-0000-4000-8000-000000000000/'],
      ['PATCH', '/api/links/00000000-0000-4000-8000-000000000000/'],
      ['DELETE', '/api/links/00000000-0000-4000-8000-000000000000/'],
      ['GET', '/api/institutions/'],
      ['GET', '/api/institutions/1/'],
    ];
    // Each route from its own client address, with its own key: these are failed checks, and
    // more than 10 from one address or on one key id in a minute would be throttled (429).
    for (const [i, [method, url]] of routes.entries()) {
      const c = await h().newClient();
      const bad = [
        {},
        { authorization: `Basic ${Buffer.from(`${c.id}:nope`).toString('base64')}` },
        { authorization: `Basic ${Buffer.from(`nobody-${i}:${c.password}`).toString('base64')}` },
        { authorization: 'Bearer abc' },
        { authorization: 'Basic !!!' },
      ];
      for (const headers of bad) {
        const res = await h().vinculo.app.inject({ method: method as 'GET', url, headers, remoteAddress: `10.66.0.${i + 1}` });
        assert.equal(res.statusCode, 401, `${method} ${url}`);
        const [err] = res.json();
        assert.equal(err.code, 'authentication_failed');
        assert.equal(err.message, 'Invalid Secret Keys');
        assert.match(err.request_id, /^[a-f0-9]{32}$/);
      }
    }
  });

  it('a revoked key stops working at once', async () => {
    const c = await h().newClient();
    assert.equal((await c.request('GET', '/api/links/')).status, 200);
    await h().vinculo.services.tenants.revokeKey(c.id);
    assert.equal((await c.request('GET', '/api/links/')).status, 401);
  });

  it("a tenant never sees another tenant's links (404, not 403)", async () => {
    const a = await h().newClient();
    const b = await h().newClient();
    const link = (await a.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'iso', password: 'p' })).body;
    const mfa = (await a.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'mfa_iso', password: 'p' })).body[0];
    assert.equal((await b.request('GET', `/api/links/${link.id}/`)).status, 404);
    assert.equal((await b.request('PUT', `/api/links/${link.id}/`, { password: 'x' })).status, 404);
    assert.equal((await b.request('PATCH', `/api/links/${link.id}/`, { access_mode: 'single' })).status, 404);
    assert.equal((await b.request('DELETE', `/api/links/${link.id}/`)).status, 404);
    assert.equal((await b.request('GET', '/api/links/')).body.count, 0);
    assert.equal((await b.request('GET', `/api/links/?id=${link.id}`)).body.count, 0);
    const resume = await b.request('PATCH', '/api/links/', { session: mfa.session, link: mfa.link, token: '123456' });
    assert.equal(resume.status, 400);
    assert.equal(resume.body[0].code, 'does_not_exist');
    assert.equal((await a.request('GET', `/api/links/${link.id}/`)).body.status, 'valid');
  });

  it('credentials never appear in responses or logs', async () => {
    const c = await h().newClient();
    const bodies: string[] = [];
    const call = async (m: string, u: string, b?: unknown) => {
      const r = await c.request(m, u, b);
      bodies.push(JSON.stringify(r.body));
      return r;
    };
    const link = (await call('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'logcheck', password: SECRET })).body;
    await call('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'mfa_logcheck', password: SECRET, token: '999999' });
    await call('POST', '/api/links/', { institution: 'erebor_co_retail', username: 'x', password: SECRET, username_type: 'zz' });
    await call('PUT', `/api/links/${link.id}/`, { password: `${SECRET}2` });
    await call('POST', '/api/links/', '{"password":"' + SECRET + '"'); // broken JSON
    await call('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'u', password: SECRET, external_id: 'a' });
    const logs = h().logs.join('');
    assert.ok(h().logs.length > 0, 'logs were captured');
    assert.ok(!logs.includes(SECRET), 'password found in logs');
    assert.ok(!logs.includes(c.password), 'API key password found in logs');
    for (const b of bodies) assert.ok(!b.includes(SECRET), `password echoed: ${b}`);
  });

  it('request ids: 32 hex, echoed in X-Request-Id and in the log line', async () => {
    const c = await h().newClient();
    const res = await c.request('GET', '/api/links/');
    const id = String(res.headers['x-request-id']);
    assert.match(id, /^[a-f0-9]{32}$/);
    assert.ok(h().logs.some((l) => l.includes(id)));
    const err = await c.request('GET', '/api/links/nope/');
    assert.equal(err.body[0].request_id, err.headers['x-request-id']);
  });
});
