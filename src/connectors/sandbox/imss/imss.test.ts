import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConnectorContract } from '../../connector.contract.js';
import { curpCheckDigit } from '../data/documents.js';
import { workerCurp } from '../data/employment.js';
import { IMSS_INSTITUTIONS, imssConnector } from './index.js';

// The password cases skip themselves: the form has no password field.
runConnectorContract({ name: 'imss', make: () => imssConnector });

describe('imss_mx_employment', () => {
  const institution = IMSS_INSTITUTIONS[0];
  const curpShape = /^[A-Z]{4}\d{6}[HM][A-Z]{5}[A-Z0-9]\d$/;

  it('asks for a CURP only, and takes any username as the sandbox does', () => {
    assert.deepEqual(institution.form_fields.map((f) => f.name), ['username']);
    const [username] = institution.form_fields;
    assert.deepEqual([username.label, username.placeholder], ['CURP', 'ABCD800101HDFXYZ09']);
    for (const value of ['GOMC800101HDFRRR09', 'user_valid', 'mfa_user', 'GOMC800101HDFRRR0']) assert.match(value, new RegExp(username.validation));
  });

  it('logs in with no password; any mfa… username is challenged at registration', async () => {
    const ok = await imssConnector.login({ institution, credentials: { username: 'GOMC800101HDFRRR09' }, state: {}, purpose: 'register' });
    assert.equal(ok.kind, 'success');
    for (const username of ['MFAX800101HDFRRR09', 'mfa_user']) {
      const mfa = await imssConnector.login({ institution, credentials: { username }, state: {}, purpose: 'register' });
      assert.equal(mfa.kind, 'challenge', username);
    }
  });

  it('uses a CURP-shaped username as the CURP (any case), and derives a valid one from any other username', () => {
    assert.equal(workerCurp(institution, 'GOMC800101HDFRRR09'), 'GOMC800101HDFRRR09');
    assert.equal(workerCurp(institution, ' gomc800101hdfrrr09 '), 'GOMC800101HDFRRR09');
    const derived = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const username = i % 2 ? `user_${i}` : `mfa ünïcode ${i} 😀`;
      const curp = workerCurp(institution, username);
      assert.match(curp, curpShape, username);
      assert.equal(curp.slice(-1), curpCheckDigit(curp.slice(0, 17)), `${curp}: check digit`);
      assert.equal(workerCurp(institution, ` ${username.toLowerCase()} `), curp, 'ignores case and surrounding spaces');
      derived.add(curp);
    }
    assert.ok(derived.size > 295, `${derived.size} distinct CURPs`);
  });
});
