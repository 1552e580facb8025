import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConnectorContract } from '../../connector.contract.js';
import { EREBOR_INSTITUTIONS, ereborConnector } from './index.js';

runConnectorContract({ name: 'erebor', make: () => ereborConnector });

describe('erebor_co_retail login form', () => {
  const form = EREBOR_INSTITUTIONS.find((d) => d.name === 'erebor_co_retail')!.form_fields;
  const types = form.find((f) => f.name === 'username_type')!;

  it('asks for the Colombian document type first, as a select', () => {
    assert.deepEqual(form.map((f) => f.name), ['username_type', 'username', 'password']);
    assert.equal(types.type, 'select');
    assert.deepEqual(types.values!.map((v) => v.code), ['001', '002', '003', '020']);
  });

  it('takes any document number whatever the type, as the sandbox does, with realistic placeholders', () => {
    for (const v of types.values!) {
      const rule = new RegExp(v.validation);
      for (const value of [v.placeholder, 'user_valid', '12345', 'AB-1234', 'mfa_user', 'any thing']) assert.ok(rule.test(value), `${v.code} ${value}`);
    }
    assert.deepEqual(types.values!.map((v) => v.placeholder), ['1020304050', '1234567', 'AB1234567', '9001234567']);
  });
});
