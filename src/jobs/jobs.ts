import type { JobQueue } from './queue.js';

/**
 * Every background job, by name, with its payload. Payloads carry ids only: a job reads the
 * current state when it runs, so a retried or late job never acts on a stale copy.
 */
export interface Jobs {
  /** Log in with the stored credentials and fetch what changed (scheduled, manual or after a repair). */
  'link-refresh': { linkId: string; reason: 'scheduled' | 'manual' | 'repaired' };
  /** A new link's first full load of every resource in `fetch_resources`. */
  'historical-load': { linkId: string };
  /** Deliver one webhook to one endpoint (and schedule the retry if it fails). */
  'webhook-deliver': { deliveryId: string };
}

export type Queue = JobQueue<Jobs>;
