import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConnectorContract } from '../../connector.contract.js';
import { CURP_PATTERN, IMSS_INSTITUTIONS, imssConnector } from './index.js';

// The password cases skip themselves: the form has no password field.
runConnectorContract({ name: 'imss', make: () => imssConnector });

describe('imss_mx_employment', () => {
  const institution = IMSS_INSTITUTIONS[0];
  const curp = new RegExp(CURP_PATTERN);

  it('asks for a CURP only', () => {
    assert.deepEqual(institution.form_fields.map((f) => f.name), ['username']);
    assert.ok(curp.test('GOMC800101HDFRRR09'));
    assert.ok(!curp.test('GOMC800101HDFRRR0'), '17 characters');
    assert.ok(!curp.test('GOMC800101QDFRRR09'), 'sex must be H, M or X');
    assert.ok(!curp.test('user_valid'));
  });

  it('logs in with no password; a CURP starting MFA is challenged at registration', async () => {
    const ok = await imssConnector.login({ institution, credentials: { username: 'GOMC800101HDFRRR09' }, state: {}, purpose: 'register' });
    assert.equal(ok.kind, 'success');
    const mfa = await imssConnector.login({ institution, credentials: { username: 'MFAX800101HDFRRR09' }, state: {}, purpose: 'register' });
    assert.equal(mfa.kind, 'challenge');
  });
});
