import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VinculoError } from '../errors.js';
import { migrate, openStore, type Store } from '../store/db.js';
import { findSealedToRewrap, SEALED_TABLES, updateWrappedKey } from '../store/queries/sealed.js';
import { keyId, loadKeyring, rotateDevKeyring, rotateMaster, Vault } from './index.js';
import { sql } from 'kysely';

const SECRET = 'hunter2-very-secret-password';
const isVaultError = (err: unknown) => err instanceof VinculoError && err.code === 'vault_error';
const isConfigError = (err: unknown) => err instanceof VinculoError && err.code === 'config_error';

/** Asserts `fn` throws a vault_error whose message does not leak `secret`. */
function assertVaultError(fn: () => unknown, secret = SECRET) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isVaultError(err), `expected vault_error, got ${String(err)}`);
    assert.ok(!(err as Error).message.includes(secret));
    assert.ok(!(err as Error).stack?.includes(secret));
    return true;
  });
}

/** Flips one bit of a base64 field's decoded bytes. */
function flip(b64: string, at: number): string {
  const buf = Buffer.from(b64, 'base64');
  buf[at] ^= 1;
  return buf.toString('base64');
}

describe('vault envelope', () => {
  const vault = new Vault({ current: randomBytes(32), previous: [] });

  it('round-trips strings, bytes and JSON', () => {
    const sealed = vault.seal(SECRET, 'link-1');
    assert.equal(sealed.key_id, vault.currentKeyId);
    assert.ok(!sealed.ciphertext.includes(SECRET));
    assert.equal(vault.open(sealed, 'link-1').toString('utf8'), SECRET);

    const bin = randomBytes(100);
    assert.deepEqual(vault.open(vault.seal(bin, 'x'), 'x'), bin);
    assert.equal(vault.open(vault.seal('', 'x'), 'x').length, 0);

    const creds = { username: 'ana', password: SECRET, token: null };
    assert.deepEqual(vault.openJson(vault.sealJson(creds, 'link-1'), 'link-1'), creds);
  });

  it('uses a fresh data key and IV per seal', () => {
    const a = vault.seal(SECRET, 'l');
    const b = vault.seal(SECRET, 'l');
    assert.notEqual(a.wrapped_key, b.wrapped_key);
    assert.notEqual(a.ciphertext, b.ciphertext);
  });

  it('binds the ciphertext to its AAD', () => {
    const sealed = vault.sealJson({ password: SECRET }, 'link-1');
    assertVaultError(() => vault.openJson(sealed, 'link-2'));
    assertVaultError(() => vault.open(sealed, ''));
  });

  it('detects tampering anywhere in the envelope', () => {
    const sealed = vault.seal(SECRET, 'link-1');
    for (const at of [0, 12, 30, 40]) {
      assertVaultError(() => vault.open({ ...sealed, ciphertext: flip(sealed.ciphertext, at) }, 'link-1'));
    }
    for (const at of [0, 15, 40, 59]) {
      assertVaultError(() => vault.open({ ...sealed, wrapped_key: flip(sealed.wrapped_key, at) }, 'link-1'));
    }
    assertVaultError(() => vault.open({ ...sealed, ciphertext: sealed.ciphertext.slice(0, 8) }, 'link-1'));
    assertVaultError(() => vault.open({ ...sealed, wrapped_key: '' }, 'link-1'));
    // Swapping ciphertexts between envelopes (other data key) fails too.
    const other = vault.seal(SECRET, 'link-1');
    assertVaultError(() => vault.open({ ...sealed, ciphertext: other.ciphertext }, 'link-1'));
  });

  it('refuses unknown and relabelled master keys', () => {
    const other = new Vault({ current: randomBytes(32), previous: [] });
    const sealed = other.seal(SECRET, 'l');
    assert.throws(() => vault.open(sealed, 'l'), (e: unknown) => isVaultError(e) && /unknown master key/.test((e as Error).message));
    // Same wrapped key claimed under this vault's id: the key id is authenticated.
    assertVaultError(() => vault.open({ ...sealed, key_id: vault.currentKeyId }, 'l'));
  });

  it('never quotes a non-JSON plaintext', () => {
    const sealed = vault.seal(`not json ${SECRET}`, 'l');
    assertVaultError(() => vault.openJson(sealed, 'l'));
  });

  it('derives stable public key ids and rejects bad key sizes', () => {
    const key = randomBytes(32);
    assert.match(keyId(key), /^[0-9a-f]{16}$/);
    assert.equal(keyId(Buffer.from(key)), keyId(key));
    assert.throws(() => new Vault({ current: randomBytes(16), previous: [] }), isConfigError);
  });

  it('rewraps only the data key, under the current key', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const sealed = new Vault({ current: a, previous: [] }).seal(SECRET, 'l');
    const vab = new Vault({ current: b, previous: [a] });
    assert.equal(vab.needsRewrap(sealed), true);
    const re = vab.rewrap(sealed);
    assert.equal(re.key_id, keyId(b));
    assert.equal(re.ciphertext, sealed.ciphertext);
    assert.equal(vab.needsRewrap(re), false);
    assert.equal(vab.rewrap(re), re);
    assert.equal(new Vault({ current: b, previous: [] }).open(re, 'l').toString(), SECRET);
  });
});

