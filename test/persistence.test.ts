import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../src/config.js';
import { createVinculo, type Vinculo } from '../src/server.js';
import { openStore, type StoreOptions } from '../src/store/db.js';
import { keyId, rotateMaster, Vault } from '../src/vault/index.js';
import { client, type Client } from './helpers/harness.js';
import { freshStore, STORES, type StoreName } from './helpers/stores.js';

/**
 * What survives a restart: API keys, links, sealed credentials and open MFA sessions, on the
 * embedded store (a real data dir, the store chosen by config as in production) and on
 * PostgreSQL. Then a master-key rotation done the documented way (servers on [new, old], re-wrap,
 * servers on [new]) without stopping the API.
 */

const KEY_A = Buffer.alloc(32, 0xa1).toString('base64');
const KEY_B = Buffer.alloc(32, 0xb2).toString('base64');
const LONG = { timeout: 180_000 };

const tempDirs: string[] = [];
const open = new Set<Vinculo>();
after(async () => {
  for (const v of open) await v.close().catch(() => {});
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Where one scenario keeps its data: a data dir (embedded, chosen by config) or a database. */
async function placeFor(store: StoreName): Promise<{ dataDir: string; store?: StoreOptions }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vinculo-persist-'));
  tempDirs.push(dataDir);
  return store === 'embedded' ? { dataDir } : { dataDir, store: await freshStore('postgres') };
}

async function start(config: Config, store?: StoreOptions): Promise<Vinculo> {
  // No background workers: this suite checks what its own requests stored survives a restart.
  const v = await createVinculo({ config, store, warn: () => {}, workers: false });
  open.add(v);
  return v;
}

async function stop(v: Vinculo): Promise<void> {
  open.delete(v);
  await v.close();
}

const register = { institution: 'erebor_mx_retail', username: 'persist_user', password: 'pass_valid' };
const mfaRegister = { institution: 'erebor_mx_retail', username: 'mfa_persist', password: 'pass_valid' };

for (const kind of STORES) {
  describe(`restart persistence [${kind}]`, LONG, () => {
    let place: { dataDir: string; store?: StoreOptions };
    let config: Config;
    let v: Vinculo;
    let key: { tenant: string; id: string; password: string };
    let linkBefore: any;
    let mfa: { session: string; link: string };

    before(async () => {
      place = await placeFor(kind);
      config = loadConfig({ VINCULO_DATA_DIR: place.dataDir, VINCULO_MASTER_KEY: KEY_A });
    });

    it('first run: a key, a link and an open MFA session', LONG, async () => {
      v = await start(config, place.store);
      assert.equal(v.store.kind, kind);
      key = await v.services.tenants.createKey({ tenant: 'persist' });
      const c = client(v, key.tenant, key.id, key.password);
      const created = await c.request('POST', '/api/links/', register);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      linkBefore = (await c.request('GET', `/api/links/${created.body.id}/`)).body;
      assert.equal(linkBefore.status, 'valid');

      const challenged = await c.request('POST', '/api/links/', mfaRegister);
      assert.equal(challenged.status, 428, JSON.stringify(challenged.body));
      mfa = { session: challenged.body[0].session, link: challenged.body[0].link };
      assert.ok(mfa.session && mfa.link);
      await stop(v);
      if (kind === 'embedded') {
        assert.ok(existsSync(join(place.dataDir, 'pgdata')), 'the embedded store lives in the data dir');
        assert.ok(!existsSync(join(place.dataDir, 'vinculo.lock')), 'close() released the lock');
      }
    });

    it('after a restart: the key authenticates, the links are there, credentials and the MFA session open', LONG, async () => {
      v = await start(config, place.store);
      const c = client(v, key.tenant, key.id, key.password);
      assert.equal((await client(v, key.tenant, key.id, 'wrong-password').request('GET', '/api/links/')).status, 401);

      const list = await c.request('GET', '/api/links/');
      assert.equal(list.status, 200);
      assert.equal(list.body.count, 2);
      assert.deepEqual(
        list.body.results.find((l: any) => l.id === linkBefore.id),
        linkBefore,
        'the link comes back with the same fields',
      );
      const pending = list.body.results.find((l: any) => l.id === mfa.link);
      assert.equal(pending?.status, 'unconfirmed');

      // PUT needs the stored username: the sealed credentials opened after the restart.
      const put = await c.request('PUT', `/api/links/${linkBefore.id}/`, { password: 'new-pass' });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.status, 'valid');
      assert.equal(put.body.institution_user_id, linkBefore.institution_user_id, 'same user, same tenant key');

      const wrong = await c.request('PATCH', '/api/links/', { ...mfa, token: '000000' });
      assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
      assert.equal(wrong.body[0].code, 'login_error');
      const resumed = await c.request('PATCH', '/api/links/', { ...mfa, token: '123456' });
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      assert.equal(resumed.body.id, mfa.link);
      assert.equal(resumed.body.status, 'valid');
      await stop(v);
    });
  });

  describe(`master key rotation without downtime [${kind}]`, LONG, () => {
    let place: { dataDir: string; store?: StoreOptions };
    const env = (extra: Record<string, string>) => loadConfig({ VINCULO_DATA_DIR: place.dataDir, ...extra });
    let v0: Vinculo | undefined; // the old deployment: A only
    let v1: Vinculo | undefined; // step 1: B current, A previous
    let key: { tenant: string; id: string; password: string };
    const ids = { l1: '', l2: '', mfaLink: '', mfaSession: '' };
    const as = (v: Vinculo): Client => client(v, key.tenant, key.id, key.password);

    async function sealedKeyIds(v: Vinculo): Promise<string[]> {
      const creds = await v.store.db.selectFrom('link_credentials').select('key_id').execute();
      const sessions = await v.store.db.selectFrom('mfa_sessions').select('key_id').execute();
      return [...creds, ...sessions].map((r) => r.key_id);
    }

    before(async () => {
      place = await placeFor(kind);
    });

    it('the old deployment seals under A', LONG, async () => {
      v0 = await start(env({ VINCULO_MASTER_KEY: KEY_A }), place.store);
      key = await v0.services.tenants.createKey({ tenant: 'rotation' });
      const c = as(v0);
      for (const [name, username] of [['l1', 'rot_one'], ['l2', 'rot_two']] as const) {
        const r = await c.request('POST', '/api/links/', { ...register, username });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        ids[name] = r.body.id;
      }
      const m = await c.request('POST', '/api/links/', { ...mfaRegister, username: 'mfa_rotation' });
      assert.equal(m.status, 428);
      ids.mfaLink = m.body[0].link;
      ids.mfaSession = m.body[0].session;
      const A = keyId(Buffer.from(KEY_A, 'base64'));
      assert.deepEqual(await sealedKeyIds(v0), [A, A, A]);
      // PGlite is single-process: the old deployment stops before the new one starts. PostgreSQL
      // keeps it running beside the new one, as a rolling deploy would.
      if (kind === 'embedded') {
        await stop(v0);
        v0 = undefined;
      }
    });

    it('servers on [B, A] keep serving while rotateMaster re-wraps everything under B', LONG, async () => {
      v1 = await start(env({ VINCULO_MASTER_KEY: KEY_B, VINCULO_PREVIOUS_MASTER_KEYS: KEY_A }), place.store);
      const c = as(v1);
      // A value sealed under A opens; the PUT re-seals it under B (so rotation has one less to do).
      const put1 = await c.request('PUT', `/api/links/${ids.l1}/`, { password: 'new-pass' });
      assert.equal(put1.status, 200, JSON.stringify(put1.body));

      // The rotation runs where the CLI would: its own connection on PostgreSQL, the server's
      // database on the embedded store (one process) — while requests keep coming.
      const rotationStore = kind === 'postgres' ? await openStore(place.store!) : null;
      try {
        const db = rotationStore?.db ?? v1.store.db;
        const vault = new Vault({ current: Buffer.from(KEY_B, 'base64'), previous: [Buffer.from(KEY_A, 'base64')] });
        const [rotation, list, again] = await Promise.all([
          rotateMaster(db, vault, { batchSize: 1 }),
          c.request('GET', '/api/links/'),
          c.request('PUT', `/api/links/${ids.l1}/`, { password: 'newer-pass' }),
        ]);
        assert.equal(list.status, 200);
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.equal(rotation.rewrapped, 2, "l2's credentials and the MFA session");
        assert.deepEqual(await rotateMaster(db, vault), { rewrapped: 0 }, 'a second run has nothing left');
      } finally {
        await rotationStore?.close();
      }
      const B = keyId(Buffer.from(KEY_B, 'base64'));
      assert.deepEqual(await sealedKeyIds(v1), [B, B, B]);

      if (v0) {
        // The old deployment never learnt B: this is why step 1 (deploy [B, A]) comes first.
        const stale = await as(v0).request('PUT', `/api/links/${ids.l2}/`, { password: 'new-pass' });
        assert.equal(stale.status, 500);
        await stop(v0);
        v0 = undefined;
      }
      if (kind === 'embedded') {
        await stop(v1);
        v1 = undefined;
      }
    });

    it('a server with VINCULO_MASTER_KEY=B only opens every old value', LONG, async () => {
      const v2 = await start(env({ VINCULO_MASTER_KEY: KEY_B }), place.store);
      const c = as(v2);
      for (const id of [ids.l2, ids.l1]) {
        const put = await c.request('PUT', `/api/links/${id}/`, { password: 'after-rotation' });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        assert.equal(put.body.status, 'valid');
      }
      const resumed = await c.request('PATCH', '/api/links/', { session: ids.mfaSession, link: ids.mfaLink, token: '123456' });
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      assert.equal(resumed.body.status, 'valid');
      await stop(v2);
      if (v1) {
        await stop(v1);
        v1 = undefined;
      }
    });
  });
}
