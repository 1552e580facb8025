import { ValidationErrors, VinculoError, fieldError } from '../errors.js';

/**
 * The `widget` object of `POST /api/token/` (Belvo's branding and callback configuration). It is
 * stored whole; the parts Vinculo applies are checked here, because they end up in the end
 * user's page: callback URLs become redirects, logos become images, theme values become CSS.
 */

export interface WidgetBranding {
  company_name?: string;
  company_logo?: string;
  company_icon?: string;
  company_terms_url?: string;
  overlay_background_color?: string;
  social_proof?: boolean;
}

export interface WidgetCallbackUrls {
  success?: string;
  exit?: string;
  event?: string;
}

/** What the widget page applies. */
export interface AppliedWidgetConfig {
  branding: WidgetBranding;
  callback_urls: WidgetCallbackUrls;
  /** CSS custom properties of the widget (only the documented ones), e.g. `--primary-color`. */
  theme: { css_key: string; value: string }[];
}

/** The widget's CSS variables a client may set through `widget.theme`. */
export const THEME_KEYS = [
  '--primary-color',
  '--on-primary-color',
  '--background-color',
  '--surface-color',
  '--text-color',
  '--muted-color',
  '--error-color',
] as const;

const MAX_WIDGET_JSON = 16 * 1024;
// A colour and nothing else: no url(), no semicolons, no expressions.
const COLOR = /^(#[0-9a-fA-F]{3,8}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\)|[a-zA-Z]{3,30})$/;
// A redirect to these would run code or read local data in the widget's origin.
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'blob:', 'file:', 'about:']);

function parseUrl(value: string): URL | null {
  try {
    return value.length <= 2000 ? new URL(value) : null;
  } catch {
    return null;
  }
}

/** Validates the applied parts of `widget`; throws field errors (`widget.callback_urls.success`...). */
export function checkWidgetConfig(raw: Record<string, unknown> | null | undefined): AppliedWidgetConfig {
  const applied: AppliedWidgetConfig = { branding: {}, callback_urls: {}, theme: [] };
  if (!raw) return applied;
  const errors: VinculoError[] = [];
  const bad = (field: string, message: string) => errors.push(fieldError.invalid(`widget.${field}`, message));
  if (JSON.stringify(raw).length > MAX_WIDGET_JSON) {
    throw new ValidationErrors([fieldError.invalid('widget', 'The widget configuration is larger than 16 KB.')]);
  }

  const callbacks = raw.callback_urls;
  if (callbacks !== undefined && callbacks !== null) {
    if (typeof callbacks !== 'object' || Array.isArray(callbacks)) bad('callback_urls', 'Must be an object.');
    else {
      for (const key of ['success', 'exit', 'event'] as const) {
        const value = (callbacks as Record<string, unknown>)[key];
        if (value === undefined || value === null || value === '') continue;
        const url = typeof value === 'string' ? parseUrl(value) : null;
        if (!url || FORBIDDEN_SCHEMES.has(url.protocol)) bad(`callback_urls.${key}`, 'Must be an absolute URL (https: or your app\'s deep-link scheme).');
        else applied.callback_urls[key] = value as string;
      }
    }
  }

  const branding = raw.branding;
  if (branding !== undefined && branding !== null) {
    if (typeof branding !== 'object' || Array.isArray(branding)) bad('branding', 'Must be an object.');
    else {
      const b = branding as Record<string, unknown>;
      if (b.company_name !== undefined && b.company_name !== null) {
        if (typeof b.company_name !== 'string' || b.company_name.length > 100) bad('branding.company_name', 'Must be text of at most 100 characters.');
        else applied.branding.company_name = b.company_name;
      }
      for (const key of ['company_logo', 'company_icon'] as const) {
        const value = b[key];
        if (value === undefined || value === null || value === '') continue;
        const url = typeof value === 'string' ? parseUrl(value) : null;
        const ok = url && (url.protocol === 'https:' || url.protocol === 'http:' || /^data:image\/(png|jpeg|gif|webp|svg\+xml);/.test(value as string));
        if (!ok) bad(`branding.${key}`, 'Must be an http(s) URL or a data:image URL.');
        else applied.branding[key] = value as string;
      }
      if (b.company_terms_url !== undefined && b.company_terms_url !== null && b.company_terms_url !== '') {
        const url = typeof b.company_terms_url === 'string' ? parseUrl(b.company_terms_url) : null;
        if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) bad('branding.company_terms_url', 'Must be an http(s) URL.');
        else applied.branding.company_terms_url = b.company_terms_url as string;
      }
      if (b.overlay_background_color !== undefined && b.overlay_background_color !== null) {
        if (typeof b.overlay_background_color !== 'string' || !COLOR.test(b.overlay_background_color)) {
          bad('branding.overlay_background_color', 'Must be a CSS colour (#rrggbb, rgb(...), hsl(...) or a name).');
        } else applied.branding.overlay_background_color = b.overlay_background_color;
      }
      if (typeof b.social_proof === 'boolean') applied.branding.social_proof = b.social_proof;
    }
  }

  const theme = raw.theme;
  if (theme !== undefined && theme !== null) {
    if (!Array.isArray(theme)) bad('theme', 'Must be a list of {css_key, value}.');
    else {
      theme.forEach((item, i) => {
        const t = item as Record<string, unknown> | null;
        const known = t && typeof t.css_key === 'string' && (THEME_KEYS as readonly string[]).includes(t.css_key);
        if (!known) bad(`theme.${i}.css_key`, `Must be one of ${THEME_KEYS.join(', ')}.`);
        else if (typeof t!.value !== 'string' || !COLOR.test(t!.value)) bad(`theme.${i}.value`, 'Must be a CSS colour.');
        else applied.theme.push({ css_key: t!.css_key as string, value: t!.value as string });
      });
    }
  }

  if (errors.length) throw new ValidationErrors(errors);
  return applied;
}