describe('keyring loading', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'vinculo-vault-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('uses VINCULO_MASTER_KEY and previous keys when given', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const warnings: string[] = [];
    const ring = loadKeyring({
      masterKey: b.toString('base64'),
      previousKeys: [a.toString('base64'), ' '],
      dataDir: '/nonexistent',
      production: true,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(ring.current, b);
    assert.deepEqual(ring.previous, [a]);
    assert.deepEqual(warnings, []);
  });

  it('rejects invalid keys without echoing them', () => {
    const bad = [randomBytes(16).toString('base64'), randomBytes(33).toString('base64'), 'not base64 at all!!'];
    for (const masterKey of bad) {
      assert.throws(
        () => loadKeyring({ masterKey, dataDir: tmp(), production: false, warn: () => {} }),
        (e: unknown) => isConfigError(e) && /VINCULO_MASTER_KEY/.test((e as Error).message) && !(e as Error).message.includes(masterKey),
      );
    }
    const previous = randomBytes(31).toString('base64');
    assert.throws(
      () => loadKeyring({ masterKey: randomBytes(32).toString('base64'), previousKeys: [previous], dataDir: tmp(), production: true, warn: () => {} }),
      (e: unknown) => isConfigError(e) && /VINCULO_PREVIOUS_MASTER_KEYS/.test((e as Error).message) && !(e as Error).message.includes(previous),
    );
  });

  it('refuses to run without a master key in production', () => {
    const dataDir = tmp();
    assert.throws(
      () => loadKeyring({ dataDir, production: true, warn: () => {} }),
      (e: unknown) => isConfigError(e) && (e as Error).message === 'VINCULO_MASTER_KEY is required when NODE_ENV=production',
    );
    assert.throws(() => statSync(join(dataDir, 'master-keys.json')), /ENOENT/);
  });

  it('creates a 0600 development keyring once, then reuses it', () => {
    const dataDir = join(tmp(), 'nested', 'data');
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const first = loadKeyring({ dataDir, production: false, warn });
    const path = join(dataDir, 'master-keys.json');
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes(path) && warnings[0].includes('VINCULO_MASTER_KEY'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(file.current, keyId(first.current));
    assert.equal(file.keys[file.current], first.current.toString('base64'));

    const second = loadKeyring({ dataDir, production: false, warn });
    assert.deepEqual(second.current, first.current);
    assert.equal(warnings.length, 1);
  });

  it('rejects a corrupted development keyring', () => {
    const dataDir = tmp();
    const path = join(dataDir, 'master-keys.json');
    const key = randomBytes(32);
    writeFileSync(path, JSON.stringify({ current: 'deadbeefdeadbeef', keys: { deadbeefdeadbeef: key.toString('base64') } }), { mode: 0o600 });
    assert.throws(() => loadKeyring({ dataDir, production: false, warn: () => {} }), isConfigError);
    writeFileSync(path, '{oops');
    assert.throws(() => loadKeyring({ dataDir, production: false, warn: () => {} }), isConfigError);
  });

  it('rotates the development keyring, keeping old keys', () => {
    const dataDir = tmp();
    const first = loadKeyring({ dataDir, production: false, warn: () => {} });
    const sealed = new Vault(first).seal(SECRET, 'l');
    const rotated = rotateDevKeyring(dataDir);
    assert.notDeepEqual(rotated.current, first.current);
    assert.deepEqual(rotated.previous, [first.current]);
    assert.deepEqual(loadKeyring({ dataDir, production: false, warn: () => {} }), rotated);
    assert.equal(statSync(join(dataDir, 'master-keys.json')).mode & 0o777, 0o600);
    assert.equal(new Vault(rotated).open(sealed, 'l').toString(), SECRET);
    assert.throws(() => rotateDevKeyring(tmp()), isConfigError);
  });
});

