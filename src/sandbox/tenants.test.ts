import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeStores, type Client } from '../../test/helpers/harness.js';
import { createLink, linkStatus } from '../../test/helpers/links.js';

const DAY = 86_400;

/**
 * A tenant is a test environment: its sandbox clock and institution statuses are its own, and
 * what the housekeeping deletes (expired MFA sessions, abandoned unconfirmed links) goes on the
 * clock of the tenant that holds it. Through the HTTP API, on both stores.
 */
describeStores('sandbox state per tenant', (h) => {
  const db = () => h().vinculo.store.db;
  const sealedOf = async (linkId: string) => ({
    credentials: (await db().selectFrom('link_credentials').select('link_id').where('link_id', '=', linkId).execute()).length,
    sessions: (await db().selectFrom('mfa_sessions').select('id').where('link_id', '=', linkId).execute()).length,
  });
  const advance = async (c: Client, seconds: number) => {
    const res = await c.request('POST', '/sandbox/clock/advance/', { seconds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  it("one tenant's clock advance expires only its own links", async () => {
    const [a, b] = [await h().newClient(), await h().newClient()];
    const extra = { credentials_storage: '1d', access_mode: 'single' };
    const linkA = await createLink(a, 'user_valid', { extra });
    const linkB = await createLink(b, 'user_valid', { extra });

    const moved = await advance(a, 2 * DAY);
    assert.ok(moved.offset_seconds >= 2 * DAY - 1);
    assert.equal((await b.request('GET', '/sandbox/clock/')).body.offset_seconds, 0, "B's clock did not move");
    assert.ok(Math.abs(Date.parse((await a.request('GET', '/sandbox/clock/')).body.now) - (Date.now() + 2 * DAY * 1000)) < 5_000);

    assert.equal(await linkStatus(a, linkA), 'invalid', "A's 1d credentials expired on A's clock");
    assert.equal((await sealedOf(linkA)).credentials, 0);
    assert.equal(await linkStatus(b, linkB), 'valid', "B's link lives on B's clock");
    assert.equal((await sealedOf(linkB)).credentials, 1);
  });

  it("one tenant's institution outage is not another's", async () => {
    const [a, b] = [await h().newClient(), await h().newClient()];
    const down = await a.request('POST', '/sandbox/institutions/erebor_mx_retail/status/', { status: 'down' });
    assert.equal(down.status, 200);
    assert.equal(down.body.status, 'down');
    const statusSeenBy = async (c: Client) => (await c.request('GET', '/api/institutions/?name=erebor_mx_retail')).body.results[0].status;
    assert.equal(await statusSeenBy(a), 'down');
    assert.equal(await statusSeenBy(b), 'healthy');
    assert.equal((await b.request('GET', '/api/institutions/?status=down&name=erebor_mx_retail')).body.count, 0, 'filters see it too');
    const refused = await a.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'user_valid', password: 'pass_valid' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body[0].code, 'institution_down');
    await createLink(b, 'user_valid');
    assert.equal((await a.request('POST', '/sandbox/institutions/no_such_bank/status/', { status: 'down' })).status, 404);
  });

  it("one tenant's advance neither waits for nor counts another's due refreshes", async () => {
    const [a, b] = [await h().newClient(), await h().newClient()];
    const linkB = await createLink(b, 'user_valid', { extra: { access_mode: 'recurrent' } });
    // Due in real time, so due on every clock: the pass claims it whoever advances.
    await db().updateTable('links').set({ next_refresh_at: new Date(Date.now() - 1000) }).where('id', '=', linkB).execute();
    const moved = await advance(a, 1); // no workers run here: waiting on B's job would be a 408
    assert.deepEqual([moved.refreshes, moved.deliveries], [0, 0]);
    const claimed = await db().selectFrom('links').select('next_refresh_at').where('id', '=', linkB).executeTakeFirstOrThrow();
    assert.ok(claimed.next_refresh_at!.getTime() > Date.now(), "B's refresh was claimed by the same pass");
  });

  it('an expired MFA session of a nostore link leaves nothing sealed; an abandoned unconfirmed link is deleted', async () => {
    const c = await h().newClient();
    const body = { institution: 'erebor_mx_retail', username: 'mfa_nostore', password: 'pass_valid', credentials_storage: 'nostore', access_mode: 'single' };
    const pending = await c.request('POST', '/api/links/', body);
    assert.equal(pending.status, 428, JSON.stringify(pending.body));
    const linkId = pending.body[0].link as string;
    assert.deepEqual(await sealedOf(linkId), { credentials: 0, sessions: 1 }, 'the session holds the sealed password');

    await advance(c, 601); // past the 600 s session lifetime: the housekeeping deletes it
    assert.deepEqual(await sealedOf(linkId), { credentials: 0, sessions: 0 });
    assert.equal(await linkStatus(c, linkId), 'unconfirmed');

    await advance(c, 7 * DAY);
    assert.equal((await c.request('GET', `/api/links/${linkId}/`)).status, 404, 'unconfirmed for 7 days: deleted');
  });

  it('a nostore link keeps nothing sealed once its operation has ended', async () => {
    const c = await h().newClient();
    const linkId = await createLink(c, 'user_valid', { extra: { credentials_storage: 'nostore', access_mode: 'single' } });
    assert.deepEqual(await sealedOf(linkId), { credentials: 0, sessions: 0 });
  });
});
