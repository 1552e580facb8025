import { randomUUID } from 'node:crypto';
import { isConsentConnector, type ConnectorState, type ConsentConnector, type ConsentRequest, type InstitutionDefinition, type LoginOutcome } from '../connectors/connector.js';
import type { Audit, AuditAction } from '../audit/index.js';
import { Idempotency } from '../idempotency/service.js';
import { apiError, fieldError, isCredentialsRejected, ValidationErrors, VinculoError } from '../errors.js';
import { parseFilters } from '../filters/index.js';
import type { PageRequest } from '../pagination.js';
import * as links from '../store/queries/links.js';
import type { Kysely } from 'kysely';
import type { Database, LinkRow, LinkUpdate } from '../store/schema.js';
import type { Principal } from '../tenants/service.js';
import { UUID, type Institution, type LinkAccess, type LinkSecrets } from './access.js';
import { linkFilters } from './filters.js';
import { checkCredentials, checkResources, formCredentials, institutionUserId, storageExpiry, toLinkJson } from './registration.js';
import type { Link, PatchLinkBody, RegisterLinkBody, ResumeBody, UpdateLinkBody } from './schema.js';
import { assertUsable, nextStatus, type LinkStatus } from './status.js';
import { LinkViewCache } from './cache.js';

/** The Links operations that may stop at an MFA challenge; a PATCH keeps its changes for the resume. */
const SESSION_PURPOSES = ['register', 'update', 'patch'] as const;
type SessionPurpose = (typeof SESSION_PURPOSES)[number];

/**
 * What happens around a link's life beyond the Links API itself (the first load, refresh
 * scheduling): called inside the transaction of the change, so jobs it sends are atomic with it.
 */
export interface LinkLifecycle {
  /** The link exists and is valid for the first time (registered, or its MFA answered). */
  created(tx: Kysely<Database>, link: LinkRow): Promise<void>;
  /** An `invalid` / `token_required` link logged in again after a PUT. */
  repaired(tx: Kysely<Database>, link: LinkRow): Promise<void>;
  /** Access mode or refresh rate may have changed. */
  rescheduled(tx: Kysely<Database>, before: LinkRow, after: LinkRow): Promise<void>;
}

/** The link options a consent link takes from the Connect widget (its token and its page). */
export type ConsentLinkOptions = Pick<RegisterLinkBody, 'access_mode' | 'external_id' | 'fetch_resources' | 'stale_in' | 'credentials_storage' | 'refresh_rate'>;

/** What a finished Open Finance consent makes a link from (see `Links.connectConsent`). */
export interface ConsentLinkRequest {
  institution: string;
  /** The parameters the institution sent back to the OAuth redirect (query, fragment or form). */
  callback: Record<string, string>;
  /** The connector's `pending` from `startConsent`. */
  pending: ConnectorState;
  /** The CPF the consent was asked for (digits): the link's end user, for `institution_user_id`. */
  document: string;
  options: ConsentLinkOptions;
}

export interface LinksLogger {
  warn(obj: object, msg: string): void;
}

/** Open Finance institutions: links come from the user's consent at the bank, never from a login form. */
const isConsentInstitution = (inst: Institution): boolean =>
  isConsentConnector(inst.connector) || inst.definition.integration_type === 'openbanking';

/**
 * Links: registering, reading, repairing, re-configuring and deleting a user's connection to an
 * institution. Owns the transaction boundaries; SQL lives in src/store, the institution session,
 * secrets and MFA sessions go through LinkAccess, and status changes through ./status.ts.
 */
export class Links {
  constructor(
    private readonly access: LinkAccess,
    private readonly audit: Audit,
    private readonly lifecycle?: LinkLifecycle,
    /** The links this process answered, kept while their changes are heard (./cache.ts). */
    readonly cache: LinkViewCache = new LinkViewCache(),
    /** Where a consent that could not be revoked on DELETE is reported (server.ts passes its logger). */
    private readonly logger: LinksLogger = { warn: (obj, msg) => process.emitWarning(`${msg} ${JSON.stringify(obj)}`) },
  ) {}

  /**
   * Runs an operation that uses (or deletes) a link's credentials and records it in the audit
   * log: the caller's key (a widget call: the key that issued its token), the link, the outcome.
   */
  private audited<T>(p: Principal, action: AuditAction, linkId: string | null, fn: () => Promise<T>): Promise<T> {
    return this.audit.around({ tenantId: p.tenantId, actor: p.keyId, requestId: p.requestId, action, linkId }, fn, {
      link: (r) => (r as { id?: string } | undefined)?.id ?? null,
    });
  }

