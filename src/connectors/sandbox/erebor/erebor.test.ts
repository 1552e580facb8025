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

  it('validates each document number by its type', () => {
    const valid = (code: string, value: string) => new RegExp(types.values!.find((v) => v.code === code)!.validation).test(value);
    assert.ok(valid('001', '1020304050'));
    assert.ok(!valid('001', '12345'));
    assert.ok(valid('003', 'AB1234567'));
    assert.ok(!valid('003', 'AB-1234'));
    assert.ok(valid('020', '900123456'));
    assert.ok(!valid('020', '90012345A'));
  });
});
