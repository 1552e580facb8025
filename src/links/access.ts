import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConnectorState, Credentials, TokenGenerationData } from '../connectors/connector.js';
import type { CatalogueEntry } from '../connectors/registry.js';
import { systemClock, type Clock } from '../clock.js';
import { apiError, ERROR_CATALOGUE, fieldError, TooManySessionsError, ValidationErrors, VinculoError } from '../errors.js';
import type { Institutions, InstitutionStatus } from '../institutions/service.js';
import * as links from '../store/queries/links.js';
import * as sessions from '../store/queries/mfa-sessions.js';
import type { Database, LinkRow, MfaSessionRow } from '../store/schema.js';
import type { Principal } from '../tenants/service.js';
import type { Vault } from '../vault/index.js';
import { nextStatus, type LinkStatus } from './status.js';

/**
 * What every operation that talks to an institution on a link's behalf shares — the Links API
 * (register, resume, PUT, PATCH) and the data retrievals alike: finding the tenant's link, its
 * institution and sealed credentials, holding the link's one institution session, and keeping
 * MFA sessions open between a 428 and its answer.
 */

/** Fiscal certificate login material travels with the credentials, sealed the same way. */
export type StoredCredentials = Credentials & { certificate?: string; private_key?: string };

/** What the vault keeps per link. */
export interface LinkSecrets {
  credentials: StoredCredentials;
  state: ConnectorState;
}

/**
 * What the vault keeps per open MFA session: enough to finish the operation that asked for it.
 * `resume` is that operation's own request (a PATCH's changes, a retrieval's parameters).
 */
export interface SessionSecrets<R = unknown> extends LinkSecrets {
  pending: ConnectorState;
  resume?: R;
}

export type Institution = CatalogueEntry & { status: InstitutionStatus };

export interface AccessOptions {
  /** Lifetime of an MFA session, seconds (the 428 `expiry`). */
  mfaSessionTtl: number;
  /**
   * Seconds a link's institution session stays held without being kept alive: its holder renews
   * it every quarter of this while it runs, so only a dead process's session lapses (default 20).
   */
  sessionLeaseTtl?: number;
}

/** How long an operation waits for background work holding the link's session. */
const LEASE_WAIT_MS = 30_000;
/** An async retrieval's session, taken by the request for its queued job: nobody renews it until the job runs. */
const QUEUED_LEASE_SECONDS = 120;