  private get db() {
    return this.access.db;
  }

  async list(p: Principal, query: Record<string, unknown>, page: PageRequest) {
    const filters = parseFilters(linkFilters, query);
    // The count comes from the cache when this process counted the same filters since the tenant's
    // links last changed in a way that could alter it (./cache.ts); the page itself is always read.
    const key = JSON.stringify(filters);
    const mark = this.cache.countMark(p.tenantId);
    const known = await this.cache.lookupCount(p.tenantId, key);
    const { count, rows } = await links.pageLinks(this.db, p.tenantId, filters, page, known);
    if (known === undefined) this.cache.setCount(mark, p.tenantId, key, count);
    // JSON text per link (the store builds it as toLinkJson would): the route answers it as is.
    return { count, results: rows };
  }

  /**
   * GET /api/links/{id}/: from the cache while it hears changes, else one prepared statement for
   * the columns the answer needs. The object may be shared (frozen): never change it. Writes need
   * not tell the cache: the links_changed trigger announces every one, this process's included.
   */
  async get(p: Principal, id: string): Promise<Link> {
    const cached = await this.cache.lookup(p.tenantId, id);
    if (cached) return cached;
    const mark = this.cache.mark();
    const row = UUID.test(id) ? await links.findLinkView(this.db, p.tenantId, id) : undefined;
    if (!row) throw apiError('not_found');
    const link = toLinkJson(row);
    this.cache.set(mark, p.tenantId, link);
    return link;
  }

  /**
   * DELETE /api/links/{id}/. A consent link's consent is revoked at the institution first. A failed
   * revocation is logged (codes only) and the link deleted anyway, as Belvo does: the client asked
   * for the link to go, and a consent left at the bank expires on its own (and its user can revoke
   * it there); refusing the delete would leave a link the client can no longer get rid of.
   */
  async destroy(p: Principal, id: string): Promise<void> {
    await this.audited(p, 'delete', id, async () => {
      const link = await this.access.find(p, id);
      if (!link) throw apiError('not_found');
      await this.revokeConsent(link);
      if (!(await links.deleteLink(this.db, p.tenantId, id))) throw apiError('not_found');
    });
  }

  private async revokeConsent(link: LinkRow): Promise<void> {
    const inst = await this.access.resolveInstitution({ tenantId: link.tenant_id } as Principal, link.institution);
    if (!inst || !isConsentConnector(inst.connector)) return;
    try {
      const secrets = await this.access.secrets(link);
      if (secrets) await inst.connector.revoke(inst.definition, secrets.state, await this.access.now(link.tenant_id));
    } catch (err) {
      // Codes and names only: an institution's error text may quote tokens or the user's document.
      const reason = err instanceof VinculoError ? err.code : err instanceof Error ? err.name : 'unknown';
      this.logger.warn({ link: link.id, institution: link.institution, reason }, 'the consent of a deleted link could not be revoked at the institution; the link is deleted anyway');
    }
  }

  // ---- Open Finance consents (the Connect widget's flow) ----------------------------------------

  /**
   * Starts a consent at an Open Finance institution for the Connect widget: checks the link
   * options the widget will create the link with, then asks the connector for the bank's
   * authorization URL and the `pending` state to keep until the user comes back.
   */
  async startConsent(
    p: Principal,
    institution: string,
    request: ConsentRequest,
    options: ConsentLinkOptions,
  ): Promise<{ authorizationUrl: string; state: string; pending: ConnectorState; institution: InstitutionDefinition }> {
    const inst = await this.consentInstitution(p, institution);
    this.consentOptions(inst.definition, options);
    this.access.assertUp(inst);
    const started = await inst.connector.startConsent(inst.definition, request, await this.access.now(p.tenantId));
    return { ...started, institution: inst.definition };
  }

  /**
   * The user came back from the institution: finishes the consent and creates its link, valid at
   * once, as a registration whose login succeeded (same audit record, same first load). The link
   * keeps no credentials: the connector's state (its consent and tokens) is sealed in their place.
   */
  connectConsent(p: Principal, request: ConsentLinkRequest): Promise<Link> {
    return this.audited(p, 'widget_connect', null, async () => {
      const inst = await this.consentInstitution(p, request.institution);
      const def = inst.definition;
      const options = this.consentOptions(def, request.options);
      const now = await this.access.now(p.tenantId);
      const consent = await inst.connector.finishConsent(def, request.callback, request.pending, now);
      const link = await this.db.transaction().execute(async (tx) => {
        const link = await links.insertLink(tx, {
          id: randomUUID(),
          tenant_id: p.tenantId,
          institution: def.name,
          created_by: p.userId,
          institution_user_id: institutionUserId(p.userIdKey, def.name, { username: request.document }),
          ...options,
          credentials_expire_at: storageExpiry(options.credentials_storage, now),
          created_at: now,
          updated_at: now,
          status: nextStatus('new', 'login_succeeded'),
          last_accessed_at: now,
        });
        await this.access.keepCredentials(tx, link, { credentials: {}, state: consent.state });
        await this.lifecycle?.created(tx, link);
        return link;
      });
      return toLinkJson(link);
    });
  }

