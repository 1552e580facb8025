import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import { RESOURCES, type ConnectorNotice, type DataConnector, type ResourceName } from '../connectors/connector.js';
import { SYSTEM, type Audit } from '../audit/index.js';
import { ConsentEndedError, ERROR_CATALOGUE, isCredentialsRejected, VinculoError } from '../errors.js';
import type { Queue } from '../jobs/jobs.js';
import type { Metrics } from '../metrics.js';
import type { Institution, LinkAccess, LinkSecrets } from '../links/access.js';
import type { LinkLifecycle } from '../links/service.js';
import { resourceByName, type RetrieveParams } from '../resources/definitions.js';
import type { Collected, Extracted, LinkData, WebhookEmitter } from '../resources/service.js';
import * as links from '../store/queries/links.js';
import { deleteMissing } from '../store/queries/refresh.js';
import type { Database, LinkRow, LinkUpdate } from '../store/schema.js';
import type { WebhookEvent } from '../webhooks/index.js';
import { noticeEvents } from '../webhooks/notices.js';
import { afterMonthly, firstMonthly, MONTHLY, nextSlot, REFRESH_PERIODS, retryAfterDown } from './schedule.js';

/**
 * Keeping links live: the first full load of a new link (historical) and the scheduled
 * refreshes of recurrent links, both as durable jobs, each ending in webhooks written in the
 * same transaction as the data they announce.
 */

/** How far back a refresh re-reads transactions to catch late changes (settlements, reversals). */
export const LOOKBACK_DAYS = 7;
const HISTORY_DAYS = 365;
const FISCAL_YEARS = 5;
const DAY_MS = 86_400_000;

const day = (d: Date) => d.toISOString().slice(0, 10);
const daysBefore = (d: Date, n: number) => day(new Date(d.getTime() - n * DAY_MS));

/** Who asked for a refresh run outside the queue (the audit log's actor and request). */
export interface RefreshActor {
  actor: string;
  requestId?: string;
}

type Outcome = 'refreshed' | 'loaded' | 'skipped' | 'invalid' | 'token_required' | 'retry_scheduled';

export class Refreshes implements LinkLifecycle {
  constructor(
    private readonly access: LinkAccess,
    private readonly data: LinkData,
    private readonly webhooks: WebhookEmitter,
    private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly audit: Audit,
    private readonly options: { jobTimeoutSeconds: number; metrics?: Metrics } = { jobTimeoutSeconds: 900 },
  ) {}

  private get db() {
    return this.access.db;
  }

  registerJobs(): void {
    const retry = { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: this.options.jobTimeoutSeconds };
    this.queue.defineJob('link-refresh', async (job) => this.refresh(job.data.linkId, job.data.reason, job.id, undefined, job.data.claim), { ...retry, concurrency: 4 });
    this.queue.defineJob('historical-load', async (job) => this.historical(job.data.linkId, job.id), { ...retry, concurrency: 2 });
  }

  // ---- lifecycle hooks, called by Links inside its transactions ---------------------------------

  /** A link was created (registered, or its MFA answered): load its history if it asks for it. */
  async created(tx: Kysely<Database>, link: LinkRow): Promise<void> {
    if (link.access_mode === 'recurrent' || link.fetch_historical || link.fetch_resources.length > 0) {
      await this.queue.send('historical-load', { linkId: link.id }, { db: tx });
    }
  }

  /** A link that could not refresh was repaired (PUT): refresh it at once. */
  async repaired(tx: Kysely<Database>, link: LinkRow): Promise<void> {
    if (link.access_mode === 'recurrent') await this.queue.send('link-refresh', { linkId: link.id, reason: 'repaired' }, { db: tx });
  }

  /** Access mode or rate changed: single stops refreshing, recurrent starts the next day. */
  async rescheduled(tx: Kysely<Database>, before: LinkRow, after: LinkRow): Promise<void> {
    if (after.access_mode !== 'recurrent') {
      if (before.next_refresh_at) await links.updateLink(tx, after.id, { next_refresh_at: null });
      return;
    }
    if (before.access_mode === 'recurrent' && before.refresh_rate === after.refresh_rate) return;
    const [y, m, d] = ymd(await this.clock.now(after.tenant_id, tx));
    const tomorrow = new Date(Date.UTC(y, m, d + 1));
    await links.updateLink(tx, after.id, this.firstPlan(after, tomorrow));
  }

