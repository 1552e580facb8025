import type { Store } from '../store/db.js';
import { LINK_CHANGES_CHANNEL } from '../store/migrations/0011_link_changes.js';
import { CommitListener } from '../webhooks/wake.js';
import type { Link } from './schema.js';

/**
 * The Link objects this process answered GET /api/links/{id}/ with, by id, so the next GET of the
 * same link needs no query. Correct across processes because every change to a link's shown
 * columns, from any process and any statement, NOTIFYs its id at commit (the `links_changed`
 * trigger, src/store/migrations/0011_link_changes.ts), and this cache forgets that id when the
 * notification arrives — before it answers a request that came after the commit:
 * - embedded: PGlite delivers the notification in this process while the committing statement's
 *   answer is read, before the writer goes on;
 * - PostgreSQL: one listening connection per process (as for key revocations). A request that
 *   would be answered from the cache first waits for a round trip on that connection that began
 *   after it arrived (`caughtUp`): the server sends every notification committed before it, first.
 *   Requests arriving meanwhile share the next round trip, so under load one round trip (a
 *   `select 1`) serves many answers. While the listener is down the cache is off and emptied; it
 *   starts empty again once listening.
 * A read from the store that began before a change must not keep what it read after the change
 * was announced: `mark()` before the query, `set(mark, …)` after it keeps it only if nothing was
 * forgotten since. Entries are frozen (shared by every request), bounded in number, oldest first out.
 * GET /api/links/ counts are kept the same way, per tenant and filters (`countMark`, `setCount`,
 * `lookupCount`): counting 100,000 links took PostgreSQL ~20 ms, most of a list's time; a tenant's
 * counts are forgotten when migration 0012 announces a change that could alter them.
 */
/** Migration 0012's payload for a change to what a tenant's link lists count. */
const TENANT_PREFIX = 'tenant:';
const MAX_COUNTED_TENANTS = 1_000;
const MAX_COUNTS_PER_TENANT = 64;
/** The longest a cached answer waits for the listening connection's round trip before the store answers instead. */
const CATCH_UP_TIMEOUT_MS = 250;

export class LinkViewCache {
  private readonly entries = new Map<string, { tenantId: string; link: Link }>();
  /** List counts by tenant, then by filters (the caller's key), oldest first out. */
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly countGenerations = new Map<string, number>();
  private generation = 0;
  private on = false;
  private listener?: CommitListener;
  private embedded = false;
  /** The round trip in flight, and the one that starts when it ends (PostgreSQL). */
  private current: Promise<void> | null = null;
  /** A round trip outlived CATCH_UP_TIMEOUT_MS and has not come back yet. */
  private stalled = false;
  private next: Promise<void> | null = null;

  constructor(private readonly max = 5_000) {}

  /** True while changes are heard: only then does the cache answer or keep anything. */
  get active(): boolean {
    return this.on;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The tenant's cached link (another tenant's is as absent as an unknown one), as of now: every
   * change committed before this call is taken into account.
   */
  async lookup(tenantId: string, id: string): Promise<Link | undefined> {
    if (!this.on || !this.entries.has(id)) return undefined;
    return (await this.heardAll()) ? this.get(tenantId, id) : undefined;
  }

  /**
   * The count of the tenant's links that pass the filters `key` stands for, as of now (see
   * `lookup`), if this process answered it since the tenant's links last changed in a way that
   * could alter it (migration 0012 announces inserts, deletes and changes to filtered columns).
   */
  async lookupCount(tenantId: string, key: string): Promise<number | undefined> {
    if (!this.on || this.counts.get(tenantId)?.get(key) === undefined) return undefined;
    if (!(await this.heardAll())) return undefined;
    return this.on ? this.counts.get(tenantId)?.get(key) : undefined;
  }

  /** Taken before counting the tenant's links in the store; `setCount` needs it. */
  countMark(tenantId: string): string {
    return `${this.generation}:${this.countGenerations.get(tenantId) ?? 0}`;
  }

