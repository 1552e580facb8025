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
 */
/** The longest a cached answer waits for the listening connection's round trip before the store answers instead. */
const CATCH_UP_TIMEOUT_MS = 250;

export class LinkViewCache {
  private readonly entries = new Map<string, { tenantId: string; link: Link }>();
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
    if (this.embedded) return this.get(tenantId, id);
    // A round trip takes well under a millisecond; one that takes longer than this means the
    // database is in trouble (drill 3 pauses it): the store answers, within its own timeouts
    // (503), and until a round trip comes back every lookup goes straight to the store.
    if (this.stalled) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.caughtUp(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('catching up timed out')), CATCH_UP_TIMEOUT_MS))),
      ]);
    } catch {
      this.stalled = this.listener !== undefined;
      return undefined; // not listening any more, or not answering: the store answers
    } finally {
      clearTimeout(timer);
    }
    return this.get(tenantId, id);
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

  /** Forgets link `id` (null or '': every link). */
  forget(id: string | null): void {
    this.generation++;
    if (id) this.entries.delete(id);
    else this.entries.clear();
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
      (id) => (id ? this.forget(id) : this.enable(true)),
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
