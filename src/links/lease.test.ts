import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeStores } from '../../test/helpers/harness.js';
import { extendSessionLease, sessionLeaseHolder } from '../store/queries/links.js';
import { LinkAccess } from './access.js';

/**
 * A link's institution session (LinkAccess.lease): kept alive while its holder runs, so it never
 * lapses under a long operation, and lapses within the TTL once its holder is gone (kill -9).
 */
describeStores('link session lease', (h) => {
  const setup = async (ttl: number) => {
    const c = await h().newClient();
    const res = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', username: 'lease_user', password: 'pass' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const { db } = h().vinculo.store;
    const { vault, institutions } = h().vinculo.services;
    const row = await db.selectFrom('links').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    // Two processes' views of the same link.
    const one = new LinkAccess(db, vault, institutions, { mfaSessionTtl: 600, sessionLeaseTtl: ttl });
    const two = new LinkAccess(db, vault, institutions, { mfaSessionTtl: 600, sessionLeaseTtl: ttl });
    return { db, row, one, two };
  };

  it('a held session is kept alive past its TTL; the other operation is refused until it is released', async () => {
    const { db, row, one, two } = await setup(1);
    const release = await one.lease(row);
    await sleep(2500);
    await assert.rejects(two.lease(row), (err: { code?: string }) => err.code === 'too_many_sessions');
    await release();
    const again = await two.lease(row);
    await again();
    assert.equal(await sessionLeaseHolder(db, row.id), null);
  });

  it('a session nobody keeps alive (its process died) lapses after the TTL; a late renewal never takes it back', async () => {
    const { db, row, one, two } = await setup(1);
    await one.lease(row);
    const token = (await sessionLeaseHolder(db, row.id))!;
    // The holder's process dies: its keep-alive timer stops with it (unref'd in a live test process, so stop it by
    // letting another take over once lapsed, which the renewal must not undo).
    await db.updateTable('links').set({ session_lease_token: 'request:dead' }).where('id', '=', row.id).execute();
    await sleep(1500);
    const release = await two.lease(row);
    await extendSessionLease(db, row.id, token, 60);
    assert.notEqual(await sessionLeaseHolder(db, row.id), token);
    await release();
    await extendSessionLease(db, row.id, token, 60);
    assert.equal(await sessionLeaseHolder(db, row.id), null, 'a renewal after the release does not hold the session again');
  });
});
