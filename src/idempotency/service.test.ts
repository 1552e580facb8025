import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { migrate, openStore, type Store } from '../store/db.js';
import type { Vault } from '../vault/index.js';
import { Idempotency } from './service.js';

/**
 * A store that fails while a claim is taken or released (drill 3, test/drills/database-pause.ts:
 * a silent database) must not leave the key `running`: every retry would be a 409
 * idempotency_key_in_use until the stale takeover. The failing store is a
 * Kysely plugin: it fails a statement before it runs, or after it ran (committed, answer lost).
 */

type Failure = null | { kind: 'insert' | 'delete'; when: 'before' | 'after' };

class FailingStore implements KyselyPlugin {
  failure: Failure = null;
  private readonly kinds = new WeakMap<object, string>();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    // The claim is raw SQL (insert … on conflict): its first word says what it is.
    const raw = node.kind === 'RawNode' ? node.sqlFragments.join('').trim().split(/\s/)[0].toLowerCase() : null;
    const kind = node.kind === 'InsertQueryNode' || raw === 'insert' ? 'insert' : node.kind === 'DeleteQueryNode' || raw === 'delete' ? 'delete' : 'other';
    this.kinds.set(args.queryId, kind);
    if (this.failure?.kind === kind && this.failure.when === 'before') throw new Error('the store does not answer');
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const f = this.failure;
    if (f && f.kind === this.kinds.get(args.queryId) && f.when === 'after') throw new Error('the answer was lost');
    return args.result;
  }
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await sleep(25);
  }
  assert.fail(`${what} never happened`);
}

describe('Idempotency: a failing store leaves no key running', () => {
  let store: Store;
  let tenant: string;
  const plugin = new FailingStore();
  let idem: Idempotency;
  const running = (key: string) =>
    store.db.selectFrom('idempotency_keys').select('id').where('key', '=', key).where('state', '=', 'running').execute().then((r) => r.length);

  before(async () => {
    store = await openStore({ kind: 'embedded', dataDir: null });
    await migrate(store.db);
    tenant = randomUUID();
    await store.db.insertInto('tenants').values({ id: tenant, name: 'idem', user_id_key: 'k' }).execute();
    // Answers are never completed here, so the vault is never used.
    idem = new Idempotency(store.db.withPlugin(plugin), null as unknown as Vault, { releaseRetryMs: 20 });
  });
  after(() => store?.close());

  it('a release that fails is retried once the store answers', async () => {
    const first = await idem.begin(tenant, 'k-release', 'h');
    assert.equal(first.kind, 'claimed');
    plugin.failure = { kind: 'delete', when: 'before' };
    await assert.rejects(idem.release((first as { claim: string }).claim));
    await sleep(100);
    assert.equal(await running('k-release'), 1, 'still running while the store fails');
    await assert.rejects(idem.begin(tenant, 'k-release', 'h'), /idempotency_key_in_use|still being processed/i);
    plugin.failure = null;
    await until('the release', async () => (await running('k-release')) === 0);
    assert.equal((await idem.begin(tenant, 'k-release', 'h')).kind, 'claimed', 'the retry runs');
  });

  it('a claim whose answer was lost is released', async () => {
    plugin.failure = { kind: 'insert', when: 'after' };
    await assert.rejects(idem.begin(tenant, 'k-claim', 'h'), /answer was lost/);
    plugin.failure = null;
    await until('the release', async () => (await running('k-claim')) === 0);
    assert.equal((await idem.begin(tenant, 'k-claim', 'h')).kind, 'claimed', 'the retry runs');
  });
});

describe('Idempotency: a claim is taken over only once its process stops keeping it alive', () => {
  let store: Store;
  let tenant: string;
  const options = { heartbeatMs: 50, staleMs: 400 };
  before(async () => {
    store = await openStore({ kind: 'embedded', dataDir: null });
    await migrate(store.db);
    tenant = randomUUID();
    await store.db.insertInto('tenants').values({ id: tenant, name: 'idem-beat', user_id_key: 'k' }).execute();
  });
  after(() => store?.close());

  it("a long request keeps its key; a dead process's key goes to the next retry", async () => {
    const alive = new Idempotency(store.db, null as unknown as Vault, options);
    const first = await alive.begin(tenant, 'k-beat', 'h');
    assert.equal(first.kind, 'claimed');
    // Twice the stale time: the first request still runs, kept alive by its process.
    await sleep(800);
    const other = new Idempotency(store.db, null as unknown as Vault, options);
    await assert.rejects(other.begin(tenant, 'k-beat', 'h'), /idempotency_key_in_use|still being processed/i);
    await alive.release((first as { claim: string }).claim);

    // A process that dies: its claim is never marked again (a second instance stands for it, its timer stopped).
    const dying = new Idempotency(store.db, null as unknown as Vault, { ...options, heartbeatMs: 60_000 });
    const lost = await dying.begin(tenant, 'k-dead', 'h');
    assert.equal(lost.kind, 'claimed');
    await assert.rejects(other.begin(tenant, 'k-dead', 'h'), /idempotency_key_in_use|still being processed/i);
    await sleep(500);
    const retry = await other.begin(tenant, 'k-dead', 'h');
    assert.equal(retry.kind, 'claimed', 'taken over once stale');
    await other.release((retry as { claim: string }).claim);
  });
});