  // ---- jobs ----------------------------------------------------------------------------------------

  /** The first full load: every resource the link fetches, one `historical_update` webhook each. */
  async historical(linkId: string, jobId?: string): Promise<Outcome> {
    const link = await links.findLinkById(this.db, linkId);
    return this.counted('historical', link, () => this.load(link!, jobId));
  }

  private async load(link: LinkRow, jobId?: string): Promise<Outcome> {
    if (link.status !== 'valid') return 'skipped';
    return this.withSession(link, 'historical_update', jobId, undefined, async (inst, connector, secrets) => {
      const now = await this.clock.now(link.tenant_id);
      for (const resource of this.resources(link, inst)) {
        const def = resourceByName(resource);
        // One webhook per resource, even when it takes several requests (invoices: one per direction).
        const requests = this.historyParams(resource, link.id, now);
        let earlier = 0;
        for (const [i, params] of requests.entries()) {
          await this.data.collect(link, inst, connector, secrets, def, params, undefined, async (tx, c) => {
            if (i < requests.length - 1) earlier += c.records.objects.length;
            else await this.webhooks.emit(tx, this.event(link, resource, 'historical_update', 'historical_update', totals(resource, c, earlier), now));
          });
        }
      }
      const changes: LinkUpdate = { last_refresh_at: now, refresh_attempts: 0 };
      if (link.access_mode === 'recurrent') Object.assign(changes, this.firstPlan(link, now));
      await links.updateLink(this.db, link.id, changes);
      // nostore: the credentials were kept only for this load; their deletion is audited with it.
      if (link.credentials_storage === 'nostore') {
        await this.db.transaction().execute(async (tx) => {
          await this.access.forgetCredentials(tx, link);
          await this.audit.write(tx, { tenantId: link.tenant_id, actor: SYSTEM, action: 'credentials_expire', linkId: link.id, outcome: 'success' });
        });
      }
      return 'loaded';
    });
  }

  /**
   * A scheduled (or manual, or post-repair) refresh: what changed since the last one. `by`: who
   * asked, for the audit log (a sandbox refresh: the caller's key; a job: `system`).
   */
  async refresh(linkId: string, reason: 'scheduled' | 'manual' | 'repaired', jobId?: string, by?: RefreshActor, claim?: string): Promise<Outcome> {
    const link = await links.findLinkById(this.db, linkId);
    return this.counted('refresh', link, () => this.update(link!, reason, jobId, by, claim));
  }

  private async update(link: LinkRow, reason: 'scheduled' | 'manual' | 'repaired', jobId?: string, by?: RefreshActor, claim?: string): Promise<Outcome> {
    if (link.status !== 'valid' || (reason === 'scheduled' && link.access_mode !== 'recurrent')) {
      // Not refreshed until repaired (PUT), which refreshes it at once.
      if (link.next_refresh_at) await links.updateLink(this.db, link.id, { next_refresh_at: null });
      return 'skipped';
    }
    // Read once the session is ours (a second job of the slot waited for the first to end): an
    // earlier attempt of this job stored the refresh and died before the queue heard (refreshed),
    // or the slot was claimed again, or refreshed by another job (skipped).
    const claimed = claim === undefined ? undefined : new Date(claim);
    const settled = claimed
      ? (l: LinkRow): Outcome | null =>
          l.refreshed_claim?.getTime() === claimed.getTime() ? 'refreshed' : l.next_refresh_at?.getTime() !== claimed.getTime() ? 'skipped' : null
      : undefined;
    return this.withSession(link, 'recurrent_update', jobId, by, async (inst, connector, secrets) => {
      const now = await this.clock.now(link.tenant_id);
      const since = link.last_refresh_at ?? new Date(now.getTime() - HISTORY_DAYS * DAY_MS);
      // Everything extracted first, then stored in one transaction with its webhooks and the next
      // slot: a refresh is stored whole or not at all (a retry starts clean), in one commit.
      const extracted: Extracted[] = [];
      for (const resource of this.resources(link, inst)) {
        const def = resourceByName(resource);
        for (const params of this.refreshParams(resource, since, now)) extracted.push(await this.data.extract(inst, connector, secrets, def, params, now));
      }
      await this.db.transaction().execute(async (tx) => {
        for (const x of extracted) await this.data.store(tx, link, x, (t, c) => this.announce(t, link, x.def.name, x.params, c, now));
        await links.updateLink(tx, link.id, {
          last_refresh_at: now,
          ...(claimed && { refreshed_claim: claimed }),
          ...(link.access_mode === 'recurrent' ? this.nextPlan(link, now, true) : { next_refresh_at: null }),
        });
      });
      return 'refreshed';
    }, settled);
  }

