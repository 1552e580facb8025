import type { RetrievalJob } from '../resources/background.js';
import type { JobQueue } from './queue.js';

/**
 * Every background job, by name, with its payload. Payloads carry ids only: a job reads the
 * current state when it runs, so a retried or late job never acts on a stale copy. The exception
 * is an async retrieval, which carries its request (with the MFA token sealed by the vault).
 */
export interface Jobs {
  /**
   * Log in with the stored credentials and fetch what changed (scheduled, manual or after a repair).
   * `slot`: the due time a scheduled refresh was claimed for (ISO); a job whose slot was already
   * refreshed (the claim guard ran out while a dead worker held the first job) does nothing.
   */
  'link-refresh': { linkId: string; reason: 'scheduled' | 'manual' | 'repaired'; slot?: string };
  /** A new link's first full load of every resource in `fetch_resources`. */
  'historical-load': { linkId: string };
  /** An async retrieval (202): run by any worker, holding the link's session the request took for it. */
  'link-retrieve': RetrievalJob;
  /** Deliver one webhook to one endpoint (and schedule the retry if it fails). */
  'webhook-deliver': { deliveryId: string };
}

export type Queue = JobQueue<Jobs>;
