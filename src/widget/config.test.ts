import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationErrors } from '../errors.js';
import { checkWidgetConfig } from './config.js';

const fields = (fn: () => unknown): string[] => {
  try {
    fn();
    return [];
  } catch (err) {
    assert.ok(err instanceof ValidationErrors);
    return err.errors.map((e) => e.options.field!);
  }
};

describe('widget configuration', () => {
  it('applies the known parts and ignores the rest', () => {
    const applied = checkWidgetConfig({
      callback_urls: { success: 'https://a.example/ok?x=1', exit: 'myapp://exit', event: '' },
      branding: { company_name: 'ACME', company_icon: 'data:image/png;base64,AAAA', overlay_background_color: 'rgba(0, 0, 0, 0.4)' },
      theme: [{ css_key: '--primary-color', value: 'teal' }],
      purpose: 'anything',
    });
    assert.deepEqual(applied, {
      branding: { company_name: 'ACME', company_icon: 'data:image/png;base64,AAAA', overlay_background_color: 'rgba(0, 0, 0, 0.4)' },
      callback_urls: { success: 'https://a.example/ok?x=1', exit: 'myapp://exit' },
      theme: [{ css_key: '--primary-color', value: 'teal' }],
    });
    assert.deepEqual(checkWidgetConfig(null), { branding: {}, callback_urls: {}, theme: [] });
  });

  it('refuses what could run code or escape CSS in the end user page', () => {
    assert.deepEqual(
      fields(() =>
        checkWidgetConfig({
          callback_urls: { success: 'JavaScript:alert(1)', exit: 'data:text/html,<script>', event: 'vbscript:x' },
          branding: { company_logo: 'javascript:x', company_terms_url: 'myapp://terms', company_name: 42 },
          theme: [{ css_key: '--text-color', value: 'red;}body{display:none' }],
        }),
      ).sort(),
      [
        'widget.branding.company_logo',
        'widget.branding.company_name',
        'widget.branding.company_terms_url',
        'widget.callback_urls.event',
        'widget.callback_urls.exit',
        'widget.callback_urls.success',
        'widget.theme.0.value',
      ],
    );
    assert.deepEqual(fields(() => checkWidgetConfig({ padding: 'x'.repeat(17_000) })), ['widget']);
  });
});
