/**
 * OFB client failures → Vinculo's domain errors, and the CONSENT notices (Belvo's OFDA webhooks).
 * Messages name what failed, never tokens, ids of the customer or the bank's data.
 */
import {
  ConsentEndedError,
  InstitutionDownError,
  InstitutionRateLimitedError,
  InstitutionTimeoutError,
  VinculoError,
} from '../../../errors.js';
import type { ConnectorNotice } from '../../connector.js';
import {
  OfbAuthorizationError,
  OfbRateLimitedError,
  OfbRequestError,
  OfbResponseError,
  OfbUnauthorizedError,
  OfbUnavailableError,
  redact,
  type OfbConsent,
} from '../client/index.js';
import { OfbMappingError } from '../mapping/index.js';
import type { OfbInstitution } from '../config/index.js';

/** Codes the Connect widget shows when a consent does not come through. */
export const CONSENT_REJECTED = 'consent_rejected';
export const CONSENT_FAILED = 'consent_failed';

const TIMEOUT_CODES = new Set(['TIMEOUT', 'ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * A client error as the domain error the server acts on (retry later, invalidate, report).
 * OfbUnauthorizedError is not handled here: it needs the consent checked (see the connector).
 */
export function domainError(err: unknown): unknown {
  if (err instanceof VinculoError) return err;
  if (err instanceof OfbRateLimitedError) return new InstitutionRateLimitedError(err.retryAfterSeconds);
  if (err instanceof OfbUnavailableError) {
    return err.status === 504 || err.codes.some((c) => TIMEOUT_CODES.has(c)) ? new InstitutionTimeoutError() : new InstitutionDownError();
  }
  if (err instanceof OfbResponseError) {
    // Only the JSON path: the offending data is neither kept nor repeated.
    return new VinculoError('unexpected_error', `The institution's answer does not follow the Open Finance Brasil specification (at ${err.path})`);
  }
  if (err instanceof OfbMappingError) {
    return new VinculoError('unexpected_error', 'The institution sent a value that cannot be read as its Open Finance Brasil type');
  }
  if (err instanceof OfbRequestError) {
    const codes = err.codes.length ? ` (${err.codes.join(', ')})` : '';
    return new VinculoError('unexpected_error', `The institution refused the request with status ${err.status}${codes}`);
  }
  if (err instanceof OfbUnauthorizedError) {
    return new VinculoError('institution_unavailable', 'The financial institution refused the access; try again later', { retryable: true });
  }
  return err;
}

/** The bank's answer to the consent callback as an error the widget can show. */
export function consentError(err: unknown): unknown {
  if (err instanceof OfbAuthorizationError) {
    if (err.code === 'access_denied') {
      return new VinculoError(CONSENT_REJECTED, 'The consent was not authorised at the institution');
    }
    if (err.code === 'temporarily_unavailable' || err.code === 'server_error') return new InstitutionDownError();
    return new VinculoError(CONSENT_FAILED, `The institution's answer to the consent could not be accepted (${err.code}); start again`);
  }
  if (err instanceof OfbUnauthorizedError) {
    return new VinculoError(CONSENT_FAILED, 'The institution refused to issue access for the consent; start again');
  }
  return domainError(err);
}

/**
 * The bank answered `access_denied` to the consent and the consent, read back, says who refused it
 * and why: the customer (Rejeitar) → consent_rejected; the bank itself → what it gave as the
 * reason. INTERNAL_SECURITY_REASON at this step is what the sandbox bank answers when the customer
 * logs in with another CPF than the consent's `loggedUser` (the user at the bank must be the
 * consent's), the likeliest cause at a real bank too, so the message names it as such; the bank's
 * own `additionalInformation` is quoted (redacted) when it gives one.
 * `consent` is null when it could not be read: then the user's refusal is assumed, as before.
 */
export function consentRefusedError(consent: Pick<OfbConsent, 'status' | 'rejection'> | null): VinculoError {
  const rejection = consent?.status === 'REJECTED' ? consent.rejection : undefined;
  if (!rejection || rejection.rejectedBy === 'USER') {
    return new VinculoError(CONSENT_REJECTED, 'The consent was not authorised at the institution');
  }
  const { code, additionalInformation } = rejection.reason;
  const said = additionalInformation ? `; the institution said: "${redact(additionalInformation).slice(0, 140)}"` : '';
  if (code === 'CONSENT_EXPIRED') {
    return new VinculoError('session_expired', `The consent expired at the institution before it was authorised; please start again${said}`);
  }
  if (code === 'INTERNAL_SECURITY_REASON') {
    return new VinculoError(
      CONSENT_FAILED,
      `The institution rejected the consent for a security reason (INTERNAL_SECURITY_REASON); the usual cause is logging in there with another CPF than the one the consent was requested for${said}`,
    );
  }
  return new VinculoError(CONSENT_FAILED, `The institution rejected the consent (${rejection.rejectedBy}, ${redact(code).slice(0, 60)})${said}`);
}

/** The consent no longer allows access: rejected/revoked, or past its expiration. */
export function consentEnded(consent: Pick<OfbConsent, 'status' | 'expirationDateTime'>, now: Date): boolean {
  if (consent.status !== 'AUTHORISED') return true;
  return consent.expirationDateTime !== undefined && Date.parse(consent.expirationDateTime) <= now.getTime();
}

/** Belvo writes these dates with milliseconds (`2024-12-26T10:45:58.000Z`). */
const isoOrNull = (d: string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

function institutionData(entry: OfbInstitution): Record<string, unknown> {
  return { institution: entry.name, institution_display_name: entry.display_name, institution_icon_logo: entry.icon_logo ?? entry.logo ?? null };
}

/**
 * Belvo's `CONSENT` `openfinance_consent_expired` (data: consent_id, action, institution,
 * institution_display_name, institution_icon_logo), plus what the bank said: status, expiry and
 * who rejected it why (Vinculo extensions).
 */
export function consentExpiredNotice(
  entry: OfbInstitution,
  consentId: string,
  consent: Partial<Pick<OfbConsent, 'status' | 'expirationDateTime' | 'rejection'>> | null,
  expiresAt: string | null,
): ConnectorNotice {
  return {
    webhook_type: 'CONSENT',
    webhook_code: 'openfinance_consent_expired',
    data: {
      consent_id: consentId,
      action: 'renew',
      ...institutionData(entry),
      consent_due_date: isoOrNull(consent?.expirationDateTime ?? expiresAt),
      status: consent?.status ?? null,
      rejected_by: consent?.rejection?.rejectedBy ?? null,
      rejection_reason: consent?.rejection?.reason.code ?? null,
    },
  };
}

export function consentEndedError(...args: Parameters<typeof consentExpiredNotice>): ConsentEndedError {
  return new ConsentEndedError([consentExpiredNotice(...args)]);
}

/** Belvo's `openfinance_consent_about_to_expire`. */
export function aboutToExpireNotice(entry: OfbInstitution, consentId: string, dueDate: string): ConnectorNotice {
  return {
    webhook_type: 'CONSENT',
    webhook_code: 'openfinance_consent_about_to_expire',
    data: { consent_id: consentId, consent_due_date: isoOrNull(dueDate), action: 'renew', ...institutionData(entry) },
  };
}
