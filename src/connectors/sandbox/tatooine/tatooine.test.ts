import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConnectorContract } from '../../connector.contract.js';
import { RFC_PATTERN, TATOOINE_INSTITUTIONS, tatooineConnector } from './index.js';

runConnectorContract({ name: 'tatooine', make: () => tatooineConnector });

describe('tatooine_mx_fiscal login form', () => {
  const rfc = new RegExp(RFC_PATTERN);

  it('takes an RFC (12 characters for companies, 13 for people) and a CIEC', () => {
    const [username, password] = TATOOINE_INSTITUTIONS[0].form_fields;
    assert.equal(username.validation, RFC_PATTERN);
    assert.equal(password.label, 'CIEC');
    assert.ok(rfc.test('ABC800101XY1'));
    assert.ok(rfc.test('ABCD800101XY1'));
    assert.ok(rfc.test('MFAX800101AB1'), 'an RFC can reach the mfa rule');
    assert.ok(!rfc.test('ABCD80010XY1'), 'date too short');
    assert.ok(!rfc.test('ABCDE800101XY1'), '14 characters');
    assert.ok(!rfc.test('user_valid'));
  });
});
