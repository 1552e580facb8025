import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { mapOwners, phoneNumber, postalAddress, splitName } from './owners.js';
import { asServed } from './testing.js';
import type { OfbPersonalIdentification } from './types.js';

const COLLECTED = new Date('2025-06-15T15:00:00Z');

function person(fields: Partial<OfbPersonalIdentification> = {}): OfbPersonalIdentification {
  return {
    updateDateTime: '2025-06-12T12:00:00Z',
    personalId: 'p-1',
    brandName: 'Banco Exemplo',
    civilName: 'Maria Aparecida da Silva Santos',
    birthDate: '1985-03-02',
    documents: { cpfNumber: '52998224725' },
    hasBrazilianNationality: true,
    companiesCnpj: ['11222333000181'],
    contacts: {
      postalAddresses: [
        { isMain: false, address: 'Rua Velha, 1', townName: 'Campinas', postCode: '13010000', country: 'Brasil' },
        { isMain: true, address: 'Av. Paulista, 1578', additionalInfo: 'Apto 12', districtName: 'Bela Vista', townName: 'São Paulo', countrySubDivision: 'SP', postCode: '01310200', country: 'Brasil', countryCode: 'BRA' },
      ],
      phones: [
        { isMain: false, type: 'FIXO', areaCode: '19', number: '32345678' },
        { isMain: true, type: 'MOVEL', countryCallingCode: '55', areaCode: '11', number: '987654321' },
      ],
      emails: [
        { isMain: false, email: 'old@example.com' },
        { isMain: true, email: 'maria@example.com.br' },
      ],
    },
    ...fields,
  };
}

describe('OFB personal identification → Belvo Owner', () => {
  it('maps the main contacts, the CPF and the name, valid as Belvo serves an Owner', () => {
    const [o] = mapOwners([person()]);
    assert.deepEqual(o, {
      internal_identification: 'p-1',
      display_name: 'Maria Aparecida da Silva Santos',
      first_name: 'Maria',
      last_name: 'Santos',
      second_last_name: null,
      email: 'maria@example.com.br',
      phone_number: '+5511987654321',
      address: 'Av. Paulista, 1578, Apto 12 - Bela Vista, São Paulo - SP, 01310-200',
      document_id: { document_type: 'CPF', document_number: '52998224725' },
    });
    assertSchema('Owner', asServed(o, COLLECTED));
  });

  it('shows the social name when there is one', () => {
    const [o] = mapOwners([person({ socialName: 'Mariana Souza' })]);
    assert.equal(o.display_name, 'Mariana Souza');
    assert.deepEqual([o.first_name, o.last_name], ['Mariana', 'Souza']);
  });

  it('splits Brazilian names: particles and agnomes stay with the family name', () => {
    const cases: [string, string | null, string | null][] = [
      ['João dos Santos', 'João', 'dos Santos'],
      ['Ana Maria de Oliveira', 'Ana', 'de Oliveira'],
      ['José Pereira Filho', 'José', 'Pereira Filho'],
      ['Carlos Alberto da Costa Júnior', 'Carlos', 'da Costa Júnior'],
      ['Pedro Neto', 'Pedro', 'Neto'],
      ['  Xuxa  ', 'Xuxa', null],
      ['Luiz Inácio Lula da Silva', 'Luiz', 'da Silva'],
      ['', null, null],
    ];
    for (const [name, first, last] of cases) assert.deepEqual(splitName(name), { first_name: first, last_name: last }, name);
  });

  it('falls back to the first contact, 55 for the country code, and null when nothing is sent', () => {
    const p = person();
    p.contacts = {
      postalAddresses: [{ isMain: false, address: 'Rua A, 10', townName: 'Recife', postCode: '50000000', country: 'Brasil' }],
      phones: [{ isMain: false, type: 'FIXO', areaCode: '81', number: '33334444', phoneExtension: '12' }],
      emails: [],
    };
    const [o] = mapOwners([p]);
    assert.equal(o.phone_number, '+558133334444 ramal 12');
    assert.equal(o.address, 'Rua A, 10, Recife, 50000-000');
    assert.equal(o.email, null);
    const [none] = mapOwners([person({ contacts: { postalAddresses: [], phones: [], emails: [] } })]);
    assert.deepEqual([none.phone_number, none.address, none.email], [null, null, null]);
    assertSchema('Owner', asServed(none, COLLECTED));
  });

  it('names the country of an address abroad', () => {
    assert.equal(
      postalAddress({ isMain: true, address: '10 Downing St', townName: 'London', postCode: 'SW1A2AA', country: 'Reino Unido', countryCode: 'GBR' }),
      '10 Downing St, London, SW1A2AA, Reino Unido',
    );
    assert.equal(phoneNumber({ isMain: true, type: 'MOVEL', countryCallingCode: '351', areaCode: '21', number: '912345678' }), '+35121912345678');
  });

  it('uses the passport of a customer without CPF, and drops an e-mail Belvo cannot hold', () => {
    const [o] = mapOwners([person({ documents: { passport: { number: 'AB123456', country: 'PRT' } }, contacts: { ...person().contacts, emails: [{ isMain: true, email: `${'a'.repeat(250)}@example.com` }] } })]);
    assert.deepEqual(o.document_id, { document_type: 'PASSPORT', document_number: 'AB123456' });
    assert.equal(o.email, null);
    assertSchema('Owner', asServed(o, COLLECTED));
  });

  it('is one owner per personalId', () => {
    const owners = mapOwners([person(), person({ brandName: 'Outra Marca' }), person({ personalId: 'p-2' })]);
    assert.deepEqual(owners.map((o) => o.internal_identification), ['p-1', 'p-2']);
  });
});
