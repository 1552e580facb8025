/**
 * The Open Finance Brasil connector: one ConsentConnector for every configured OFB bank (and the
 * sandbox bank). Links are born from the customer's consent at the bank (startConsent → the
 * bank's pages → finishConsent); `login` keeps the access alive and watches the consent;
 * `extract` reads the data APIs and maps them to Belvo's objects; `revoke` ends the consent.
 *
 * Time: consents (expiry, the about-to-expire notice), monthly budgets and date windows follow the
 * `now` each request brings (the tenant's clock, virtual in the sandbox), else `options.clock`;
 * the sandbox bank is told that `now` too (OfbClient.at), so its consents and data move with the
 * tenant's clock. Access-token lifetimes follow `options.clock` only (real time by default), as
 * the bank's tokens do.
 *
 * Pieces: connector/state.ts (what is kept), connector/budget.ts (monthly limits),
 * connector/extract.ts (collection + mapping), connector/errors.ts (client errors → domain
 * errors, CONSENT notices), connector/transport.ts (the client of one entry).
 */
import { randomUUID } from 'node:crypto';
import { fieldError, InstitutionDownError, ValidationErrors, VinculoError } from '../../errors.js';
import type {
  ConsentConnector,
  ConsentRequest,
  ConnectorNotice,
  ConnectorState,
  ExtractedRecord,
  ExtractRequest,
  InstitutionDefinition,
  LoginOutcome,
  LoginRequest,
} from '../connector.js';
import {
  OfbAuthorizationError,
  OfbRateLimitedError,
  OfbRequestError,
  OfbUnauthorizedError,
  OfbUnavailableError,
  ofbPermissionsFor,
  type OfbClient,
  type OfbConsent,
} from './client/index.js';
import type { OfbInstitution } from './config/index.js';
import { emptyBudget, monthOf, reserve, sessionCategories } from './connector/budget.js';
import { aboutToExpireNotice, CONSENT_REJECTED, consentEnded, consentEndedError, consentError, consentRefusedError, domainError } from './connector/errors.js';
import { extractResource, SessionCache } from './connector/extract.js';
import { asState, readLinkState, readPending, type OfbLinkState, type OfbPendingConsent } from './connector/state.js';
import { buildOfbClient, type BuiltClient, type Interceptor } from './connector/transport.js';

export { CONSENT_FAILED, CONSENT_REJECTED } from './connector/errors.js';
export { MONTHLY_LIMITS } from './connector/budget.js';
export type { OfbLinkState, OfbPendingConsent } from './connector/state.js';

export interface OfbSource {
  definition: InstitutionDefinition;
  /** Resolved at first use (the sandbox bank starts then). */
  entry: () => Promise<OfbInstitution>;
  /**
   * Ask `entry()` again at every use, and replace the client when it answers another entry (the
   * sandbox bank another process runs, which may restart elsewhere). Default: resolved once.
   */
  reload?: boolean;
}

export interface OfbConnectorOptions {
  /**
   * Now for token lifetimes; for consents, budgets and date windows only when the request brings
   * no `now` of its own (the tenant's, from the server). Default: real time.
   */
  clock?: () => Date;
  /** Extra undici interceptors on the calls to a bank (proxies, tracing; tests inject faults). */
  interceptors?: (entry: OfbInstitution) => Interceptor[];
}

export interface OfbConnector extends ConsentConnector {
  /** Closes the clients built so far. */
  close(): Promise<void>;
}

/** Renew the access token when it has less than this left. */
const RENEW_MARGIN_MS = 60_000;
/** The about-to-expire notice goes out this long before the consent's expiration. */
const ABOUT_TO_EXPIRE_MS = 7 * 86_400_000;
const MONTHS = [3, 6, 9, 12];
const GROUPS = ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'];

interface Bank extends BuiltClient {
  entry: OfbInstitution;
}

