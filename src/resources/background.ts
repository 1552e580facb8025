import { randomUUID } from 'node:crypto';
import type { ResourceName } from '../connectors/connector.js';
import { VinculoError } from '../errors.js';
import type { Queue } from '../jobs/jobs.js';
import type { LinkAccess } from '../links/access.js';
import { assertUsable, type LinkStatus } from '../links/status.js';
import { hasAsyncEvent } from '../store/queries/webhooks.js';
import type { LinkRow, Sealed } from '../store/schema.js';
import type { Vault } from '../vault/index.js';
import { resourceByName, type ResourceDefinition, type RetrieveParams } from './definitions.js';
import type { BackgroundRetrieval, LinkData, RetrievalActor } from './service.js';

/**
 * Async retrievals (`X-Belvo-Request-Mode: async`) as the durable job `link-retrieve`. The request
 * takes the link's institution session under the job's name (`retrieval:<job id>`) and sends the
 * job in one transaction, then answers 202. Any worker runs the job — the process that answered
 * may be gone by then (kill -9) — and the job releases the session when it ends. A job that dies
 * midway is retried by the queue and takes its own session over; its data is upserted by
 * internal_identification and its webhook written once per request, so a retry repeats neither.
 */

/** The `link-retrieve` payload. Nothing secret in plain: the MFA token, if given, is sealed. */
export interface RetrievalJob {
  tenantId: string;
  linkId: string;
  /** The key that asked (the audit log's actor). */
  keyId: string;
  resource: ResourceName;
  /** The request's parameters, without the token. */
  params: Omit<RetrieveParams, 'token'>;
  /** The 202's request id, which the webhook carries. */
  requestId: string;
  /** The request's MFA token, sealed by the vault and bound to this job and link. */
  token?: Sealed;
}

/** How a run ended (the job's output); a failure that may pass (institution down, a dead attempt's session) throws and is retried instead. */
export type RetrievalOutcome =
  | { outcome: 'stored' }
  | { outcome: 'already_stored' }
  | { outcome: 'gone' }
  | { outcome: 'failed'; code: string };

const tokenAad = (jobId: string, linkId: string) => `retrieval-token:${jobId}:${linkId}`;

export interface BackgroundOptions {
  jobTimeoutSeconds: number;
  /** Where a retrieval that failed is reported (with its request id). */
  log: (err: unknown, message: string) => void;
}

export class BackgroundRetrievals implements BackgroundRetrieval {
  private data?: LinkData;

  constructor(
    private readonly access: LinkAccess,
    private readonly vault: Vault,
    private readonly queue: Queue,
    private readonly options: BackgroundOptions,
  ) {}

  /** Declares `link-retrieve`, run with `data` (which sends its jobs through `accept`). */
  registerJobs(data: LinkData): void {
    this.data = data;
    this.queue.defineJob('link-retrieve', (job) => this.run(job.id, job.data), {
      retryLimit: 5,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: this.options.jobTimeoutSeconds,
      concurrency: 2,
    });
  }

  async accept(p: RetrievalActor, link: LinkRow, def: ResourceDefinition, params: RetrieveParams, requestId: string): Promise<void> {
    const id = randomUUID();
    const { token, ...rest } = params;
    const job: RetrievalJob = {
      tenantId: link.tenant_id,
      linkId: link.id,
      keyId: p.keyId,
      resource: def.name,
      params: rest,
      requestId,
      ...(token !== undefined && { token: this.vault.seal(token, tokenAad(id, link.id)) }),
    };
    // The session and the job commit together: no job without its session, no session held for nothing.
    await this.access.lease(link, 'retrieval', undefined, id, (tx) => this.queue.send('link-retrieve', job, { db: tx, id }));
    this.queue.wake('link-retrieve');
  }

  /** The job: log in, collect and store, announce by webhook; then let go of the link's session. */
  async run(jobId: string, job: RetrievalJob): Promise<RetrievalOutcome> {
    const data = this.data!;
    const def = resourceByName(job.resource);
    const tenant = { tenantId: job.tenantId };
    const link = await this.access.find(tenant, job.linkId);
    // Deleted before the job ran: its data would go with it, and there is no one left to tell.
    if (!link) return { outcome: 'gone' };
    // An earlier attempt stored the data and wrote the webhook (in one transaction), then died.
    if (await hasAsyncEvent(this.access.db, link.tenant_id, link.id, job.requestId)) return { outcome: 'already_stored' };
    // Its own session (taken by the request, or by an earlier attempt); held by somebody else, the
    // attempt fails and is retried later.
    const release = await this.access.lease(link, 'retrieval', undefined, jobId);
    try {
      assertUsable(link.status as LinkStatus);
      const params: RetrieveParams = { ...job.params, ...(job.token && { token: this.openToken(jobId, job) }) };
      const actor: RetrievalActor = { tenantId: job.tenantId, keyId: job.keyId, requestId: job.requestId };
      await data.run(actor, link, def, params, await data.prepare(link, def, params), job.requestId);
      return { outcome: 'stored' };
    } catch (err) {
      // Deleted while retrieving: as above.
      if (!(await this.access.find(tenant, link.id))) return { outcome: 'gone' };
      this.options.log(err, `retrieve ${def.path} ${job.requestId} failed`);
      // Refused for good (credentials rejected, a token asked for, the link unusable): not retried.
      if (err instanceof VinculoError && !err.retryable) return { outcome: 'failed', code: err.code };
      throw err;
    } finally {
      await release();
    }
  }

  private openToken(jobId: string, job: RetrievalJob): string {
    const plain = this.vault.open(job.token!, tokenAad(jobId, job.linkId));
    try {
      return plain.toString('utf8');
    } finally {
      plain.fill(0);
    }
  }
}
