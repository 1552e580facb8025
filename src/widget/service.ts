import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CREDENTIAL_FIELDS } from '../connectors/connector.js';
import { apiError, fieldError, TooManySessionsError, ValidationErrors, VinculoError } from '../errors.js';
import type { InstitutionJson, Institutions } from '../institutions/service.js';
import type { Link, RegisterLinkBody } from '../links/schema.js';
import type { Links } from '../links/service.js';
import * as q from '../store/queries/widget-sessions.js';
import type { Database, WidgetSessionRow } from '../store/schema.js';
import type { Principal, Tenants } from '../tenants/service.js';
import { checkWidgetConfig, type AppliedWidgetConfig } from './config.js';
import type { ConsentFlow } from './consent.js';
import type { InstitutionsQuery, TokenBody, TokenPair, WidgetRegisterBody, WidgetResumeBody, WidgetUpdateBody } from './schema.js';
import { expired, WIDGET_SCOPES, type WidgetClaims, type WidgetScope, type WidgetTokens } from './tokens.js';

/** Longest a connection attempt may hold its session before another may start (an institution login). */
const CONNECT_TTL_SECONDS = 120;

/**
 * The Connect widget's server side: issuing and refreshing tokens, and the calls the widget page
 * makes with them. Every link operation goes through the Links service — the widget has no login
 * logic of its own — acting as the API key that issued the token.
 *
 * A token is checked twice: its signature and expiry (WidgetTokens), then its session row, which
 * ends the session when the connection succeeds (a token works until one link is connected or
 * repaired), when a rotated-out refresh token is replayed, or when the issuing API key is revoked.
 */

/** Who a widget call acts for: resolved from `Authorization: Bearer <access>`. */
export interface WidgetContext {
  session: WidgetSessionRow;
  principal: Principal;
  claims: WidgetClaims;
}

/** What the widget page needs to start: its mode, configuration and (update mode) the link. */
export interface WidgetSessionInfo {
  mode: 'connect' | 'update';
  scopes: WidgetScope[];
  expires_at: string;
  widget: AppliedWidgetConfig;
  /** Update mode: the link to repair, and what its user must provide. */
  link: { id: string; institution: string; status: string; needs: 'credentials' | 'token' } | null;
  institution: InstitutionJson | null;
}

/** Belvo's `institution_types` of the hosted widget, on top of the catalogue's own types. */
const BELVO_TYPES: Record<string, (i: InstitutionJson) => boolean> = {
  retail: (i) => i.type === 'bank' && !i.name.endsWith('_business'),
  business: (i) => i.type === 'bank' && i.name.endsWith('_business'),
  bank: (i) => i.type === 'bank',
  fiscal: (i) => i.type === 'fiscal',
  employment: (i) => i.type === 'employment',
};

export const DEFAULT_SCOPES: WidgetScope[] = ['read_institutions', 'write_links'];
/** However often its tokens are refreshed, a widget session ends after this long. */
export const SESSION_TTL_SECONDS = 3600;

const csv = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function parseScopes(raw: string | undefined): WidgetScope[] {
  if (raw === undefined) return DEFAULT_SCOPES;
  const scopes = csv(raw);
  const unknown = scopes.filter((s) => !(WIDGET_SCOPES as readonly string[]).includes(s));
  if (!scopes.length || unknown.length) {
    throw new ValidationErrors([
      fieldError.invalid('scopes', `Scopes are a comma-separated list of ${WIDGET_SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`),
    ]);
  }
  return [...new Set(scopes)] as WidgetScope[];
}

const sessionEnded = (message: string) => apiError('authentication_failed', message);

