import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpfDigits, formatCpf, isValidCpf } from '../../documents/cpf.js';
import { LOCALES, pickLocale, translator } from './i18n.js';
import { fromConfig, fromQuery } from './options.js';

describe('widget page: locale and options', () => {
  it('picks the locale option, then the browser languages, then English', () => {
    assert.equal(pickLocale('es', ['pt-BR']), 'es');
    assert.equal(pickLocale('pt_BR', []), 'pt');
    assert.equal(pickLocale(undefined, ['fr-FR', 'es-MX']), 'es');
    assert.equal(pickLocale('de', ['fr']), 'en');
    assert.equal(translator('pt')('loginTitle', { institution: 'Erebor' }), 'Entre em Erebor');
  });

  it('has every message in every language, with the same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of Object.entries(LOCALES.en)) {
      for (const locale of ['es', 'pt'] as const) {
        const other = (LOCALES[locale] as Record<string, string>)[key];
        assert.ok(other, `${locale}.${key}`);
        assert.deepEqual(placeholders(other), placeholders(text), `${locale}.${key}`);
      }
    }
  });

  it("reads Belvo's hosted query parameters and the embedded config alike", () => {
    const hosted = fromQuery(
      new URLSearchParams('access_token=x&access_mode=single&external_id=abc&country_codes=mx,co&institution_types=retail&institutions=a,b&locale=es&show_close_dialog=false&show_abandon_survey=0'),
    );
    const embedded = fromConfig({
      access_mode: 'single',
      external_id: 'abc',
      country_codes: ['MX', 'CO'],
      institution_types: ['retail'],
      institutions: ['a', 'b'],
      locale: 'es',
      show_close_dialog: false,
      show_abandon_survey: false,
    });
    assert.deepEqual(hosted, embedded);
    assert.deepEqual(fromConfig({ access_mode: 'weekly' }), {
      access_mode: undefined,
      external_id: undefined,
      country_codes: [],
      institutions: [],
      institution_types: [],
      locale: undefined,
      show_close_dialog: true,
      show_abandon_survey: true,
    });
  });

  it('checks CPF numbers by their check digits, with or without punctuation', () => {
    for (const valid of ['76109277673', '529.982.247-25', ' 52998224725 ']) assert.equal(isValidCpf(valid), true, valid);
    for (const invalid of ['76109277674', '52998224735', '111.111.111-11', '00000000000', '5299822472', '529.98224725', 'abc', '']) {
      assert.equal(isValidCpf(invalid), false, invalid);
    }
    assert.equal(cpfDigits('529.982.247-25'), '52998224725');
    assert.equal(cpfDigits('529-982-247-25'), null);
    assert.equal(formatCpf('52998224725'), '529.982.247-25');
  });

  it('names every Open Finance permission group in every language', () => {
    for (const locale of ['en', 'es', 'pt'] as const) {
      const t = translator(locale);
      for (const group of ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'] as const) assert.notEqual(t(`perm${group}`), '', `${locale}.perm${group}`);
      assert.match(t('months', { n: 6 }), /^6 /);
    }
  });
});
