import { apiError } from '../errors.js';

/**
 * The link status state machine, in one place.
 *
 * - valid: the last login worked.
 * - unconfirmed: registration is waiting for an MFA answer (or was abandoned).
 * - invalid: the institution rejected the stored credentials; a PUT with new ones repairs it.
 * - token_required: a valid link now needs a fresh MFA token; a PUT with a token repairs it.
 *
 * A failed *update* (PUT) or a wrong MFA answer changes nothing: the link keeps the status it had.
 */
export const LINK_STATUSES = ['valid', 'invalid', 'unconfirmed', 'token_required'] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

export type LinkEvent =
  /** Register, resume, PUT or an access (retrieve/refresh) logged in. */
  | 'login_succeeded'
  /** Register needed MFA: the link exists but is not confirmed yet. */
  | 'register_challenged'
  /** The institution rejected stored credentials during an access. */
  | 'access_rejected'
  /** The institution demanded a token during an access. */
  | 'access_challenged';

const TRANSITIONS: Record<LinkEvent, Partial<Record<LinkStatus | 'new', LinkStatus>>> = {
  login_succeeded: { new: 'valid', valid: 'valid', unconfirmed: 'valid', invalid: 'valid', token_required: 'valid' },
  register_challenged: { new: 'unconfirmed' },
  access_rejected: { valid: 'invalid', token_required: 'invalid', invalid: 'invalid' },
  access_challenged: { valid: 'token_required', token_required: 'token_required' },
};

export function nextStatus(current: LinkStatus | 'new', event: LinkEvent): LinkStatus {
  const next = TRANSITIONS[event][current];
  if (!next) throw new Error(`link status: no transition from ${current} on ${event}`);
  return next;
}

/** Operations that use a link's stored credentials refuse links that cannot be used. */
export function assertUsable(status: LinkStatus): void {
  if (status === 'invalid') throw apiError('invalid_link');
  if (status === 'unconfirmed') throw apiError('unconfirmed_link');
}
