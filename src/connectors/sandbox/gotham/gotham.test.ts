import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidCredentialsError } from '../../../errors.js';
import { runConnectorContract } from '../../connector.contract.js';
import { GOTHAM_INSTITUTIONS, gothamConnector } from './index.js';

runConnectorContract({
  name: 'gotham',
  make: () => gothamConnector,
  skip: {
    login: 'gotham challenges at every login, so no login succeeds without a token (tested below)',
    mfa_later: 'gotham challenges at every login, not only at registration (tested below)',
  },
});

describe('gotham: a token at every login', () => {
  const institution = GOTHAM_INSTITUTIONS[0];
  const credentials = { username: 'acme', password: 'x1' };

  it('challenges registration, updates and accesses with a numeric token', async () => {
    let state = {};
    for (const purpose of ['register', 'update', 'access'] as const) {
      const out = await gothamConnector.login({ institution, credentials, state, purpose });
      assert.equal(out.kind, 'challenge', purpose);
      if (out.kind !== 'challenge') return;
      assert.equal(out.challenge.type, 'numeric');
      assert.equal(out.challenge.expects_user_input, true);
      const done = await gothamConnector.answerChallenge({ institution, credentials, pending: out.pending, token: '123456' });
      assert.equal(done.kind, 'success');
      if (done.kind === 'success') state = done.state;
    }
  });

  it('takes the token up front instead', async () => {
    const out = await gothamConnector.login({ institution, credentials, state: {}, purpose: 'register', token: '123456' });
    assert.equal(out.kind, 'success');
    await assert.rejects(
      gothamConnector.login({ institution, credentials, state: {}, purpose: 'register', token: '654321' }),
      InvalidCredentialsError,
    );
  });
});