  private async consentInstitution(p: Principal, name: string): Promise<Institution & { connector: ConsentConnector }> {
    const inst = await this.access.resolveInstitution(p, name);
    if (!inst) throw new ValidationErrors([fieldError.doesNotExist('institution', 'name', name)]);
    if (!isConsentConnector(inst.connector)) {
      throw apiError('unsupported_operation', `${name} is not an Open Finance institution: connect it with its login form`);
    }
    return inst as Institution & { connector: ConsentConnector };
  }

  /** A consent link keeps its connector state like credentials: recurrent ones must store it. */
  private consentOptions(def: InstitutionDefinition, options: ConsentLinkOptions) {
    const recurrent = (options.access_mode ?? 'recurrent') === 'recurrent';
    return this.registerOptions(def, {
      ...options,
      institution: def.name,
      username: '',
      credentials_storage: recurrent ? 'store' : (options.credentials_storage ?? 'store'),
    });
  }

  /** POST /api/links/: log in, then keep the link (valid) or open an MFA session (unconfirmed, 428). */
  register(p: Principal, body: RegisterLinkBody): Promise<Link> {
    return this.audited(p, p.viaWidget ? 'widget_connect' : 'register', null, () => this.registerLink(p, body));
  }

  private async registerLink(p: Principal, body: RegisterLinkBody): Promise<Link> {
    // A retry of a key whose first run stored its link, then died before its answer was kept.
    const stored = p.idempotent?.effect?.link;
    const recovered = stored && (await links.findLink(this.db, p.tenantId, stored));
    if (recovered) return toLinkJson(recovered);
    const inst = await this.access.resolveInstitution(p, body.institution);
    if (!inst) throw new ValidationErrors([fieldError.doesNotExist('institution', 'name', body.institution)]);
    if (isConsentInstitution(inst)) {
      throw apiError(
        'unsupported_operation',
        `${inst.definition.name} is an Open Finance institution: its links are created with the user's consent in the Connect widget (a token with widget.openfinance_feature "consent_link_creation"), not with POST /api/links/`,
      );
    }
    const def = inst.definition;
    const options = this.registerOptions(def, body);
    const credentials = formCredentials(def, body);
    checkCredentials(def, credentials, true);
    if ((body.certificate === undefined) !== (body.private_key === undefined)) {
      const missing = body.certificate === undefined ? 'certificate' : 'private_key';
      throw new ValidationErrors([fieldError.required(missing)]);
    }
    this.access.assertUp(inst);

    const now = await this.access.now(p.tenantId);
    const outcome = await inst.connector.login({ institution: def, credentials, token: body.token, state: {}, purpose: 'register', now });
    const row = {
      id: randomUUID(),
      tenant_id: p.tenantId,
      institution: def.name,
      created_by: p.userId,
      institution_user_id: institutionUserId(p.userIdKey, def.name, credentials),
      ...options,
      credentials_expire_at: storageExpiry(options.credentials_storage, now),
      created_at: now,
      updated_at: now,
    };
    if (outcome.kind === 'success') {
      const link = await this.db.transaction().execute(async (tx) => {
        const link = await links.insertLink(tx, { ...row, status: nextStatus('new', 'login_succeeded'), last_accessed_at: now });
        if (p.idempotent) await Idempotency.recordEffect(tx, p.idempotent.claim, { link: link.id });
        await this.access.keepCredentials(tx, link, { credentials, state: outcome.state });
        await this.lifecycle?.created(tx, link);
        return link;
      });
      return toLinkJson(link);
    }
    const sessionId = await this.db.transaction().execute(async (tx) => {
      await links.insertLink(tx, { ...row, status: nextStatus('new', 'register_challenged'), last_accessed_at: null });
      return this.access.openSession(tx, p, row.id, 'register', { credentials, state: {}, pending: outcome.pending });
    });
    throw this.access.mfaRequired(sessionId, row.id, outcome.challenge);
  }

  /** PATCH /api/links/: answer the MFA challenge of a register, PUT or PATCH. */
  resume(p: Principal, body: ResumeBody): Promise<Link> {
    return this.audited(p, 'resume', body.link, () => this.resumeLink(p, body));
  }

