import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