  // ---- internals -----------------------------------------------------------------------------------

  /**
   * Runs a first load or a refresh of `link` and counts how it ended (vinculo_refresh_outcomes_total):
   * its outcome, or the error code of an attempt that threw (the queue retries it). A link that is
   * gone is `skipped` at institution `unknown`.
   */
  private async counted(kind: 'historical' | 'refresh', link: LinkRow | undefined, run: () => Promise<Outcome>): Promise<Outcome> {
    const count = (result: string) => this.options.metrics?.refreshOutcomes.inc({ kind, institution: link?.institution ?? 'unknown', result });
    if (!link) {
      count('skipped');
      return 'skipped';
    }
    try {
      const outcome = await run();
      count(outcome);
      return outcome;
    } catch (err) {
      count(err instanceof VinculoError ? err.code : 'error');
      throw err;
    }
  }

  /**
   * Logs in with the stored credentials holding the link's session, runs `fn`, and turns the
   * institution's refusals into link status changes and LINK webhooks. An institution that is
   * down or slow leaves the status alone and tries again later. `jobId` (the job running this)
   * lets a retry take over the session a dead attempt of the same job still holds.
   */
  private async withSession(
    link: LinkRow,
    processType: string,
    jobId: string | undefined,
    by: RefreshActor | undefined,
    fn: (inst: Institution, connector: DataConnector, secrets: LinkSecrets) => Promise<Outcome>,
    settled?: (current: LinkRow) => Outcome | null,
  ): Promise<Outcome> {
    const inst = await this.access.institution(link);
    const connector = inst.connector as DataConnector;
    const secrets = await this.access.secrets(link);
    if (!secrets || typeof connector.extract !== 'function') return 'skipped';
    // Another holder kept the session past the wait (a queued retrieval, a dead attempt's lease not
    // yet lapsed): this attempt fails and the queue retries it with backoff. A scheduled refresh keeps
    // its claim that way — moving its slot instead would leave the slot unrefreshed and the dead
    // attempt's retry, finding its claim overtaken, would skip it.
    const release = await this.access.lease(link, 'job', undefined, jobId);
    try {
      if (settled) {
        const current = await links.findLinkById(this.db, link.id);
        const outcome = current ? settled(current) : 'skipped';
        if (outcome) return outcome;
      }
      if (inst.status === 'down') return await this.later(link, link.refresh_attempts);
      const now = await this.clock.now(link.tenant_id);
      const outcome = await this.audit.around(
        { tenantId: link.tenant_id, actor: by?.actor ?? SYSTEM, requestId: by?.requestId, action: 'login', linkId: link.id },
        () => connector.login({ ...secrets, institution: inst.definition, purpose: 'access', now }),
        { outcome: (o) => (o.kind === 'challenge' ? 'token_required' : 'success') },
      );
      if (outcome.kind === 'challenge') {
        await this.db.transaction().execute(async (tx) => {
          await this.access.recordAccessFailure(tx, link, 'access_challenged');
          await links.updateLink(tx, link.id, { next_refresh_at: null });
          await this.webhooks.emit(tx, this.linkEvent(link, processType, 'token_required', 428));
        });
        return 'token_required';
      }
      const kept = { credentials: secrets.credentials, state: outcome.state };
      if (outcome.notices?.length) {
        await this.db.transaction().execute(async (tx) => {
          await this.access.recordLogin(tx, link, kept, {}, secrets);
          await this.emitNotices(tx, link, processType, outcome.notices!);
        });
      } else await this.access.recordLogin(this.db, link, kept, {}, secrets);
      return await fn(inst, connector, kept);
    } catch (err) {
      if (isCredentialsRejected(err)) {
        await this.db.transaction().execute(async (tx) => {
          await this.access.recordAccessFailure(tx, link, 'access_rejected');
          await links.updateLink(tx, link.id, { next_refresh_at: null });
          await this.webhooks.emit(tx, this.linkEvent(link, processType, 'invalid_credentials', 400, 'login_error'));
          if (err instanceof ConsentEndedError) await this.emitNotices(tx, link, processType, err.notices);
        });
        return 'invalid';
      }
      if (err instanceof VinculoError && err.retryable) return this.later(link, link.refresh_attempts, err.options.retryAfterSeconds);
      throw err;
    } finally {
      await release();
    }
  }