const credentialAad = (linkId: string) => `link-credentials:${linkId}`;
const sessionAad = (sessionId: string, linkId: string) => `mfa-session:${sessionId}:${linkId}`;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class LinkAccess {
  private readonly leaseTtl: number;

  constructor(
    readonly db: Kysely<Database>,
    private readonly vault: Vault,
    private readonly institutions: Institutions,
    readonly options: AccessOptions,
    /** MFA sessions expire on this clock (the sandbox's virtual one when it is on). */
    private readonly clock: Clock = systemClock,
  ) {
    this.leaseTtl = options.sessionLeaseTtl ?? 20;
  }

  /** The tenant's now, on which its expiries are measured. */
  now(tenantId: string): Promise<Date> {
    return this.clock.now(tenantId);
  }

  /** The tenant's link, or undefined (another tenant's link is as absent as a missing one). */
  find(p: Pick<Principal, 'tenantId'>, id: string): Promise<LinkRow | undefined> {
    return UUID.test(id) ? links.findLink(this.db, p.tenantId, id) : Promise.resolve(undefined);
  }

  /** The tenant's link, or 404. */
  async row(p: Principal, id: string): Promise<LinkRow> {
    const row = await this.find(p, id);
    if (!row) throw apiError('not_found');
    return row;
  }

  resolveInstitution(p: Principal, name: string): Promise<Institution | undefined> {
    return this.institutions.resolve(p.tenantId, name);
  }

  async institution(link: LinkRow): Promise<Institution> {
    const inst = await this.institutions.resolve(link.tenant_id, link.institution);
    // The connector was removed after the link was made: nothing can log in to it any more.
    if (!inst) throw apiError('institution_unavailable');
    return inst;
  }

  assertUp(inst: Institution): void {
    if (inst.status === 'down') throw apiError('institution_down');
  }

  async secrets(link: LinkRow): Promise<LinkSecrets | null> {
    const sealed = await links.findCredentials(this.db, link.id);
    return sealed ? this.vault.openJson<LinkSecrets>(sealed, credentialAad(link.id)) : null;
  }

  /**
   * Stores a link's credentials after a successful login. `nostore` links keep none — except
   * until their first load of `fetch_resources` has run (it forgets them, and so does the
   * expiry, 15 minutes after registration, whichever comes first).
   */
  async keepCredentials(db: Kysely<Database>, link: LinkRow, secrets: LinkSecrets): Promise<void> {
    if (link.credentials_storage === 'nostore' && link.fetch_resources.length === 0) await links.deleteCredentials(db, link.id);
    else await links.saveCredentials(db, link.id, this.vault.sealJson(secrets, credentialAad(link.id)));
  }

  async forgetCredentials(db: Kysely<Database>, link: LinkRow): Promise<void> {
    await links.deleteCredentials(db, link.id);
  }

  /** Opens an MFA session (replacing any earlier one of the link); returns its id. */
  async openSession(db: Kysely<Database>, p: Pick<Principal, 'tenantId'>, linkId: string, purpose: string, secrets: SessionSecrets): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await sessions.openMfaSession(db, {
      id,
      link_id: linkId,
      tenant_id: p.tenantId,
      purpose,
      expires_at: new Date((await this.clock.now(p.tenantId, db)).getTime() + this.options.mfaSessionTtl * 1000),
      ...this.vault.sealJson(secrets, sessionAad(id, linkId)),
    });
    return id;
  }

  /**
   * The open session `id` of the tenant's link `linkId`, if it was opened for one of `purposes`;
   * a session of another link or operation is as unknown as a missing one, an expired one is
   * deleted and reported.
   */
  async session<R>(
    p: Principal,
    id: string,
    linkId: string,
    purposes: readonly string[],
  ): Promise<{ row: MfaSessionRow; secrets: SessionSecrets<R> }> {
    const row = await sessions.findMfaSession(this.db, p.tenantId, id);
    if (!row || row.link_id !== linkId || !purposes.includes(row.purpose)) {
      throw new ValidationErrors([fieldError.doesNotExist('session', 'session', id)]);
    }
    if (row.expires_at.getTime() <= (await this.clock.now(p.tenantId)).getTime()) {
      await sessions.deleteMfaSession(this.db, row.id);
      throw apiError('session_expired');
    }
    return { row, secrets: this.vault.openJson<SessionSecrets<R>>(row, sessionAad(row.id, row.link_id)) };
  }

  /**
   * Passes the user's token to the institution for an open session. Resolves the secrets to keep
   * when it is accepted; when the institution asks again (another MFA step) the session stays
   * open with the new pending state and this throws the next 428.
   */
  async answer(inst: Institution, session: { row: MfaSessionRow; secrets: SessionSecrets }, token: string | undefined): Promise<LinkSecrets> {
    const { row, secrets } = session;
    const outcome = await inst.connector.answerChallenge({
      institution: inst.definition,
      credentials: secrets.credentials,
      pending: secrets.pending,
      token,
    });
    if (outcome.kind === 'success') return { credentials: secrets.credentials, state: outcome.state };
    const expires = new Date((await this.clock.now(row.tenant_id)).getTime() + this.options.mfaSessionTtl * 1000);
    const sealed = this.vault.sealJson({ ...secrets, pending: outcome.pending }, sessionAad(row.id, row.link_id));
    await sessions.updateMfaSession(this.db, row.id, sealed, expires);
    throw this.mfaRequired(row.id, row.link_id, outcome.challenge);
  }

  /** The 428 answer: the session to resume with and what the end user must do. */
  mfaRequired(session: string, link: string, challenge: TokenGenerationData): VinculoError {
    return new VinculoError('token_required', ERROR_CATALOGUE.token_required.message, {
      extra: { session, expiry: this.options.mfaSessionTtl, link, token_generation_data: challenge },
    });
  }

  /**
   * An access with the stored credentials was answered: a rejection invalidates the link, a
   * token demand makes a valid link `token_required`. Returns the new status (unchanged otherwise).
   */
  async recordAccessFailure(db: Kysely<Database>, link: LinkRow, event: 'access_rejected' | 'access_challenged'): Promise<LinkStatus> {
    const status = nextStatus(link.status as LinkStatus, event);
    if (status !== link.status) await links.updateLink(db, link.id, { status });
    return status;
  }

  /**
   * A login worked: the link is valid and accessed now, and its (possibly new) secrets are kept.
   * `stored`: the secrets as the link holds them now — when the login left them as they were
   * (most refreshes), they are not sealed and written again.
   */
  async recordLogin(
    db: Kysely<Database>,
    link: LinkRow,
    secrets: LinkSecrets,
    changes: Parameters<typeof links.updateLink>[2] = {},
    stored?: LinkSecrets,
  ): Promise<LinkRow> {
    const row = await links.updateLink(db, link.id, {
      ...changes,
      status: nextStatus(link.status as LinkStatus, 'login_succeeded'),
      last_accessed_at: new Date(),
    });
    if (!stored || JSON.stringify(stored) !== JSON.stringify(secrets)) await this.keepCredentials(db, row, secrets);
    return row;
  }

  deleteSession(db: Kysely<Database>, id: string): Promise<void> {
    return sessions.deleteMfaSession(db, id);
  }

  /**
   * Takes the link's institution session. Two user operations never overlap: the second is
   * refused at once with `too_many_sessions`. Background work (a refresh, a first load) is
   * waited for instead, up to `waitMs`, since the user did not start it; and background work
   * itself waits for whatever holds the session. Returns the release.
   *
   * A job passes its (pg-boss) job id as `id`: a retry of the job takes over the session its own
   * earlier attempt still holds. That attempt is dead (its worker was killed, or pg-boss failed it
   * for running past its expiry), and waiting out its lease would fail the retry in turn.
   *
   * `retrieval`: an async retrieval's job holds the session from the request that queued it (which
   * waits like a user operation) until the job ends; the job takes it again under the same token.
   * `within` runs in the transaction that takes the lease (the request sends its job there), so
   * the lease and what it was taken for commit together or not at all.
   */
  async lease(
    link: LinkRow,
    holder: 'request' | 'job' | 'retrieval' = 'request',
    waitMs = LEASE_WAIT_MS,
    id: string = randomUUID(),
    within?: (tx: Kysely<Database>) => Promise<unknown>,
  ): Promise<() => Promise<void>> {
    const token = `${holder}:${id}`;
    const deadline = Date.now() + waitMs;
    const take = () =>
      within
        ? this.db.transaction().execute(async (tx) => (await links.acquireSessionLease(tx, link.id, token, QUEUED_LEASE_SECONDS)) && (await within(tx), true))
        : links.acquireSessionLease(this.db, link.id, token, this.leaseTtl);
    while (!(await take())) {
      const current = await links.sessionLeaseHolder(this.db, link.id);
      const mayWait = holder === 'job' || current === null || current.startsWith('job:');
      if (!mayWait || Date.now() > deadline) throw new TooManySessionsError();
      await new Promise((r) => setTimeout(r, 50));
    }
    const release = () => links.releaseSessionLease(this.db, link.id, token);
    // Taken for a queued job: its holder is the job, which takes it again when it runs.
    if (within) return release;
    // Kept alive while this process holds it; a kill -9 lets it lapse within leaseTtl, not minutes.
    const keepAlive = setInterval(() => {
      links.extendSessionLease(this.db, link.id, token, this.leaseTtl).catch(() => undefined);
    }, (this.leaseTtl * 1000) / 4);
    keepAlive.unref();
    return () => {
      clearInterval(keepAlive);
      return release();
    };
  }

  /** Runs `fn` holding the link's institution session (a user operation; see `lease`). */
  async withLease<T>(link: LinkRow, fn: () => Promise<T>): Promise<T> {
    const release = await this.lease(link);
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