describe('master key rotation (PGlite)', () => {
  let store: Store;
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  const vaultA = new Vault({ current: keyA, previous: [] });
  const vaultAB = new Vault({ current: keyB, previous: [keyA] });
  const tenantId = randomUUID();
  const links: string[] = [];
  const mfaIds: string[] = [];

  before(async () => {
    store = await openStore({ kind: 'embedded', dataDir: null });
    await migrate(store.db);
    const db = store.db;
    await db.insertInto('tenants').values({ id: tenantId, name: 'acme', user_id_key: randomBytes(32).toString('base64') }).execute();
    for (let i = 0; i < 7; i++) {
      const id = randomUUID();
      links.push(id);
      await db
        .insertInto('links')
        .values({
          id,
          tenant_id: tenantId,
          institution: 'erebor_mx_retail',
          access_mode: 'recurrent',
          status: 'valid',
          created_by: randomUUID(),
          institution_user_id: `user-${i}`,
          credentials_storage: 'store',
          fetch_resources: [],
          fetch_historical: false,
          updated_at: new Date(),
        })
        .execute();
      await db.insertInto('link_credentials').values({ link_id: id, ...vaultA.sealJson({ password: `${SECRET}-${i}` }, id), updated_at: new Date() }).execute();
      const mfaId = `mfa-${i}`;
      mfaIds.push(mfaId);
      await db
        .insertInto('mfa_sessions')
        .values({ id: mfaId, link_id: id, tenant_id: tenantId, purpose: 'register', expires_at: new Date(Date.now() + 60_000), ...vaultA.sealJson({ step: i }, mfaId) })
        .execute();
    }
    // A table keyed by something else than `id` or `link_id`.
    await db
      .insertInto('sandbox_ofb_bank')
      .values({
        institution: 'ofmockbank_br_retail',
        discovery_url: 'https://127.0.0.1:1/.well-known/openid-configuration',
        api_base_url: 'https://127.0.0.1:1',
        client_id: 'client',
        redirect_uri: 'http://localhost/ofb/callback',
        owner: 'test',
        started_at: new Date(),
        ...vaultA.sealJson({ key: SECRET }, 'sandbox-bank'),
      })
      .execute();
  });
  after(() => store?.close());

  it('covers every table that holds vault envelopes', async () => {
    const r = await sql<{ table_name: string }>`
      select table_name from information_schema.columns
      where table_schema = current_schema() and column_name = 'wrapped_key' order by table_name`.execute(store.db);
    assert.deepEqual(r.rows.map((c) => c.table_name), [...SEALED_TABLES].sort());
  });

  it('updates a row only if its envelope is unchanged', async () => {
    const [row] = await findSealedToRewrap(store.db, 'link_credentials', vaultAB.currentKeyId, 1);
    const stale = { key_id: row.key_id, wrapped_key: flip(row.wrapped_key, 0) };
    assert.equal(await updateWrappedKey(store.db, 'link_credentials', row.pk, stale, vaultAB.rewrap(row)), false);
    const after = await store.db.selectFrom('link_credentials').selectAll().where('link_id', '=', row.pk).executeTakeFirstOrThrow();
    assert.equal(after.key_id, keyId(keyA));
  });

  it('re-wraps every row in batches, then has nothing left to do', async () => {
    assert.deepEqual(await rotateMaster(store.db, vaultAB, { batchSize: 3 }), { rewrapped: 15 });
    assert.deepEqual(await rotateMaster(store.db, vaultAB, { batchSize: 3 }), { rewrapped: 0 });

    const vaultB = new Vault({ current: keyB, previous: [] });
    const creds = await store.db.selectFrom('link_credentials').selectAll().execute();
    assert.equal(creds.length, 7);
    for (const row of creds) {
      assert.equal(row.key_id, keyId(keyB));
      const i = links.indexOf(row.link_id);
      assert.deepEqual(vaultB.openJson<{ password: string }>(row, row.link_id), { password: `${SECRET}-${i}` });
      assertVaultError(() => vaultA.open(row, row.link_id));
    }
    const sessions = await store.db.selectFrom('mfa_sessions').selectAll().execute();
    assert.equal(sessions.length, 7);
    for (const row of sessions) {
      assert.equal(row.key_id, keyId(keyB));
      assert.deepEqual(vaultB.openJson(row, row.id), { step: mfaIds.indexOf(row.id) });
    }
    const bank = await store.db.selectFrom('sandbox_ofb_bank').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual(vaultB.openJson(bank, 'sandbox-bank'), { key: SECRET });
  });

  it('stops on rows wrapped by an unknown key', async () => {
    const stranger = new Vault({ current: randomBytes(32), previous: [] });
    await store.db.updateTable('link_credentials').set(stranger.seal(SECRET, links[0])).where('link_id', '=', links[0]).execute();
    await assert.rejects(rotateMaster(store.db, vaultAB), isVaultError);
  });
});