  /** The institution could not be reached: try again later (the monthly rule counts it as a failure). */
  private async later(link: LinkRow, attempts: number, notBeforeSeconds = 0): Promise<Outcome> {
    const now = await this.clock.now(link.tenant_id);
    const plan: LinkUpdate =
      link.access_mode === 'recurrent' && link.refresh_rate === MONTHLY
        ? this.nextPlan(link, now, false)
        : { next_refresh_at: retryAfterDown(attempts, REFRESH_PERIODS[link.refresh_rate ?? '24h'] ?? 86400, now), refresh_attempts: attempts + 1 };
    // The institution said when to come back (HTTP Retry-After: a rate limit, a monthly budget).
    const notBefore = new Date(now.getTime() + notBeforeSeconds * 1000);
    if (plan.next_refresh_at && plan.next_refresh_at < notBefore) plan.next_refresh_at = notBefore;
    await links.updateLink(this.db, link.id, plan);
    return 'retry_scheduled';
  }

  private resources(link: LinkRow, inst: Institution): ResourceName[] {
    const wanted = link.fetch_resources.length ? link.fetch_resources : inst.definition.resources;
    // In catalogue order: accounts come first, so later resources find their accounts stored.
    return RESOURCES.filter((r) => wanted.includes(r) && inst.definition.resources.includes(r));
  }

  /** The first load's requests for one resource (invoices need one per direction). */
  private historyParams(resource: ResourceName, link: string, now: Date): RetrieveParams[] {
    const base: RetrieveParams = { link, saveData: true };
    const year = now.getUTCFullYear();
    switch (resource) {
      case 'TRANSACTIONS':
      case 'BALANCES':
        return [{ ...base, dateFrom: daysBefore(now, HISTORY_DAYS - 1), dateTo: day(now) }];
      case 'INVOICES':
        return ['INFLOW', 'OUTFLOW'].map((type) => ({ ...base, type, dateFrom: daysBefore(now, HISTORY_DAYS - 1), dateTo: day(now) }));
      case 'TAX_RETURNS':
        return [{ ...base, type: 'yearly', yearFrom: year - FISCAL_YEARS, yearTo: year }];
      default:
        return [base];
    }
  }

  /** A refresh's requests: dated resources from LOOKBACK_DAYS before the last refresh; the rest whole. */
  private refreshParams(resource: ResourceName, since: Date, now: Date): RetrieveParams[] {
    const all = this.historyParams(resource, '', now);
    if (resource !== 'TRANSACTIONS' && resource !== 'BALANCES' && resource !== 'INVOICES') return all;
    const from = daysBefore(since, LOOKBACK_DAYS);
    const floor = daysBefore(now, HISTORY_DAYS - 1);
    return all.map((p) => ({ ...p, dateFrom: from > floor ? from : floor }));
  }

