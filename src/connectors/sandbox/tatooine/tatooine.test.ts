import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConnectorContract } from '../../connector.contract.js';
import { taxpayerRfc } from '../data/fiscal-taxpayer.js';
import { TATOOINE_INSTITUTIONS, tatooineConnector } from './index.js';

runConnectorContract({ name: 'tatooine', make: () => tatooineConnector });

describe('tatooine_mx_fiscal login form', () => {
  const institution = TATOOINE_INSTITUTIONS[0];
  const rfcShape = /^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$/;

  it('asks for an RFC and a CIEC, and takes any username as the sandbox does', () => {
    const [username, password] = institution.form_fields;
    assert.deepEqual([username.name, username.label, username.placeholder], ['username', 'RFC', 'ABCD800101XY1']);
    assert.equal(password.label, 'CIEC');
    for (const value of ['ABCD800101XY1', 'user_valid', 'mfa_user', 'not an rfc']) assert.match(value, new RegExp(username.validation));
  });

  it('uses an RFC-shaped username as the RFC (any case), and derives one from any other username', () => {
    assert.equal(taxpayerRfc(institution, 'ABC800101XY1'), 'ABC800101XY1');
    assert.equal(taxpayerRfc(institution, ' abcd800101xy1 '), 'ABCD800101XY1');
    assert.equal(taxpayerRfc(institution, 'MFAX800101AB1'), 'MFAX800101AB1');
    assert.equal(taxpayerRfc(institution, ''), 'XAXX010101000');
    const derived = new Set<string>();
    const lengths = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const username = i % 2 ? `user_${i}` : `mfa ünïcode ${i} 😀`;
      const rfc = taxpayerRfc(institution, username);
      assert.match(rfc, rfcShape, username);
      assert.equal(taxpayerRfc(institution, username), rfc, 'deterministic');
      assert.equal(taxpayerRfc(institution, ` ${username.toUpperCase()} `), rfc, 'ignores case and surrounding spaces');
      derived.add(rfc);
      lengths.add(rfc.length);
    }
    assert.ok(derived.size > 295, `${derived.size} distinct RFCs`);
    assert.deepEqual([...lengths].sort(), [12, 13], 'companies and people');
  });
});
