import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type {
  ConnectorState,
  Credentials,
  InstitutionDefinition,
  LoginOutcome,
  TokenGenerationData,
} from '../connectors/connector.js';
import { CREDENTIAL_FIELDS } from '../connectors/connector.js';
import { TooManySessionsError, ValidationErrors, VinculoError, fieldError } from '../errors.js';
import { apiError, ERROR_CATALOGUE } from '../http/errors.js';
import { applyFilters, parseFilters } from '../http/filters/index.js';
import type { PageRequest } from '../http/pagination.js';
import type { Institutions, InstitutionStatus } from '../institutions/service.js';
import type { CatalogueEntry } from '../connectors/registry.js';
import * as links from '../store/queries/links.js';
import * as sessions from '../store/queries/mfa-sessions.js';
import type { Database, LinkRow, LinkUpdate } from '../store/schema.js';
import type { Principal } from '../tenants/service.js';
import type { Vault } from '../vault/index.js';
import { linkFilters } from './filters.js';
import type { Link, PatchLinkBody, RegisterLinkBody, ResumeBody, UpdateLinkBody } from './schema.js';
import { assertUsable, nextStatus, type LinkStatus } from './status.js';

/** Fiscal certificate login material travels with the credentials, sealed the same way. */
type StoredCredentials = Credentials & { certificate?: string; private_key?: string };

/** What the vault keeps per link. */
interface LinkSecrets {
  credentials: StoredCredentials;
  state: ConnectorState;
}

/** What the vault keeps per open MFA session: enough to finish the operation that asked for it. */
interface SessionSecrets extends LinkSecrets {
  pending: ConnectorState;
  /** For a PATCH that had to log in: the change to apply once it succeeds. */
  patch?: PatchLinkBody;
}

type SessionPurpose = 'register' | 'update' | 'patch';

export interface LinksOptions {
  /** Lifetime of an MFA session, seconds (the 428 `expiry`). */
  mfaSessionTtl: number;
  /** Longest a login may hold a link's institution session before another may start. */
  sessionLeaseTtl?: number;
}

type Institution = CatalogueEntry & { status: InstitutionStatus };

