/**
 * What the OFB connector keeps between calls, as plain JSON the server seals: the link's state
 * (consent, tokens, budget) and the pending authorization between startConsent and finishConsent.
 * Neither holds the customer's CPF: the bank keeps it with the consent.
 */
import { InvalidCredentialsError, VinculoError } from '../../../errors.js';
import type { ConnectorState } from '../../connector.js';
import type { Budget } from './budget.js';

export interface OfbLinkState {
  v: 1;
  /** The institution's name: a state is never used at another bank. */
  institution: string;
  consentId: string;
  accessToken: string;
  /** OFB refresh tokens are not rotated; null if the bank issued none. */
  refreshToken: string | null;
  accessExpiresAt: string | null;
  consentExpiresAt: string | null;
  /** The permissions the bank granted (the consent as read back). */
  permissions: string[];
  budget: Budget;
  /** Set by each `access` login: keys the in-memory cache of the calls its extractions share. */
  session: { id: string; startedAt: string } | null;
  /** The about-to-expire notice went out (it is sent once per consent). */
  aboutToExpireSent: boolean;
}

export interface OfbPendingConsent {
  v: 1;
  institution: string;
  consentId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** OFB permissions asked for. */
  permissions: string[];
  expiresAt: string;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isStringOrNull = (v: unknown): v is string | null => v === null || isString(v);

/** The link's state, or InvalidCredentialsError: a link without a usable consent needs a new one. */
export function readLinkState(state: ConnectorState, institution: string): OfbLinkState {
  const s = state as Partial<OfbLinkState>;
  const ok =
    s.v === 1 &&
    s.institution === institution &&
    isString(s.consentId) &&
    isString(s.accessToken) &&
    isStringOrNull(s.refreshToken) &&
    isStringOrNull(s.accessExpiresAt) &&
    isStringOrNull(s.consentExpiresAt) &&
    Array.isArray(s.permissions) &&
    s.permissions.every(isString) &&
    typeof s.budget === 'object' &&
    s.budget !== null &&
    isString(s.budget.month) &&
    typeof s.budget.used === 'object';
  if (!ok) throw new InvalidCredentialsError();
  return { ...(s as OfbLinkState), session: s.session ?? null, aboutToExpireSent: s.aboutToExpireSent === true };
}

export function readPending(pending: ConnectorState, institution: string): OfbPendingConsent {
  const p = pending as Partial<OfbPendingConsent>;
  const ok =
    p.v === 1 &&
    p.institution === institution &&
    [p.consentId, p.state, p.nonce, p.codeVerifier, p.expiresAt].every(isString) &&
    Array.isArray(p.permissions);
  if (!ok) throw new VinculoError('session_expired', 'The consent session is not valid for this institution; start again');
  return p as OfbPendingConsent;
}

/** As `ConnectorState` (a plain object the server can seal). */
export const asState = (s: OfbLinkState | OfbPendingConsent): ConnectorState => ({ ...s });
