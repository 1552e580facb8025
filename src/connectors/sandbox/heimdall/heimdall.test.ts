import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConnectorContract } from '../../connector.contract.js';
import { HEIMDALL_INSTITUTIONS, heimdallConnector } from './index.js';

runConnectorContract({
  name: 'heimdall',
  make: () => heimdallConnector,
  skip: {
    login: 'heimdall asks for QR approval at every login, so no login succeeds without it (tested below)',
    mfa_later: 'heimdall asks for QR approval at every login, not only at registration (tested below)',
  },
});

describe('heimdall: QR approval at every login', () => {
  const institution = HEIMDALL_INSTITUTIONS[0];
  const credentials = { username: 'ana', password: 'x1' };

  it('shows a QR that needs no typed token, and resumes with no token', async () => {
    let state = {};
    for (const purpose of ['register', 'update', 'access'] as const) {
      const out = await heimdallConnector.login({ institution, credentials, state, purpose });
      assert.equal(out.kind, 'challenge', purpose);
      if (out.kind !== 'challenge') return;
      assert.equal(out.challenge.type, 'qr');
      assert.equal(out.challenge.expects_user_input, false);
      assert.match(out.challenge.value ?? '', /^https:\/\/www\.heimdall\.com\/approve-login\?request=[0-9a-f]{16}$/);
      const done = await heimdallConnector.answerChallenge({ institution, credentials, pending: out.pending });
      assert.equal(done.kind, 'success');
      if (done.kind === 'success') state = done.state;
    }
  });

  it('derives the QR from the login, never from randomness, and never shows the username', async () => {
    const qr = async (username: string) => {
      const out = await heimdallConnector.login({ institution, credentials: { username, password: 'x1' }, state: {}, purpose: 'register' });
      return out.kind === 'challenge' ? out.challenge.value : null;
    };
    assert.equal(await qr('ana'), await qr('ana'));
    assert.notEqual(await qr('ana'), await qr('bob'));
    assert.ok(!(await qr('ana'))!.includes('ana'));
  });
});
