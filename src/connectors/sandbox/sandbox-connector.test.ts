import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidCredentialsError } from '../../errors.js';
import type { LoginRequest } from '../connector.js';
import { SandboxConnector } from './sandbox-connector.js';
import { BANK_RESOURCES, SANDBOX_DEFAULTS, defineInstitution, passwordField, usernameField } from './sandbox-forms.js';

// The rules the contract suite does not pin down, on a throwaway institution.
const institution = defineInstitution({
  ...SANDBOX_DEFAULTS,
  id: 9001,
  name: 'testbank_mx_retail',
  type: 'bank',
  display_name: 'Test Bank',
  website: null,
  primary_color: '#000000',
  country_codes: ['MX'],
  resources: BANK_RESOURCES,
  form_fields: [usernameField('User', 'user', 'Required'), passwordField('Password', 'password', 'Required')],
});
const connector = new SandboxConnector([institution]);
const login = (username: string, extra: Partial<LoginRequest> = {}) =>
  connector.login({ institution, credentials: { username, password: 'pass_valid' }, state: {}, purpose: 'register', ...extra });

describe('sandbox login rules', () => {
  it('ignores a token when no challenge is due', async () => {
    assert.equal((await login('user_valid', { token: '999999' })).kind, 'success');
  });

  it('matches the reserved prefixes case-insensitively', async () => {
    assert.equal((await login('MFA_User')).kind, 'challenge');
    await assert.rejects(login('Timeout_1'), { code: 'request_timeout' });
  });

  it('keeps a salted fingerprint of an expired password, never the password', async () => {
    const a = await login('expire_password_a');
    const b = await login('expire_password_b');
    assert.ok(a.kind === 'success' && b.kind === 'success');
    assert.match(String(a.state.expiredPassword), /^[0-9a-f]{64}$/);
    assert.notEqual(a.state.expiredPassword, b.state.expiredPassword, 'same password, different users');
    assert.ok(!JSON.stringify(a.state).includes('pass_valid'));
  });

  it('ignores state it did not write', async () => {
    const out = await login('user_valid', { state: { expiredPassword: 42, tokenRequired: 'yes', other: {} }, purpose: 'access' });
    assert.deepEqual(out, { kind: 'success', state: {} });
  });

  it('refuses a numeric challenge answered without a token', async () => {
    const out = await login('mfa_user');
    assert.ok(out.kind === 'challenge');
    const answer = { institution, credentials: { username: 'mfa_user', password: 'pass_valid' }, pending: out.pending };
    await assert.rejects(connector.answerChallenge(answer), InvalidCredentialsError);
    await assert.rejects(connector.answerChallenge({ ...answer, pending: {} }), InvalidCredentialsError);
  });
});