  private async resumeLink(p: Principal, body: ResumeBody): Promise<Link> {
    const session = await this.access.session<PatchLinkBody>(p, body.session, body.link, SESSION_PURPOSES);
    const link = await this.access.row(p, body.link);
    const inst = await this.access.institution(link);
    this.access.assertUp(inst);
    return this.access.withLease(link, async () => {
      const kept = await this.access.answer(inst, session, body.token);
      return this.succeed(link, inst.definition, kept, session.secrets.resume, session.row.id);
    });
  }

  /** PUT /api/links/{id}/: log in with new credentials; only a success changes anything. */
  update(p: Principal, id: string, body: UpdateLinkBody): Promise<Link> {
    return this.audited(p, 'update', id, () => this.updateLink(p, id, body));
  }

  private async updateLink(p: Principal, id: string, body: UpdateLinkBody): Promise<Link> {
    const link = await this.access.row(p, id);
    if (Object.values(body).every((v) => v === undefined)) throw new ValidationErrors([fieldError.required('password')]);
    if (link.status === 'unconfirmed') throw apiError('unconfirmed_link');
    const inst = await this.access.institution(link);
    const stored = await this.access.secrets(link);
    if (!stored) {
      throw apiError('unsupported_operation', 'This link does not keep credentials (credentials_storage); register a new link instead');
    }
    const changed = formCredentials(inst.definition, body);
    checkCredentials(inst.definition, changed, false);
    const credentials = { ...stored.credentials, ...changed };
    this.access.assertUp(inst);
    return this.access.withLease(link, async () => {
      const outcome = await inst.connector.login({
        institution: inst.definition,
        credentials,
        token: body.token,
        state: stored.state,
        purpose: 'update',
        now: await this.access.now(link.tenant_id),
      });
      return this.afterLogin(p, link, inst.definition, 'update', { credentials, state: stored.state }, outcome);
    });
  }

  /**
   * Logs in again with the stored credentials, as a PUT does but with nothing new: how the Connect
   * widget repairs a `token_required` link, whose user has no token before the institution asks
   * (a QR to scan, a code sent by SMS). Success makes the link valid; a challenge answers 428,
   * resumed with PATCH /api/links/ like a PUT's.
   */
  reconnect(p: Principal, id: string): Promise<Link> {
    return this.audited(p, 'reconnect', id, () => this.reconnectLink(p, id));
  }

  private async reconnectLink(p: Principal, id: string): Promise<Link> {
    const link = await this.access.row(p, id);
    if (link.status === 'unconfirmed') throw apiError('unconfirmed_link');
    const inst = await this.access.institution(link);
    const stored = await this.access.secrets(link);
    if (!stored) {
      throw apiError('unsupported_operation', 'This link does not keep credentials (credentials_storage); register a new link instead');
    }
    this.access.assertUp(inst);
    return this.access.withLease(link, async () => {
      const outcome = await inst.connector.login({ ...stored, institution: inst.definition, purpose: 'update', now: await this.access.now(link.tenant_id) });
      return this.afterLogin(p, link, inst.definition, 'update', stored, outcome);
    });
  }

  /** PATCH /api/links/{id}/: access mode, refresh rate, resources, data retention. */
  async patch(p: Principal, id: string, body: PatchLinkBody): Promise<Link> {
    const link = await this.access.row(p, id);
    if (Object.values(body).every((v) => v === undefined)) throw new ValidationErrors([fieldError.required('access_mode')]);
    if (link.status === 'unconfirmed') throw apiError('unconfirmed_link');
    const inst = await this.access.institution(link);
    const mode = body.access_mode ?? link.access_mode;
    if (body.refresh_rate && mode !== 'recurrent') {
      throw new ValidationErrors([fieldError.invalid('refresh_rate', 'A refresh rate applies to recurrent links only.')]);
    }
    checkResources(inst.definition, body.fetch_resources);
    if (!(link.access_mode === 'single' && mode === 'recurrent')) {
      const row = await this.db.transaction().execute(async (tx) => {
        const row = await links.updateLink(tx, link.id, this.patchChanges(link, inst.definition, body));
        await this.lifecycle?.rescheduled(tx, link, row);
        return row;
      });
      return toLinkJson(row);
    }
    // single → recurrent: the link will log in on its own from now on, so check it still can.
    const stored = await this.access.secrets(link);
    if (!stored) throw apiError('invalid_access_mode_switch');
    assertUsable(link.status as LinkStatus);
    this.access.assertUp(inst);
    return this.audited(p, 'login', link.id, () => this.access.withLease(link, async () => {
      let outcome: LoginOutcome;
      try {
        outcome = await inst.connector.login({ ...stored, institution: inst.definition, purpose: 'access', now: await this.access.now(link.tenant_id) });
      } catch (err) {
        if (isCredentialsRejected(err)) {
          await this.access.recordAccessFailure(this.db, link, 'access_rejected');
        }
        throw err;
      }
      return this.afterLogin(p, link, inst.definition, 'patch', stored, outcome, body);
    }));
  }