  /** A refresh's webhooks for one resource: what is new, changed or gone. */
  private async announce(tx: Kysely<Database>, link: LinkRow, resource: ResourceName, params: RetrieveParams, c: Collected, now: Date): Promise<void> {
    const emit = (code: string, data: Record<string, unknown>, type: string = resource) =>
      this.webhooks.emit(tx, this.event(link, type, 'recurrent_update', code, data, now));
    if (c.accounts.inserted.length && resource === 'TRANSACTIONS') {
      await emit('new_accounts_available', { new_accounts: c.accounts.inserted.length }, 'ACCOUNTS');
    }
    const added = c.records.inserted.length;
    switch (resource) {
      case 'ACCOUNTS':
        if (added) await emit('new_accounts_available', { new_accounts: added });
        return;
      case 'TRANSACTIONS': {
        if (added) await emit('new_transactions_available', { count: added, new_transactions: added });
        if (c.records.updated.length) {
          await emit('transactions_updated', { count: c.records.updated.length, transactions: c.records.updated });
        }
        const kept = c.records.objects.map((o) => o.id);
        const gone = await deleteMissing(tx, 'transactions', link.id, params.dateFrom!, params.dateTo!, kept);
        if (gone.length) await emit('transactions_deleted', { count: gone.length, transactions: gone });
        return;
      }
      case 'INVOICES':
        if (added) await emit('new_invoices_available', { count: added, new_invoices: added });
        return;
      default:
        return;
    }
  }

  /** The webhooks a connector asked for (e.g. Belvo's CONSENT webhooks of Open Finance links). */
  private async emitNotices(tx: Kysely<Database>, link: LinkRow, processType: string, notices: readonly ConnectorNotice[]): Promise<void> {
    for (const event of noticeEvents(link, notices, processType)) await this.webhooks.emit(tx, event);
  }

  private event(link: LinkRow, type: string, processType: string, code: string, data: Record<string, unknown>, at?: Date): WebhookEvent {
    return { tenantId: link.tenant_id, linkId: link.id, externalId: link.external_id, webhookType: type, webhookCode: code, processType, data, at };
  }

  private linkEvent(link: LinkRow, processType: string, code: 'invalid_credentials' | 'token_required', status: number, errorCode: string = code): WebhookEvent {
    const message = ERROR_CATALOGUE[errorCode as keyof typeof ERROR_CATALOGUE]?.message ?? code;
    return this.event(link, 'LINK', processType, code, { error_code: errorCode, error_message: message, status });
  }

  /** The first refresh after `from`: the link's slot, or a 30d link's monthly day. */
  private firstPlan(link: LinkRow, from: Date): LinkUpdate {
    const rate = link.refresh_rate ?? '7d';
    if (rate === MONTHLY) {
      const plan = firstMonthly(link.id, from);
      return { next_refresh_at: plan.at, refresh_day: plan.day, refresh_attempts: 0 };
    }
    return { next_refresh_at: nextSlot(link.id, REFRESH_PERIODS[rate], from), refresh_attempts: 0 };
  }

  /** After a refresh at `now`: the next one. */
  private nextPlan(link: LinkRow, now: Date, ok: boolean): LinkUpdate {
    const rate = link.refresh_rate ?? '7d';
    if (rate !== MONTHLY) return { next_refresh_at: nextSlot(link.id, REFRESH_PERIODS[rate], now), refresh_attempts: 0 };
    if (link.refresh_day === null) return this.firstPlan(link, now);
    const plan = afterMonthly(link.id, { day: link.refresh_day, attempts: link.refresh_attempts }, now, ok);
    return { next_refresh_at: plan.at, refresh_day: plan.day, refresh_attempts: plan.attempts };
  }
}

function ymd(d: Date): [number, number, number] {
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
}

/** The `data` of a historical_update webhook: how much of the resource the link now has. */
function totals(resource: ResourceName, c: Collected, earlier = 0): Record<string, unknown> {
  const n = c.records.objects.length + earlier;
  switch (resource) {
    case 'ACCOUNTS':
      return { total_accounts: n };
    case 'TRANSACTIONS': {
      const dates = c.records.objects.map((o) => String(o.data.value_date)).sort();
      return { total_transactions: n, first_transaction_date: dates[0] ?? null, last_transaction_date: dates.at(-1) ?? null };
    }
    default:
      return { [`total_${resource.toLowerCase()}`]: n };
  }
}