const credentialAad = (linkId: string) => `link-credentials:${linkId}`;
const sessionAad = (sessionId: string, linkId: string) => `mfa-session:${sessionId}:${linkId}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function toLinkJson(row: LinkRow): Link {
  return {
    id: row.id,
    institution: row.institution,
    access_mode: row.access_mode as Link['access_mode'],
    last_accessed_at: row.last_accessed_at ? row.last_accessed_at.toISOString() : null,
    created_at: row.created_at.toISOString(),
    external_id: row.external_id,
    institution_user_id: row.institution_user_id,
    status: row.status as LinkStatus,
    created_by: row.created_by,
    refresh_rate: row.refresh_rate as Link['refresh_rate'],
    credentials_storage: row.credentials_storage,
    stale_in: row.stale_in,
    fetch_resources: row.fetch_resources,
  };
}

/**
 * Same end user at the same institution ⇒ same id, per tenant: an HMAC keyed by the tenant's own
 * key, so ids cannot be correlated across tenants. 32 bytes in url-safe base64 with its `=`: 44 chars.
 */
export function institutionUserId(tenantKey: Buffer, institution: string, c: Credentials): string {
  const norm = (v: string | undefined) => (v ?? '').trim().toLowerCase();
  const identity = [institution, norm(c.username), norm(c.username_type), norm(c.username2), norm(c.username3)].join('\u001f');
  return `${createHmac('sha256', tenantKey).update(identity).digest('base64url')}=`;
}

function mfaRequired(session: string, link: string, expiry: number, challenge: TokenGenerationData): VinculoError {
  return new VinculoError('token_required', ERROR_CATALOGUE.token_required.message, {
    extra: { session, expiry, link, token_generation_data: challenge },
  });
}

/** Checks credentials against the institution's login form: presence (register) and each regex. */
function checkCredentials(def: InstitutionDefinition, creds: StoredCredentials, requireAll: boolean): void {
  const errors: VinculoError[] = [];
  for (const field of def.form_fields) {
    const value = creds[field.name];
    if (value === undefined) {
      if (requireAll && !field.optional) errors.push(fieldError.required(field.name));
      continue;
    }
    const allowed = field.values?.map((v) => v.code);
    // Never echo the value: it may be a secret.
    if (allowed && !allowed.includes(value)) errors.push(fieldError.invalid(field.name, 'Select a valid choice.'));
    else if (!new RegExp(field.validation).test(value))
      errors.push(fieldError.invalid(field.name, field.validation_message || 'Invalid value.'));
  }
  if (errors.length) throw new ValidationErrors(errors);
}

/** The credential fields of a request body that the institution's form knows about. */
function formCredentials(def: InstitutionDefinition, body: Partial<Record<string, unknown>>): StoredCredentials {
  const out: StoredCredentials = {};
  const inForm = new Set(def.form_fields.map((f) => f.name));
  for (const name of CREDENTIAL_FIELDS) {
    if (inForm.has(name) && typeof body[name] === 'string') out[name] = body[name] as string;
  }
  if (typeof body.certificate === 'string') out.certificate = body.certificate;
  if (typeof body.private_key === 'string') out.private_key = body.private_key;
  return out;
}

function storageExpiry(storage: string, now: Date): Date | null {
  const days = /^(\d+)d$/.exec(storage);
  return days ? new Date(now.getTime() + Number(days[1]) * 86_400_000) : null;
}

/**
 * Links: registering, reading, repairing, re-configuring and deleting a user's connection to an
 * institution. Owns the transaction boundaries; SQL lives in src/store, secrets go through the
 * vault, and status changes through the state machine in ./status.ts.
 */
export class Links {
  private readonly leaseTtl: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly vault: Vault,
    private readonly institutions: Institutions,
    private readonly options: LinksOptions,
  ) {
    this.leaseTtl = options.sessionLeaseTtl ?? 120;
  }

  async list(p: Principal, query: Record<string, unknown>, page: PageRequest) {
    const filters = parseFilters(linkFilters, query);
    const { count, rows } = await links.pageLinks(this.db, p.tenantId, (qb) => applyFilters(qb, filters), page);
    return { count, results: rows.map(toLinkJson) };
  }

  async get(p: Principal, id: string): Promise<Link> {
    return toLinkJson(await this.row(p, id));
  }

  async destroy(p: Principal, id: string): Promise<void> {
    if (!UUID.test(id) || !(await links.deleteLink(this.db, p.tenantId, id))) throw apiError('not_found');
  }

  /** POST /api/links/: log in, then keep the link (valid) or open an MFA session (unconfirmed, 428). */
  async register(p: Principal, body: RegisterLinkBody): Promise<Link> {
    const inst = await this.institutions.resolve(body.institution);
    if (!inst) throw new ValidationErrors([fieldError.doesNotExist('institution', 'name', body.institution)]);
    const def = inst.definition;
    const options = this.registerOptions(def, body);
    const credentials = formCredentials(def, body);
    checkCredentials(def, credentials, true);
    if ((body.certificate === undefined) !== (body.private_key === undefined)) {
      const missing = body.certificate === undefined ? 'certificate' : 'private_key';
      throw new ValidationErrors([fieldError.required(missing)]);
    }
    this.assertUp(inst);

    const outcome = await inst.connector.login({ institution: def, credentials, token: body.token, state: {}, purpose: 'register' });
    const now = new Date();
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
        await this.keepCredentials(tx, link, { credentials, state: outcome.state });
        return link;
      });
      return toLinkJson(link);
    }
    const sessionId = randomBytes(16).toString('hex');
    await this.db.transaction().execute(async (tx) => {
      await links.insertLink(tx, { ...row, status: nextStatus('new', 'register_challenged'), last_accessed_at: null });
      await this.openSession(tx, p, sessionId, row.id, 'register', { credentials, state: {}, pending: outcome.pending });
    });
    throw mfaRequired(sessionId, row.id, this.options.mfaSessionTtl, outcome.challenge);
  }

  /** PATCH /api/links/: answer the MFA challenge of a register, PUT or PATCH. */
  async resume(p: Principal, body: ResumeBody): Promise<Link> {
    const session = await sessions.findMfaSession(this.db, p.tenantId, body.session);
    if (!session || session.link_id !== body.link) {
      throw new ValidationErrors([fieldError.doesNotExist('session', 'session', body.session)]);
    }
    if (session.expires_at.getTime() <= Date.now()) {
      await sessions.deleteMfaSession(this.db, session.id);
      throw apiError('session_expired');
    }
    const link = await this.row(p, body.link);
    const inst = await this.resolve(link);
    this.assertUp(inst);
    const secrets = this.vault.openJson<SessionSecrets>(session, sessionAad(session.id, link.id));
    return this.withLease(link, async () => {
      const outcome = await inst.connector.answerChallenge({
        institution: inst.definition,
        credentials: secrets.credentials,
        pending: secrets.pending,
        token: body.token,
      });
      if (outcome.kind === 'challenge') {
        const expires = new Date(Date.now() + this.options.mfaSessionTtl * 1000);
        const sealed = this.vault.sealJson({ ...secrets, pending: outcome.pending }, sessionAad(session.id, link.id));
        await sessions.updateMfaSession(this.db, session.id, sealed, expires);
        throw mfaRequired(session.id, link.id, this.options.mfaSessionTtl, outcome.challenge);
      }
      return this.succeed(link, inst.definition, { credentials: secrets.credentials, state: outcome.state }, secrets.patch, session.id);
    });
  }

  /** PUT /api/links/{id}/: log in with new credentials; only a success changes anything. */
  async update(p: Principal, id: string, body: UpdateLinkBody): Promise<Link> {
    const link = await this.row(p, id);
    if (Object.values(body).every((v) => v === undefined)) throw new ValidationErrors([fieldError.required('password')]);
    if (link.status === 'unconfirmed') throw apiError('unconfirmed_link');
    const inst = await this.resolve(link);
    const stored = await this.secrets(link);
    if (!stored) {
      throw apiError('unsupported_operation', 'This link does not keep credentials (credentials_storage); register a new link instead');
    }
    const changed = formCredentials(inst.definition, body);
    checkCredentials(inst.definition, changed, false);
    const credentials = { ...stored.credentials, ...changed };
    this.assertUp(inst);
    return this.withLease(link, async () => {
      const outcome = await inst.connector.login({
        institution: inst.definition,
        credentials,
        token: body.token,
        state: stored.state,
        purpose: 'update',
      });
      return this.afterLogin(p, link, inst.definition, 'update', { credentials, state: stored.state }, outcome);
    });
  }

  /** PATCH /api/links/{id}/: access mode, refresh rate, resources, data retention. */
  async patch(p: Principal, id: string, body: PatchLinkBody): Promise<Link> {
    const link = await this.row(p, id);
    if (Object.values(body).every((v) => v === undefined)) throw new ValidationErrors([fieldError.required('access_mode')]);
    if (link.status === 'unconfirmed') throw apiError('unconfirmed_link');
    const inst = await this.resolve(link);
    const mode = body.access_mode ?? link.access_mode;
    if (body.refresh_rate && mode !== 'recurrent') {
      throw new ValidationErrors([fieldError.invalid('refresh_rate', 'A refresh rate applies to recurrent links only.')]);
    }
    this.checkResources(inst.definition, body.fetch_resources);
    if (!(link.access_mode === 'single' && mode === 'recurrent')) {
      const row = await links.updateLink(this.db, link.id, this.patchChanges(link, inst.definition, body));
      return toLinkJson(row);
    }
    // single → recurrent: the link will log in on its own from now on, so check it still can.
    const stored = await this.secrets(link);
    if (!stored) throw apiError('invalid_access_mode_switch');
    assertUsable(link.status as LinkStatus);
    this.assertUp(inst);
    return this.withLease(link, async () => {
      let outcome: LoginOutcome;
      try {
        outcome = await inst.connector.login({ ...stored, institution: inst.definition, purpose: 'access' });
      } catch (err) {
        if (err instanceof VinculoError && err.code === 'login_error') {
          await links.updateLink(this.db, link.id, { status: nextStatus(link.status as LinkStatus, 'access_rejected') });
        }
        throw err;
      }
      return this.afterLogin(p, link, inst.definition, 'patch', { ...stored, patch: body }, outcome);
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  private async row(p: Principal, id: string): Promise<LinkRow> {
    const row = UUID.test(id) ? await links.findLink(this.db, p.tenantId, id) : undefined;
    if (!row) throw apiError('not_found');
    return row;
  }

  private async resolve(link: LinkRow): Promise<Institution> {
    const inst = await this.institutions.resolve(link.institution);
    // The connector was removed after the link was made: nothing can log in to it any more.
    if (!inst) throw apiError('institution_unavailable');
    return inst;
  }

  private assertUp(inst: Institution): void {
    if (inst.status === 'down') throw apiError('institution_down');
  }

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
    this.checkResources(def, body.fetch_resources);
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

  private checkResources(def: InstitutionDefinition, resources: readonly string[] | undefined): void {
    const unsupported = (resources ?? []).filter((r) => !(def.resources as readonly string[]).includes(r));
    if (unsupported.length) {
      throw new ValidationErrors([
        fieldError.invalid('fetch_resources', `Not supported by ${def.name}: ${unsupported.join(', ')}.`),
      ]);
    }
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

  private async secrets(link: LinkRow): Promise<LinkSecrets | null> {
    const sealed = await links.findCredentials(this.db, link.id);
    return sealed ? this.vault.openJson<LinkSecrets>(sealed, credentialAad(link.id)) : null;
  }

  /** Stores (or, for `nostore`, forgets) a link's credentials after a successful login. */
  private async keepCredentials(db: Kysely<Database>, link: LinkRow, secrets: LinkSecrets): Promise<void> {
    if (link.credentials_storage === 'nostore') await links.deleteCredentials(db, link.id);
    else await links.saveCredentials(db, link.id, this.vault.sealJson(secrets, credentialAad(link.id)));
  }

  private async openSession(
    db: Kysely<Database>,
    p: Principal,
    id: string,
    linkId: string,
    purpose: SessionPurpose,
    secrets: SessionSecrets,
  ): Promise<void> {
    await sessions.openMfaSession(db, {
      id,
      link_id: linkId,
      tenant_id: p.tenantId,
      purpose,
      expires_at: new Date(Date.now() + this.options.mfaSessionTtl * 1000),
      ...this.vault.sealJson(secrets, sessionAad(id, linkId)),
    });
  }

  /** After a PUT/PATCH login: success applies it, a challenge opens an MFA session (428). */
  private async afterLogin(
    p: Principal,
    link: LinkRow,
    def: InstitutionDefinition,
    purpose: SessionPurpose,
    secrets: LinkSecrets & { patch?: PatchLinkBody },
    outcome: LoginOutcome,
  ): Promise<Link> {
    if (outcome.kind === 'success') return this.succeed(link, def, { credentials: secrets.credentials, state: outcome.state }, secrets.patch);
    const sessionId = randomBytes(16).toString('hex');
    await this.db.transaction().execute(async (tx) => {
      // A PUT keeps the status it had until it succeeds; an access (PATCH) found the link needs a token.
      if (purpose === 'patch') {
        await links.updateLink(tx, link.id, { status: nextStatus(link.status as LinkStatus, 'access_challenged') });
      }
      await this.openSession(tx, p, sessionId, link.id, purpose, { ...secrets, pending: outcome.pending });
    });
    throw mfaRequired(sessionId, link.id, this.options.mfaSessionTtl, outcome.challenge);
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
      const row = await links.updateLink(tx, link.id, {
        ...(patch ? this.patchChanges(link, def, patch) : {}),
        status: nextStatus(link.status as LinkStatus, 'login_succeeded'),
        last_accessed_at: new Date(),
      });
      await this.keepCredentials(tx, row, secrets);
      if (sessionId) await sessions.deleteMfaSession(tx, sessionId);
      return row;
    });
    return toLinkJson(row);
  }

  /** Runs `fn` holding the link's institution session; a second concurrent one is refused. */
  private async withLease<T>(link: LinkRow, fn: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    if (!(await links.acquireSessionLease(this.db, link.id, token, this.leaseTtl))) throw new TooManySessionsError();
    try {
      return await fn();
    } finally {
      await links.releaseSessionLease(this.db, link.id, token);
    }
  }
}
