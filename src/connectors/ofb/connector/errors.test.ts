/**
 * What the widget's exit callback says when the bank answered `access_denied`: the consent, read
 * back, tells who refused it and why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consentRefusedError } from './errors.js';

describe('consentRefusedError', () => {
  it('the customer refused (or the consent could not be read): consent_rejected', () => {
    for (const consent of [
      { status: 'REJECTED' as const, rejection: { rejectedBy: 'USER' as const, reason: { code: 'CUSTOMER_MANUALLY_REJECTED' } } },
      { status: 'AWAITING_AUTHORISATION' as const },
      null,
    ]) {
      const e = consentRefusedError(consent);
      assert.equal(e.code, 'consent_rejected');
      assert.equal(e.message, 'The consent was not authorised at the institution');
    }
  });

  it('the bank refused for a security reason: consent_failed naming the usual cause, the CPF, and quoting the bank without documents', () => {
    const e = consentRefusedError({
      status: 'REJECTED',
      rejection: { rejectedBy: 'ASPSP', reason: { code: 'INTERNAL_SECURITY_REASON', additionalInformation: 'CPF 529.982.247-25 diverge do loggedUser' } },
    });
    assert.equal(e.code, 'consent_failed');
    assert.equal(
      e.message,
      'The institution rejected the consent for a security reason (INTERNAL_SECURITY_REASON); the usual cause is logging in there with another CPF than the one the consent was requested for; the institution said: "CPF [document] diverge do loggedUser"',
    );
    const bare = consentRefusedError({ status: 'REJECTED', rejection: { rejectedBy: 'ASPSP', reason: { code: 'INTERNAL_SECURITY_REASON' } } });
    assert.ok(!bare.message.includes('said'), bare.message);
  });

  it('the bank expired the unanswered consent: session_expired; any other rejection: consent_failed with who and why', () => {
    const expired = consentRefusedError({ status: 'REJECTED', rejection: { rejectedBy: 'ASPSP', reason: { code: 'CONSENT_EXPIRED' } } });
    assert.equal(expired.code, 'session_expired');
    assert.match(expired.message, /expired at the institution before it was authorised/);
    const other = consentRefusedError({ status: 'REJECTED', rejection: { rejectedBy: 'ASPSP', reason: { code: 'CONSENT_TECHNICAL_ISSUE' } } });
    assert.equal(other.code, 'consent_failed');
    assert.equal(other.message, 'The institution rejected the consent (ASPSP, CONSENT_TECHNICAL_ISSUE)');
  });
});