export class WidgetService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly tenants: Tenants,
    private readonly links: Links,
    private readonly institutions: Institutions,
    readonly tokens: WidgetTokens,
    /** Open Finance consents (./consent.ts); set by createWidgetService. */
    readonly consents: ConsentFlow,
  ) {}

  // ---- tokens ----------------------------------------------------------------------------------

  /** `POST /api/token/`: a new widget session and its first token pair. `now` (ms) is for tests. */
  async issue(p: Principal, body: TokenBody, now = Date.now()): Promise<TokenPair> {
    const scopes = parseScopes(body.scopes);
    checkWidgetConfig(body.widget);
    let linkId: string | null = null;
    if (body.link_id !== undefined && body.link_id !== null) {
      const link = await this.links.get(p, body.link_id).catch((err: unknown) => {
        if (err instanceof VinculoError && err.code === 'not_found') {
          throw new ValidationErrors([fieldError.doesNotExist('link_id', 'id', body.link_id!)]);
        }
        throw err;
      });
      linkId = link.id;
    }
    const linkOptions: Record<string, unknown> = {};
    for (const key of ['credentials_storage', 'stale_in', 'fetch_resources'] as const) {
      if (body[key] !== undefined) linkOptions[key] = body[key];
    }
    const sid = randomUUID();
    const claims = { sid, tenant: p.tenantId, scopes, link: linkId };
    const access = await this.tokens.sign({ ...claims, use: 'access' }, now);
    const refresh = await this.tokens.sign({ ...claims, use: 'refresh' }, now);
    await q.insertWidgetSession(this.db, {
      id: sid,
      tenant_id: p.tenantId,
      key_id: p.keyId,
      link_id: linkId,
      scopes,
      widget: body.widget ?? {},
      link_options: linkOptions,
      refresh_jti: refresh.jti,
      expires_at: new Date(now + SESSION_TTL_SECONDS * 1000),
    });
    return { access: access.token, refresh: refresh.token };
  }

  /**
   * `POST /api/token/refresh/`: exchanges the session's current refresh token for a new pair.
   * Each refresh token works once; replaying an older one ends the session (it was stolen, or
   * copied somewhere it should not be).
   */
  async refresh(token: string): Promise<TokenPair> {
    const claims = await this.tokens.verify(token, 'refresh');
    const session = await this.liveSession(claims);
    if (session.refresh_jti !== claims.jti) {
      await q.revokeWidgetSession(this.db, session.id);
      throw sessionEnded('This refresh token was already used; the widget session has ended');
    }
    if (!(await this.tenants.principalForKey(session.key_id))) throw sessionEnded('Invalid refresh token');
    const base = { sid: session.id, tenant: session.tenant_id, scopes: claims.scopes, link: session.link_id };
    const access = await this.tokens.sign({ ...base, use: 'access' });
    const refresh = await this.tokens.sign({ ...base, use: 'refresh' });
    if (!(await q.rotateRefresh(this.db, session.id, claims.jti, refresh.jti))) {
      throw sessionEnded('This refresh token was already used; the widget session has ended');
    }
    return { access: access.token, refresh: refresh.token };
  }

  /**
   * Resolves `Authorization: Bearer <access>` to its live session and the issuing key's principal,
   * marked as the widget's and with the request's id (`requestId`) for the audit log.
   */
  async authenticate(authorization: string | undefined, requestId?: string): Promise<WidgetContext> {
    const [scheme, token] = (authorization ?? '').split(' ', 2);
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw apiError('authentication_failed', 'An access token is required (Authorization: Bearer <access>)');
    }
    const claims = await this.tokens.verify(token, 'access');
    const session = await this.liveSession(claims);
    const principal = await this.tenants.principalForKey(session.key_id);
    if (!principal || principal.tenantId !== session.tenant_id) throw sessionEnded('Invalid access token');
    return { session, principal: { ...principal, requestId, viaWidget: true }, claims };
  }

  private async liveSession(claims: WidgetClaims): Promise<WidgetSessionRow> {
    const session = await q.findWidgetSession(this.db, claims.sid);
    if (!session || session.tenant_id !== claims.tenant || session.link_id !== claims.link) {
      throw sessionEnded(claims.use === 'access' ? 'Invalid access token' : 'Invalid refresh token');
    }
    if (session.completed_at) throw sessionEnded('This token was already used to connect an account');
    if (session.revoked_at) throw sessionEnded('This widget session has ended');
    if (session.expires_at.getTime() <= Date.now()) throw expired(claims.use);
    return session;
  }

  // ---- the widget's calls ---------------------------------------------------------------------

  async sessionInfo(ctx: WidgetContext): Promise<WidgetSessionInfo> {
    const { session, principal, claims } = ctx;
    let link: WidgetSessionInfo['link'] = null;
    let institution: InstitutionJson | null = null;
    if (session.link_id) {
      const row = await this.links.get(principal, session.link_id);
      link = { id: row.id, institution: row.institution, status: row.status, needs: row.status === 'token_required' ? 'token' : 'credentials' };
      institution = await this.institutions.get(principal.tenantId, row.institution).catch(() => null);
    }
    return {
      mode: session.link_id ? 'update' : 'connect',
      scopes: claims.scopes,
      expires_at: new Date(claims.exp * 1000).toISOString(),
      widget: checkWidgetConfig(session.widget),
      link,
      institution,
    };
  }

  /** The institutions the widget offers: filtered by country, Belvo's or the catalogue's types, and names. */
  async listInstitutions(ctx: WidgetContext, query: InstitutionsQuery): Promise<{ count: number; results: InstitutionJson[] }> {
    this.require(ctx, 'read_institutions');
    const countries = csv(query.country_codes).map((c) => c.toUpperCase());
    const names = csv(query.institutions);
    const types = csv(query.institution_types).map((t) => t.toLowerCase());
    const filters: Record<string, string> = {};
    if (countries.length) filters.country_code__in = countries.join(',');
    if (names.length) filters.name__in = names.join(',');
    const { results } = await this.institutions.list(ctx.principal.tenantId, filters, { page: 1, pageSize: 1000, limit: 1000, offset: 0 });
    const tests = types.map((t) => BELVO_TYPES[t]).filter(Boolean);
    const wanted = types.length ? results.filter((i) => tests.some((test) => test(i))) : results;
    wanted.sort((a, b) => a.display_name.localeCompare(b.display_name));
    return { count: wanted.length, results: wanted };
  }

  /** Registers a link with the end user's credentials; a 428 is passed on for the MFA step. */
  async register(ctx: WidgetContext, body: WidgetRegisterBody): Promise<Link> {
    this.require(ctx, 'write_links');
    if (ctx.session.link_id) throw apiError('permission_denied', 'This token is for updating one link; it cannot create links');
    await this.checkLoginForm(ctx, body);
    const options = ctx.session.link_options as Pick<RegisterLinkBody, 'credentials_storage' | 'stale_in' | 'fetch_resources'>;
    return this.connect(ctx, () => this.track(ctx, () => this.links.register(ctx.principal, { ...body, ...options })));
  }

  /**
   * The page sends the chosen institution's login form: a credential field that form does not
   * have is refused by name (the API would ignore it; the widget takes exactly the form). An
   * unknown institution is left to the registration, which names it.
   */
  private async checkLoginForm(ctx: WidgetContext, body: WidgetRegisterBody): Promise<void> {
    const inst = await this.institutions.get(ctx.principal.tenantId, body.institution).catch(() => null);
    if (!inst) return;
    const inForm = new Set(inst.form_fields.map((f) => f.name));
    const stray = CREDENTIAL_FIELDS.filter((name) => body[name] !== undefined && !inForm.has(name));
    if (stray.length) {
      throw new ValidationErrors(stray.map((name) => fieldError.invalid(name, `The login form of ${inst.name} has no such field.`)));
    }
  }

  /** Answers the MFA challenge of this session's registration or update. */
  async resume(ctx: WidgetContext, body: WidgetResumeBody): Promise<Link> {
    this.require(ctx, 'write_links');
    this.ownLink(ctx, body.link);
    return this.connect(ctx, () => this.links.resume(ctx.principal, body));
  }

  /** Update mode: new credentials (or a token sent with them) for the token's link. */
  async update(ctx: WidgetContext, id: string, body: WidgetUpdateBody): Promise<Link> {
    this.require(ctx, 'write_links');
    this.boundLink(ctx, id);
    return this.connect(ctx, () => this.links.update(ctx.principal, id, body));
  }

  /** Update mode for a `token_required` link: log in with the stored credentials so the institution asks for its token. */
  async reconnect(ctx: WidgetContext, id: string): Promise<Link> {
    this.require(ctx, 'write_links');
    this.boundLink(ctx, id);
    return this.connect(ctx, () => this.links.reconnect(ctx.principal, id));
  }

  /** `read_links`: only the links this session registered or is bound to. */
  async getLink(ctx: WidgetContext, id: string): Promise<Link> {
    this.require(ctx, 'read_links');
    this.ownLink(ctx, id);
    return this.links.get(ctx.principal, id);
  }

  // ---- internals -------------------------------------------------------------------------------

  private require(ctx: WidgetContext, scope: WidgetScope): void {
    if (!ctx.claims.scopes.includes(scope)) throw apiError('permission_denied', `This token does not have the ${scope} scope`);
  }

  private ownLink(ctx: WidgetContext, id: string): void {
    if (id !== ctx.session.link_id && !ctx.session.links.includes(id)) {
      throw apiError('permission_denied', 'This token can only act on the links it created or was issued for');
    }
  }

  private boundLink(ctx: WidgetContext, id: string): void {
    if (!ctx.session.link_id || id !== ctx.session.link_id) {
      throw apiError('permission_denied', 'This token can only update the link it was issued for');
    }
  }

  /**
   * Runs one connection attempt of the session — at most one at a time, so a double submit never
   * makes two links with one token — and ends the session when it succeeds.
   */
  private async connect(ctx: WidgetContext, fn: () => Promise<Link>): Promise<Link> {
    if (!(await q.claimWidgetSession(this.db, ctx.session.id, CONNECT_TTL_SECONDS))) {
      throw new TooManySessionsError();
    }
    try {
      const link = await fn();
      await q.completeWidgetSession(this.db, ctx.session.id, link.id);
      return link;
    } finally {
      await q.releaseWidgetSession(this.db, ctx.session.id);
    }
  }

  /** Runs a registration; a pending link (428) is remembered as this session's, so it can be resumed. */
  private async track(ctx: WidgetContext, fn: () => Promise<Link>): Promise<Link> {
    try {
      return await fn();
    } catch (err) {
      const link = err instanceof VinculoError && err.code === 'token_required' ? err.options.extra?.link : undefined;
      if (typeof link === 'string') await q.addWidgetSessionLink(this.db, ctx.session.id, link);
      throw err;
    }
  }
}