  /** Keeps a count unless the tenant's counts (or everything) were forgotten since `mark`. */
  setCount(mark: string, tenantId: string, key: string, count: number): void {
    if (!this.on || mark !== this.countMark(tenantId)) return;
    let counts = this.counts.get(tenantId);
    if (!counts) {
      if (this.counts.size >= MAX_COUNTED_TENANTS) this.forgetCounts(this.counts.keys().next().value!);
      this.counts.set(tenantId, (counts = new Map()));
    }
    counts.delete(key);
    counts.set(key, count);
    if (counts.size > MAX_COUNTS_PER_TENANT) counts.delete(counts.keys().next().value!);
  }

  /** Every change committed before this call has been heard (PostgreSQL: a round trip on the listener). */
  private async heardAll(): Promise<boolean> {
    if (this.embedded) return true;
    // A round trip takes well under a millisecond; one that takes longer than this means the
    // database is in trouble (drill 3 pauses it): the store answers, within its own timeouts
    // (503), and until a round trip comes back every lookup goes straight to the store.
    if (this.stalled) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.caughtUp(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('catching up timed out')), CATCH_UP_TIMEOUT_MS))),
      ]);
    } catch {
      this.stalled = this.listener !== undefined;
      return false; // not listening any more, or not answering: the store answers
    } finally {
      clearTimeout(timer);
    }
    return true;
  }

  /** What the cache holds for the tenant's link now (no catching up: see `lookup`). */
  get(tenantId: string, id: string): Link | undefined {
    if (!this.on) return undefined;
    const e = this.entries.get(id);
    return e !== undefined && e.tenantId === tenantId ? e.link : undefined;
  }

  /** Taken before reading a link from the store; `set` needs it. */
  mark(): number {
    return this.generation;
  }

  /** Keeps `link` unless a change was announced since `mark` (or the cache is off). */
  set(mark: number, tenantId: string, link: Link): void {
    if (!this.on || mark !== this.generation) return;
    const frozen = Object.freeze({ ...link, fetch_resources: Object.freeze([...link.fetch_resources]) as string[] });
    this.entries.delete(link.id);
    this.entries.set(link.id, { tenantId, link: frozen });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets link `id` (null or '': every link, and every count). */
  forget(id: string | null): void {
    this.generation++;
    if (id) this.entries.delete(id);
    else {
      this.entries.clear();
      this.counts.clear();
      this.countGenerations.clear(); // marks also carry `generation`, which moved
    }
  }

  /** Forgets the tenant's counts. */
  forgetCounts(tenantId: string): void {
    this.countGenerations.set(tenantId, (this.countGenerations.get(tenantId) ?? 0) + 1);
    this.counts.delete(tenantId);
  }

  /** A round trip on the listening connection that starts after this call (shared). */
  private caughtUp(): Promise<void> {
    const listener = this.listener;
    if (!listener) return Promise.reject(new Error('not listening'));
    const run = () => {
      const p = listener.caughtUp().finally(() => {
        if (this.current === p) this.current = null;
        this.stalled = false;
      });
      this.current = p;
      return p;
    };
    if (!this.current) return run();
    // One in flight began before this call: the next one, started when it ends, is ours.
    this.next ??= this.current
      .catch(() => {})
      .then(() => {
        this.next = null;
        return run();
      });
    return this.next;
  }

  private enable(on: boolean): void {
    this.forget(null);
    this.on = on;
    this.stalled = false;
  }

  /** Listens for the store's link changes (each process once); the cache is on from then on. */
  async listen(store: Store, onError: (err: unknown) => void): Promise<void> {
    if (this.listener) return;
    this.embedded = store.kind === 'embedded';
    this.listener = new CommitListener(
      store,
      LINK_CHANGES_CHANNEL,
      // '' comes once the (re)connected listener is listening: whatever changed before is unknown.
      (payload) => {
        if (!payload) this.enable(true);
        else if (payload.startsWith(TENANT_PREFIX)) this.forgetCounts(payload.slice(TENANT_PREFIX.length));
        else this.forget(payload);
      },
      (err) => {
        this.enable(false);
        onError(err);
      },
    );
    await this.listener.start();
    if (store.kind === 'embedded') this.enable(true);
  }

  async stop(): Promise<void> {
    this.enable(false);
    await this.listener?.stop();
    this.listener = undefined;
  }
}
