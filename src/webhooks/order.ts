import type { Kysely } from 'kysely';
import * as q from '../store/queries/webhooks.js';
import type { Database } from '../store/schema.js';
import { Coalescer } from './coalesce.js';

/**
 * Deliveries to one endpoint go in order per link: a delivery is not attempted while an earlier
 * one (creation order, `seq`) of the same endpoint and link is pending; when that one ends
 * (delivered, or failed for good) the next starts at once. Events without a link are unordered.
 *
 * - Every new delivery still gets its job at once (the emit cannot know, inside a transaction that
 *   has not committed, whether the delivery ahead of it will have ended by then). The attempt reads
 *   `blocked` with its target; a blocked delivery is parked (`waiting`) instead of sent.
 * - Parking locks the oldest pending delivery ahead FOR SHARE, and starting the next waiting
 *   delivery runs after the end of the one before it has committed, in its own transaction: so
 *   either the parking sees that end (and sends), or the start sees the parked delivery. Nothing
 *   waits without somebody to start it, and no timer is involved.
 * - A retry that is blocked (a redelivery of an older event made it so) keeps its own due time;
 *   `claimDue` skips it until nothing is pending ahead of it.
 * - Starting is first a read (a fresh snapshot, after the end committed, so it sees any delivery
 *   parked before that end), then a transaction only for the pairs where something waits.
 * - A crash between an end and the start of the next: the job of the ended delivery runs again
 *   (its completion was not recorded), finds it ended, and starts the next (`afterEnd`).
 * @internal
 */

export interface Pair {
  endpoint_id: string;
  link_id: string;
}

export class LinkOrder {
  private readonly parks = new Coalescer<{ id: string; now: Date }, boolean>(async (list) => {
    const parked = new Set(await q.parkDeliveries(this.db, list));
    return list.map((p) => parked.has(p.id));
  });
  private readonly starts = new Coalescer<Pair, void>(async (pairs) => {
    const unique = [...new Map(pairs.map((p) => [`${p.endpoint_id} ${p.link_id}`, p])).values()];
    // Mostly nothing waits: one read instead of a transaction.
    const waiting = await q.pairsWithWaitingHead(this.db, unique);
    if (!waiting.length) return pairs.map(() => undefined);
    const started = await this.db.transaction().execute(async (tx) => {
      const rows = await q.startWaiting(tx, waiting);
      await this.sendJobs(tx, rows.map((r) => r.id));
      return rows.length;
    });
    // This process delivers (it just ended a delivery): its own workers take the jobs, no NOTIFY
    // (which would serialise this commit with every other notifying one in the cluster).
    if (started) this.wake(started);
    return pairs.map(() => undefined);
  });

  constructor(
    private readonly db: Kysely<Database>,
    /** Sends the delivery jobs of `ids` in `tx`, without a NOTIFY. */
    private readonly sendJobs: (tx: Kysely<Database>, ids: string[]) => Promise<void>,
    /** Wakes this process's delivery workers for `n` new jobs. */
    private readonly wake: (n: number) => void,
  ) {}

  /**
   * Parks a delivery read as blocked; `now` (its tenant's clock) starts its retry window, so
   * waiting does not lengthen it. False when what was ahead of it ended meanwhile: send it.
   */
  park(id: string, now: Date): Promise<boolean> {
    return this.parks.submit({ id, now });
  }

  /** After ends (delivered or failed) of deliveries with a link have committed: starts what waited behind them. */
  async afterEnd(ended: readonly { endpoint_id: string; link_id: string | null }[]): Promise<void> {
    const pairs = ended.filter((e): e is Pair => e.link_id !== null);
    await Promise.all(pairs.map((p) => this.starts.submit({ endpoint_id: p.endpoint_id, link_id: p.link_id })));
  }
}
