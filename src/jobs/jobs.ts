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
   * `claim`: the link's next_refresh_at as the scheduler's claim set it (ISO). If it has moved on
   * when the job runs, another job or refresh has done this slot (the claim guard ran out while the
   * first job was slow or its worker dead, and the slot was claimed again): the job does nothing.
   */
  'link-refresh': { linkId: string; reason: 'scheduled' | 'manual' | 'repaired'; claim?: string };
  /** A new link's first full load of every resource in `fetch_resources`. */
  'historical-load': { linkId: string };
  /** An async retrieval (202): run by any worker, holding the link's session the request took for it. */
  'link-retrieve': RetrievalJob;
  /** Deliver one webhook to one endpoint (and schedule the retry if it fails). */
  'webhook-deliver': { deliveryId: string };
}

export type Queue = JobQueue<Jobs>;
