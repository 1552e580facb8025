import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertUsable, LINK_STATUSES, nextStatus } from './status.js';

describe('link status state machine', () => {
  it('a login success always ends valid', () => {
    for (const s of [...LINK_STATUSES, 'new' as const]) assert.equal(nextStatus(s, 'login_succeeded'), 'valid');
  });
  it('registration with MFA starts unconfirmed, only from new', () => {
    assert.equal(nextStatus('new', 'register_challenged'), 'unconfirmed');
    assert.throws(() => nextStatus('valid', 'register_challenged'));
  });
  it('access failures: rejected → invalid, token demanded → token_required', () => {
    assert.equal(nextStatus('valid', 'access_rejected'), 'invalid');
    assert.equal(nextStatus('token_required', 'access_rejected'), 'invalid');
    assert.equal(nextStatus('valid', 'access_challenged'), 'token_required');
    assert.throws(() => nextStatus('unconfirmed', 'access_rejected'));
    assert.throws(() => nextStatus('invalid', 'access_challenged'));
  });
  it('invalid and unconfirmed links cannot be used', () => {
    assert.throws(() => assertUsable('invalid'), { code: 'invalid_link' });
    assert.throws(() => assertUsable('unconfirmed'), { code: 'unconfirmed_link' });
    assertUsable('valid');
    assertUsable('token_required');
  });
});
