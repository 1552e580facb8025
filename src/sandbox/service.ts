import type { SandboxClocks } from '../clock.js';
import type { SandboxControl } from '../connectors/sandbox/sandbox-connector.js';
import type { ConnectorState } from '../connectors/connector.js';
import { apiError } from '../errors.js';
import type { Institutions, InstitutionStatus } from '../institutions/service.js';
import type { LinkAccess } from '../links/access.js';
import { toLinkJson } from '../links/registration.js';
import type { Scheduler } from '../refresh/scheduler.js';
import type { WebhookEmitter } from '../resources/service.js';
import type { Principal } from '../tenants/service.js';

/** What the sandbox needs of the refresh service: one refresh, run here and now. */
export interface RefreshNow {
  refresh(linkId: string, reason: 'manual', jobId: undefined, by: { actor: string; requestId?: string }): Promise<unknown>;
}

interface Controllable {
  control(action: SandboxControl, state: ConnectorState): ConnectorState;
}

/** Sample `data` for webhooks fired by hand, as the real events carry. */
const SAMPLE_DATA: Record<string, Record<string, unknown>> = {
  historical_update: { total_accounts: 1 },
  new_accounts_available: { new_accounts: 1 },
  new_transactions_available: { count: 1, new_transactions: 1 },
  transactions_updated: { count: 0, transactions: [] },
  transactions_deleted: { count: 0, transactions: [] },
  new_invoices_available: { count: 1, new_invoices: 1 },
  invalid_credentials: { error_code: 'login_error', error_message: 'Invalid credentials provided to login to the institution', status: 400 },
  token_required: { error_code: 'token_required', error_message: 'A MFA token is required by the institution to login', status: 428 },
};

/**
 * What Belvo's sandbox lacks: making the institution misbehave, running a refresh now, firing a
 * webhook, and moving time. Each call answers once its work is done, so tests never sleep.
 * A tenant acts only on its own links.
 */
export class Sandbox {
  constructor(
    private readonly access: LinkAccess,
    private readonly institutions: Institutions,
    private readonly refreshes: RefreshNow,
    private readonly scheduler: Scheduler,
    private readonly clock: SandboxClocks,
    private readonly webhooks: WebhookEmitter,
  ) {}

  /**
   * Runs the link's refresh in this process and answers with the link once it has finished. Not
   * through the job queue: an API-only process (or a test server without workers) has nobody to
   * run the job, and the request would wait for nothing.
   */
  async refresh(p: Principal, id: string) {
    const link = await this.access.row(p, id);
    await this.refreshes.refresh(link.id, 'manual', undefined, { actor: p.keyId, requestId: p.requestId });
    return toLinkJson(await this.access.row(p, id));
  }

  /** Arms the institution's next login for this link: a rejection, or a token demand. */
  async control(p: Principal, id: string, action: SandboxControl) {
    const link = await this.access.row(p, id);
    const inst = await this.access.institution(link);
    const connector = inst.connector as Partial<Controllable>;
    if (typeof connector.control !== 'function') throw apiError('unsupported_operation', `${inst.definition.name} is not a sandbox institution`);
    const secrets = await this.access.secrets(link);
    if (!secrets) throw apiError('unsupported_operation', 'This link keeps no credentials, so it never logs in again');
    await this.access.keepCredentials(this.access.db, link, { ...secrets, state: connector.control(action, secrets.state) });
    return toLinkJson(link);
  }

  /** The institution's status for this tenant only (another tenant's sandbox never goes down). */
  async setInstitutionStatus(p: Principal, name: string, status: InstitutionStatus) {
    if (!(await this.institutions.setStatus(p.tenantId, name, status))) throw apiError('not_found');
    return this.institutions.get(p.tenantId, name);
  }

  /** Emits a webhook for the link, through the same outbox as real events. */
  async fireWebhook(p: Principal, id: string, type: string, code: string) {
    const link = await this.access.row(p, id);
    await this.access.db.transaction().execute((tx) =>
      this.webhooks.emit(tx, {
        tenantId: link.tenant_id,
        linkId: link.id,
        externalId: link.external_id,
        webhookType: type,
        webhookCode: code,
        processType: code === 'historical_update' ? 'historical_update' : 'recurrent_update',
        data: SAMPLE_DATA[code] ?? {},
      }),
    );
    return { link: link.id, webhook_type: type, webhook_code: code };
  }

  /** The caller's clock: each tenant has its own. */
  async clockNow(p: Principal) {
    return clockJson(await this.clock.now(p.tenantId));
  }

  /** Moves the caller's clock and runs every refresh, retry and expiry that became due. */
  async advance(p: Principal, seconds: number) {
    await this.clock.advance(p.tenantId, seconds);
    const passes = await this.scheduler.runDue(p.tenantId);
    return {
      ...(await this.clockNow(p)),
      refreshes: passes.reduce((n, r) => n + r.refreshJobs.length, 0),
      deliveries: passes.reduce((n, r) => n + r.deliveries.length, 0),
    };
  }
}

function clockJson(now: Date) {
  return { now: now.toISOString(), offset_seconds: Math.round((now.getTime() - Date.now()) / 1000) };
}
