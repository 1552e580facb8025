import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { Vault } from '../vault/index.js';
import { SIGNING_PURPOSE, WidgetTokens } from './tokens.js';

const claims = { sid: '11111111-1111-4111-8111-111111111111', tenant: 't1', scopes: ['read_institutions' as const], link: null };

async function rejects(p: Promise<unknown>, message: RegExp | string = /Invalid/): Promise<void> {
  await assert.rejects(p, (e: any) => e.code === 'authentication_failed' && (typeof message === 'string' ? e.message === message : message.test(e.message)));
}

describe('widget tokens', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = new WidgetTokens(new Vault({ current: oldKey, previous: [] }).deriveKeys(SIGNING_PURPOSE));
  const after = new WidgetTokens(new Vault({ current: newKey, previous: [oldKey] }).deriveKeys(SIGNING_PURPOSE));
  const elsewhere = new WidgetTokens(new Vault({ current: randomBytes(32), previous: [] }).deriveKeys(SIGNING_PURPOSE));

  it('signs and verifies, keeping the claims', async () => {
    const { token, jti, exp } = await before.sign({ ...claims, use: 'access' });
    const out = await before.verify(token, 'access');
    assert.deepEqual(out, { ...claims, use: 'access', jti, exp });
  });

  it('keeps working across a master-key rotation while the old key is listed', async () => {
    const { token } = await before.sign({ ...claims, use: 'access' });
    assert.equal((await after.verify(token, 'access')).sid, claims.sid);
    await rejects(elsewhere.verify(token, 'access'));
  });

  it('derives a key of its own: not the master key, different per purpose', () => {
    const vault = new Vault({ current: oldKey, previous: [] });
    const [widget] = vault.deriveKeys(SIGNING_PURPOSE);
    const [other] = vault.deriveKeys('another-purpose');
    assert.notDeepEqual(widget.key, oldKey);
    assert.notDeepEqual(widget.key, other.key);
    assert.equal(widget.id, vault.currentKeyId);
  });

  it('refuses the other use, expiry, tampering, alg none and foreign keys', async () => {
    const refresh = await before.sign({ ...claims, use: 'refresh' });
    await rejects(before.verify(refresh.token, 'access'));
    const stale = await before.sign({ ...claims, use: 'access' }, Date.now() - 601_000);
    await rejects(before.verify(stale.token, 'access'), 'The access token has expired');
    const { token } = await before.sign({ ...claims, use: 'access' });
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    await rejects(before.verify(`${h}.${Buffer.from(JSON.stringify({ ...payload, tenant: 't2' })).toString('base64url')}.${s}`, 'access'));
    const none = new UnsecuredJWT(payload).encode();
    await rejects(before.verify(none, 'access'));
    const [{ id }] = new Vault({ current: oldKey, previous: [] }).deriveKeys(SIGNING_PURPOSE);
    const foreign = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: id }).sign(randomBytes(32));
    await rejects(before.verify(foreign, 'access'));
    await rejects(before.verify('not.a.jwt', 'access'));
  });
});
