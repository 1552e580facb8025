import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connector, InstitutionDefinition } from './connector.js';
import { buildCatalogue, builtInConnectors } from './registry.js';

const fake = (...institutions: Pick<InstitutionDefinition, 'id' | 'name'>[]): Connector => ({
  institutions: institutions as InstitutionDefinition[],
  login: async () => ({ kind: 'success', state: {} }),
  answerChallenge: async () => ({ kind: 'success', state: {} }),
});

describe('connector registry', () => {
  it('builds the built-in catalogue, each institution with the connector that serves it', () => {
    const catalogue = buildCatalogue(builtInConnectors);
    assert.deepEqual([...catalogue.keys()].sort(), [
      'erebor_br_retail',
      'erebor_co_retail',
      'erebor_mx_retail',
      'gotham_mx_business',
      'gringotts_mx_retail',
      'heimdall_mx_retail',
      'imss_mx_employment',
      'tatooine_mx_fiscal',
    ]);
    for (const [name, entry] of catalogue) {
      assert.equal(entry.definition.name, name);
      assert.ok(entry.connector.institutions.includes(entry.definition));
    }
  });

  it('refuses a name or an id declared twice', () => {
    assert.throws(() => buildCatalogue([fake({ id: 1, name: 'a_mx_b' }), fake({ id: 2, name: 'a_mx_b' })]), /name declared twice: a_mx_b/);
    assert.throws(() => buildCatalogue([fake({ id: 1, name: 'a_mx_b' }, { id: 1, name: 'c_mx_d' })]), /id 1 declared twice/);
  });
});
