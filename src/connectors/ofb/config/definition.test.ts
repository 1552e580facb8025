import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { builtInConnectors } from '../../registry.js';
import {
  assertDistinctInstitutions,
  BUILT_IN_ID_LIMIT,
  checkOfbInstitution,
  createOfbInstitution,
  DERIVED_ID_BASE,
  DERIVED_ID_SPAN,
  derivedInstitutionId,
  loadOfbInstitutions,
  MAX_INSTITUTION_ID,
  OfbConfigError,
  ofbInstitutionDefinition,
  type OfbInstitution,
  type OfbInstitutionMaterial,
  type OfbInstitutionSettings,
} from './index.js';
import { CONFIG, createFixture, type Fixture } from './testing.js';

let fx: Fixture;
let entry: OfbInstitution;
before(async () => {
  fx = await createFixture();
  fx.writeConfig([fx.entry({ website: 'https://www.mybank.example/', icon_logo: 'https://cdn.mybank.example/icon.svg' })]);
  [entry] = (await loadOfbInstitutions(CONFIG, { readFile: fx.readFile })) as [OfbInstitution];
});

const settings = (overrides: Partial<OfbInstitutionSettings> = {}): OfbInstitutionSettings => ({
  name: 'memorybank_br_retail',
  display_name: 'Memory Bank',
  logo: null,
  discovery_url: 'https://auth.memorybank.example/.well-known/openid-configuration',
  api_base_url: 'https://api.memorybank.example',
  client_id: 'client-mem',
  redirect_uri: 'http://127.0.0.1:8000/ofb/callback',
  ...overrides,
});

const material = (overrides: Partial<OfbInstitutionMaterial> = {}): OfbInstitutionMaterial => ({
  signingKey: fx.signingJwk,
  transportCertificate: fx.transportCertPem,
  transportKey: fx.transportKeyPem,
  ca: fx.caPem,
  ...overrides,
});

describe('ofbInstitutionDefinition', () => {
  it('describes an open-banking bank in Brazil with no login form', () => {
    const definition = ofbInstitutionDefinition(entry);
    assert.deepEqual(definition, {
      id: entry.id,
      name: 'mybank_br_retail',
      type: 'bank',
      display_name: 'My Bank',
      website: 'https://www.mybank.example/',
      country_codes: ['BR'],
      primary_color: entry.primary_color,
      logo: 'https://cdn.mybank.example/logo.svg',
      icon_logo: 'https://cdn.mybank.example/icon.svg',
      text_logo: null,
      form_fields: [],
      features: [],
      resources: ['ACCOUNTS', 'BALANCES', 'TRANSACTIONS', 'OWNERS'],
      integration_type: 'openbanking',
    });
    assert.ok(Object.isFrozen(definition) && Object.isFrozen(definition.resources));
    assert.equal(ofbInstitutionDefinition(entry, 4_321_000).id, 4_321_000);
  });
});

describe('OFB institution ids', () => {
  it('derives the same id from the same name, in the OFB range', () => {
    // Pinned: a changed derivation would move every configured bank's id under existing links.
    assert.equal(derivedInstitutionId('ofmockbank_br_retail'), 600_647_486);
    assert.equal(derivedInstitutionId('mybank_br_retail'), 685_796_266);
    for (const name of ['ofmockbank_br_retail', 'mybank_br_retail', 'itau_br_retail', 'itau_br_business']) {
      const id = derivedInstitutionId(name);
      assert.ok(id >= DERIVED_ID_BASE && id < DERIVED_ID_BASE + DERIVED_ID_SPAN && id <= MAX_INSTITUTION_ID, `${name}: ${id}`);
    }
    assert.notEqual(derivedInstitutionId('itau_br_retail'), derivedInstitutionId('itau_br_business'));
  });

  it('keeps clear of the built-in institutions', () => {
    const builtIn = builtInConnectors.flatMap((c) => c.institutions);
    assert.ok(builtIn.length > 0);
    for (const d of builtIn) assert.ok(d.id < BUILT_IN_ID_LIMIT, `${d.name} (${d.id}) is in the range kept for configured banks`);
  });
});

describe('createOfbInstitution (in memory)', () => {
  it('builds an entry that passes the file checks again', () => {
    const made = createOfbInstitution(settings(), material(), { source: 'sandbox' });
    assert.equal(made.source, 'sandbox');
    assert.equal(made.signing_key_id, 'sig-1');
    assert.equal(made.redirect_uri, 'http://127.0.0.1:8000/ofb/callback');
    assert.deepEqual(checkOfbInstitution(made), []);
    assert.ok(!JSON.stringify(made).includes(String(fx.signingJwk.d)));
  });

  it('reports every problem with the same rules as the file, under in-memory field names', () => {
    const err = (() => {
      try {
        createOfbInstitution(
          settings({ name: 'Memory', api_base_url: 'http://api.memorybank.example', redirect_uri: 'http://vinculo.example/cb' }),
          material({ signingKey: 'not a key', transportKey: fx.files.get('/etc/vinculo/keys/other.key')!, ca: 'nothing' }),
          { source: 'sandbox' },
        );
      } catch (e) {
        return e;
      }
      return assert.fail('expected an OfbConfigError');
    })();
    assert.ok(err instanceof OfbConfigError);
    assert.deepEqual(err.problems.map((p) => `${p.file}:${p.index}:${p.field}`).sort(), [
      'sandbox:null:api_base_url',
      'sandbox:null:ca',
      'sandbox:null:name',
      'sandbox:null:redirect_uri',
      'sandbox:null:signing_key',
      'sandbox:null:transport_key',
    ]);
    assert.match(err.message, /^Invalid Open Finance Brasil institutions:\n- sandbox: name: /);
  });

  it('refuses two institutions with one name or one id', () => {
    const one = createOfbInstitution(settings(), material(), { source: 'sandbox' });
    const twin = createOfbInstitution(settings({ display_name: 'Twin' }), material(), { source: '/etc/vinculo/ofb.json' });
    const sameId = createOfbInstitution(settings({ name: 'otherbank_br_retail', id: one.id }), material(), { source: '/etc/vinculo/ofb.json' });
    assert.doesNotThrow(() => assertDistinctInstitutions([one, entry]));
    assert.throws(() => assertDistinctInstitutions([one, twin]), (e: OfbConfigError) => e.problems.length === 1 && e.problems[0]!.field === 'name');
    assert.throws(() => assertDistinctInstitutions([one, sameId]), (e: OfbConfigError) => e.problems.length === 1 && e.problems[0]!.field === 'id');
  });
});