export function createOfbConnector(sources: readonly OfbSource[], options: OfbConnectorOptions = {}): OfbConnector {
  const clock = options.clock ?? (() => new Date());
  const byName = new Map(sources.map((s) => [s.definition.name, s]));
  const banks = new Map<string, Promise<Bank>>();
  /** The clients of the `reload` sources, by institution name. */
  const current = new Map<string, Bank>();
  const cache = new SessionCache();

  function bank(def: InstitutionDefinition): Promise<Bank> {
    const source = byName.get(def.name);
    if (!source) return Promise.reject(new VinculoError('unsupported_operation', `${def.name} is not an Open Finance Brasil institution`));
    if (source.reload) return reloaded(def, source);
    let b = banks.get(def.name);
    if (!b) {
      b = resolveEntry(def, source).then(build);
      banks.set(def.name, b);
      b.catch(() => banks.delete(def.name));
    }
    return b;
  }

  async function resolveEntry(def: InstitutionDefinition, source: OfbSource): Promise<OfbInstitution> {
    let entry: OfbInstitution;
    try {
      entry = await source.entry();
    } catch (err) {
      // A configuration problem is reported as such; anything else (a sandbox that could not start) is transient.
      throw err instanceof VinculoError ? err : new InstitutionDownError();
    }
    if (entry.name !== def.name) throw new VinculoError('config_error', `The entry of ${def.name} names another institution`);
    return entry;
  }

  function build(entry: OfbInstitution): Bank {
    return { entry, ...buildOfbClient(entry, clock, options.interceptors?.(entry)) };
  }

  /** A `reload` source: the client of its current entry; the previous entry's client is closed. */
  async function reloaded(def: InstitutionDefinition, source: OfbSource): Promise<Bank> {
    const entry = await resolveEntry(def, source);
    // No await from here on: concurrent calls agree on one client per entry.
    const held = current.get(def.name);
    if (held?.entry === entry) return held;
    const fresh = build(entry);
    current.set(def.name, fresh);
    if (held) void held.close().catch(() => {});
    return fresh;
  }

  /** The consent as the bank has it; ConsentEndedError once it no longer allows access. */
  async function liveConsent(entry: OfbInstitution, client: OfbClient, s: OfbLinkState, now: Date): Promise<OfbConsent> {
    let consent: OfbConsent;
    try {
      consent = await client.getConsent(s.consentId);
    } catch (err) {
      // The bank no longer knows the consent: it is gone as surely as a rejected one.
      if (err instanceof OfbRequestError && err.status === 404) throw consentEndedError(entry, s.consentId, null, s.consentExpiresAt);
      throw domainError(err);
    }
    if (consentEnded(consent, now)) throw consentEndedError(entry, s.consentId, consent, s.consentExpiresAt);
    return consent;
  }

  /** A refused token or grant: the consent decides whether the link is over or the bank is having a moment. */
  async function afterUnauthorized(err: unknown, entry: OfbInstitution, client: OfbClient, s: OfbLinkState, now: Date): Promise<never> {
    if (err instanceof OfbUnauthorizedError) await liveConsent(entry, client, s, now);
    throw domainError(err);
  }

  async function renew(entry: OfbInstitution, client: OfbClient, s: OfbLinkState, now: Date): Promise<Partial<OfbLinkState>> {
    try {
      if (!s.refreshToken) throw new OfbUnauthorizedError('no refresh token', { status: 401 });
      const t = await client.refresh(s.refreshToken);
      // OFB refresh tokens are not rotated: the client returns the one we sent when no new one came.
      return { accessToken: t.accessToken, refreshToken: t.refreshToken, accessExpiresAt: t.expiresAt?.toISOString() ?? null };
    } catch (err) {
      return afterUnauthorized(err, entry, client, s, now);
    }
  }

  const connector: OfbConnector = {
    institutions: sources.map((s) => s.definition),

    async startConsent(def, request, at) {
      checkConsentRequest(request);
      const { entry, client: base } = await bank(def);
      const now = at ?? clock();
      const client = base.at(now);
      const expiresAt = consentExpiry(now, request.months, entry.limits.consent_days);
      const permissions = ofbPermissionsFor(request.permissions);
      try {
        const consent = await client.createConsent({ cpf: request.document, permissions, expirationDateTime: expiresAt });
        const started = await client.startAuthorization({ consentId: consent.consentId });
        const pending: OfbPendingConsent = {
          v: 1,
          institution: def.name,
          consentId: consent.consentId,
          state: started.state,
          nonce: started.nonce,
          codeVerifier: started.codeVerifier,
          permissions,
          expiresAt: consent.expirationDateTime ?? expiresAt.toISOString(),
        };
        return { authorizationUrl: started.authorizationUrl, state: started.state, pending: asState(pending) };
      } catch (err) {
        throw domainError(err);
      }
    },

    async finishConsent(def, callback, pendingState, at) {
      const pending = readPending(pendingState, def.name);
      const now = at ?? clock();
      const client = (await bank(def)).client.at(now);
      let tokens;
      try {
        tokens = await client.finishAuthorization(callback, pending);
      } catch (err) {
        if (err instanceof OfbAuthorizationError && err.code === 'access_denied') {
          // Who refused, and why, is the consent's to say (the user's Rejeitar, the bank's own checks).
          throw consentRefusedError(await client.getConsent(pending.consentId).catch(() => null));
        }
        throw consentError(err);
      }
      let consent: OfbConsent;
      try {
        consent = await client.getConsent(pending.consentId);
      } catch (err) {
        throw domainError(err);
      }
      if (consent.status !== 'AUTHORISED') throw new VinculoError(CONSENT_REJECTED, 'The consent was not authorised at the institution');
      const state: OfbLinkState = {
        v: 1,
        institution: def.name,
        consentId: consent.consentId,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken ?? null,
        accessExpiresAt: tokens.expiresAt?.toISOString() ?? null,
        consentExpiresAt: consent.expirationDateTime ?? null,
        permissions: [...consent.permissions],
        budget: emptyBudget(now),
        session: null,
        aboutToExpireSent: false,
      };
      const expiresAt = consent.expirationDateTime ? new Date(consent.expirationDateTime).toISOString() : null;
      return { state: asState(state), consentId: consent.consentId, expiresAt };
    },

    async login(request: LoginRequest): Promise<LoginOutcome> {
      if (request.purpose === 'register') {
        throw new VinculoError('unsupported_operation', 'Open Finance Brasil links are created in the Connect widget: the user gives consent at the bank');
      }
      const { entry, client: base } = await bank(request.institution);
      const s = readLinkState(request.state, request.institution.name);
      // The tenant's now for the consent, the budget and the notices; tokens live in real time.
      const now = request.now ?? clock();
      const client = base.at(now);
      // The consent first: revoked at the bank or expired, nothing else matters.
      const consent = await liveConsent(entry, client, s, now);
      let next: OfbLinkState = { ...s, permissions: [...consent.permissions], consentExpiresAt: consent.expirationDateTime ?? s.consentExpiresAt };
      if (s.accessExpiresAt !== null && Date.parse(s.accessExpiresAt) - clock().getTime() < RENEW_MARGIN_MS) {
        next = { ...next, ...(await renew(entry, client, next, now)) };
      }
      const notices: ConnectorNotice[] = [];
      if (request.purpose === 'access') {
        // The session's calls are reserved now (see connector/budget.ts): extract cannot save state.
        // The previous session's reservation carries over when the bank counted none of its calls
        // (refused with 429/423): a refresh put back by the bank does not spend a month's session.
        const unspent = s.session !== null && cache.takeUnused(s.session.id) && next.budget.month === monthOf(now);
        if (!unspent) next.budget = reserve(next.budget, sessionCategories(next.permissions), now);
        next.session = { id: randomUUID(), startedAt: now.toISOString() };
        cache.open(next.session.id);
        const due = next.consentExpiresAt;
        if (due && !next.aboutToExpireSent && Date.parse(due) - now.getTime() <= ABOUT_TO_EXPIRE_MS) {
          notices.push(aboutToExpireNotice(entry, next.consentId, due));
          next.aboutToExpireSent = true;
        }
      }
      return { kind: 'success', state: asState(next), ...(notices.length ? { notices } : {}) };
    },

    async answerChallenge(): Promise<LoginOutcome> {
      throw new VinculoError('unsupported_operation', 'Open Finance Brasil institutions ask for no token: the bank’s own pages handle any second factor');
    },

    async extract(request: ExtractRequest): Promise<ExtractedRecord[]> {
      const { entry, client: base } = await bank(request.institution);
      const client = base.at(request.now);
      const s = readLinkState(request.state, request.institution.name);
      try {
        return await extractResource(request.resource, {
          client,
          accessToken: s.accessToken,
          permissions: new Set(s.permissions),
          pageSize: entry.limits.page_size,
          session: s.session?.id ?? null,
          cache,
          mapping: { institution: request.institution.name, collectedAt: request.now },
          now: request.now,
          account: request.account,
          dateFrom: request.dateFrom,
          dateTo: request.dateTo,
        });
      } catch (err) {
        return afterUnauthorized(err, entry, client, s, request.now);
      }
    },

    async revoke(def: InstitutionDefinition, state: ConnectorState, at?: Date): Promise<void> {
      let s: OfbLinkState;
      try {
        s = readLinkState(state, def.name);
      } catch {
        return; // No consent kept: nothing to end at the bank.
      }
      const client = (await bank(def)).client.at(at ?? clock());
      const failures: unknown[] = [];
      const attempt = async (call: () => Promise<void>) => {
        try {
          await call();
        } catch (err) {
          failures.push(err);
        }
      };
      // Deleting the consent is what ends it; the tokens are revoked as well in case the bank does not.
      await attempt(() => client.deleteConsent(s.consentId));
      if (s.refreshToken) await attempt(() => client.revokeToken(s.refreshToken!, 'refresh_token'));
      await attempt(() => client.revokeToken(s.accessToken, 'access_token'));
      // A refusal (already rejected: 422) is fine; an unreachable bank is worth another try.
      const transient = failures.find((e) => e instanceof OfbUnavailableError || e instanceof OfbRateLimitedError);
      if (transient) throw domainError(transient);
    },

    async close() {
      const built = await Promise.allSettled([...banks.values(), ...current.values()]);
      banks.clear();
      current.clear();
      await Promise.all(built.map((b) => (b.status === 'fulfilled' ? b.value.close() : undefined)));
    },
  };
  return connector;
}