  // ---- internals ---------------------------------------------------------------------------

  private registerOptions(def: InstitutionDefinition, body: RegisterLinkBody) {
    const access_mode = body.access_mode ?? 'recurrent';
    const recurrent = access_mode === 'recurrent';
    const credentials_storage = body.credentials_storage ?? 'store';
    const errors: VinculoError[] = [];
    if (recurrent && credentials_storage !== 'store') {
      errors.push(fieldError.invalid('credentials_storage', 'Recurrent links must store credentials: use "store".'));
    }
    if (!recurrent && body.refresh_rate) {
      errors.push(fieldError.invalid('refresh_rate', 'A refresh rate applies to recurrent links only.'));
    }
    if (errors.length) throw new ValidationErrors(errors);
    checkResources(def, body.fetch_resources);
    return {
      access_mode,
      refresh_rate: recurrent ? (body.refresh_rate ?? '7d') : null,
      credentials_storage,
      stale_in: body.stale_in ?? null,
      external_id: body.external_id ?? null,
      fetch_historical: recurrent || (body.fetch_historical ?? false),
      fetch_resources: body.fetch_resources ?? (recurrent ? [...def.resources] : []),
    };
  }

  private patchChanges(link: LinkRow, def: InstitutionDefinition, body: PatchLinkBody): LinkUpdate {
    const changes: LinkUpdate = {};
    if (body.access_mode === 'recurrent' && link.access_mode !== 'recurrent') {
      changes.access_mode = 'recurrent';
      changes.refresh_rate = body.refresh_rate ?? '7d';
      changes.credentials_storage = 'store';
      changes.credentials_expire_at = null;
      changes.fetch_historical = true;
      if (!body.fetch_resources && link.fetch_resources.length === 0) changes.fetch_resources = [...def.resources];
    } else if (body.access_mode === 'single') {
      changes.access_mode = 'single';
      changes.refresh_rate = null;
    }
    if (body.refresh_rate && (changes.access_mode ?? link.access_mode) === 'recurrent') changes.refresh_rate = body.refresh_rate;
    if (body.fetch_resources) changes.fetch_resources = body.fetch_resources;
    if (body.stale_in !== undefined) changes.stale_in = body.stale_in;
    return changes;
  }

  /** After a PUT/PATCH login: success applies it, a challenge opens an MFA session (428). */
  private async afterLogin(
    p: Principal,
    link: LinkRow,
    def: InstitutionDefinition,
    purpose: Exclude<SessionPurpose, 'register'>,
    secrets: LinkSecrets,
    outcome: LoginOutcome,
    patch?: PatchLinkBody,
  ): Promise<Link> {
    if (outcome.kind === 'success') return this.succeed(link, def, { credentials: secrets.credentials, state: outcome.state }, patch);
    const sessionId = await this.db.transaction().execute(async (tx) => {
      // A PUT keeps the status it had until it succeeds; an access (PATCH) found the link needs a token.
      if (purpose === 'patch') await this.access.recordAccessFailure(tx, link, 'access_challenged');
      return this.access.openSession(tx, p, link.id, purpose, { ...secrets, pending: outcome.pending, resume: patch });
    });
    throw this.access.mfaRequired(sessionId, link.id, outcome.challenge);
  }

  /** A login worked: the link becomes valid, credentials are kept, pending changes applied. */
  private async succeed(
    link: LinkRow,
    def: InstitutionDefinition,
    secrets: LinkSecrets,
    patch: PatchLinkBody | undefined,
    sessionId?: string,
  ): Promise<Link> {
    const row = await this.db.transaction().execute(async (tx) => {
      const row = await this.access.recordLogin(tx, link, secrets, patch ? this.patchChanges(link, def, patch) : {});
      if (sessionId) await this.access.deleteSession(tx, sessionId);
      if (link.status === 'unconfirmed') await this.lifecycle?.created(tx, row);
      else if (link.status === 'invalid' || link.status === 'token_required') await this.lifecycle?.repaired(tx, row);
      if (patch) await this.lifecycle?.rescheduled(tx, link, row);
      return row;
    });
    return toLinkJson(row);
  }
}