/** now + months, no later than `consent_days` (the bank refuses more than 12 months). */
export function consentExpiry(now: Date, months: number, consentDays: number): Date {
  const byMonths = new Date(now);
  byMonths.setUTCMonth(byMonths.getUTCMonth() + months);
  return new Date(Math.min(byMonths.getTime(), now.getTime() + consentDays * 86_400_000));
}

function checkConsentRequest(r: ConsentRequest): void {
  const errors: VinculoError[] = [];
  if (!isCpf(r.document)) errors.push(fieldError.invalid('document', 'Enter a valid CPF (11 digits).'));
  if (!Array.isArray(r.permissions) || r.permissions.length === 0 || !r.permissions.every((p) => GROUPS.includes(p))) {
    errors.push(fieldError.invalid('permissions', `Choose one or more of ${GROUPS.join(', ')}.`));
  }
  if (!MONTHS.includes(r.months)) errors.push(fieldError.invalid('months', `Choose one of ${MONTHS.join(', ')}.`));
  if (errors.length) throw new ValidationErrors(errors);
}

/** 11 digits with valid check digits (the bank's login page refuses any other). */
export function isCpf(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{11}$/.test(value) || /^(\d)\1{10}$/.test(value)) return false;
  const d = [...value].map(Number);
  const check = (n: number) => {
    const sum = d.slice(0, n).reduce((acc, x, i) => acc + x * (n + 1 - i), 0);
    return ((sum * 10) % 11) % 10;
  };
  return check(9) === d[9] && check(10) === d[10];
}
