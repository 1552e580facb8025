import { ValidationErrors, VinculoError, fieldError } from '../errors.js';
import { cpfDigits, isValidCpf } from '../documents/cpf.js';

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

/** Belvo's OFDA permission groups a consent may ask for (what `ConsentConnector` supports). */
export const CONSENT_PERMISSIONS = ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'] as const;
export type ConsentPermission = (typeof CONSENT_PERMISSIONS)[number];

/** Belvo's `widget.consent` of an OFDA token (Open Finance Brasil institutions). */
export interface WidgetConsentConfig {
  terms_and_conditions_url?: string;
  permissions?: ConsentPermission[];
  /** The end user's CPF (digits only) as the bank will check it. */
  identification_info?: { type: 'CPF'; number: string; name?: string }[];
  purpose?: string;
}

/** What the widget page applies. */
export interface AppliedWidgetConfig {
  branding: WidgetBranding;
  callback_urls: WidgetCallbackUrls;
  /** CSS custom properties of the widget (only the documented ones), e.g. `--primary-color`. */
  theme: { css_key: string; value: string }[];
  /** `consent_link_creation`: the token may create links from Open Finance consents. */
  openfinance_feature?: 'consent_link_creation';
  consent?: WidgetConsentConfig;
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

  if (raw.openfinance_feature !== undefined && raw.openfinance_feature !== null) {
    if (raw.openfinance_feature !== 'consent_link_creation') bad('openfinance_feature', 'Must be "consent_link_creation".');
    else applied.openfinance_feature = 'consent_link_creation';
  }

  const consent = raw.consent;
  if (consent !== undefined && consent !== null) {
    if (typeof consent !== 'object' || Array.isArray(consent)) bad('consent', 'Must be an object.');
    else {
      // Only what Vinculo applies goes to the page; other keys are stored, not applied.
      const checked = checkConsent(consent as Record<string, unknown>, bad);
      if (Object.keys(checked).length) applied.consent = checked;
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

/** `widget.consent`: the terms link, the permission groups and the user's CPF (check digits valid). */
function checkConsent(c: Record<string, unknown>, bad: (field: string, message: string) => void): WidgetConsentConfig {
  const out: WidgetConsentConfig = {};
  const terms = c.terms_and_conditions_url;
  if (terms !== undefined && terms !== null && terms !== '') {
    const url = typeof terms === 'string' ? parseUrl(terms) : null;
    if (!url || url.protocol !== 'https:') bad('consent.terms_and_conditions_url', 'Must be an https URL.');
    else out.terms_and_conditions_url = terms as string;
  }
  if (c.permissions !== undefined && c.permissions !== null) {
    const list = c.permissions;
    const unknown = Array.isArray(list) ? list.filter((p) => !(CONSENT_PERMISSIONS as readonly unknown[]).includes(p)) : [];
    if (!Array.isArray(list) || list.length === 0 || unknown.length) {
      bad('consent.permissions', `Must be a non-empty list of ${CONSENT_PERMISSIONS.join(', ')}${unknown.length ? `; unknown: ${unknown.map(String).join(', ')}` : ''}.`);
    } else out.permissions = [...new Set(list as ConsentPermission[])];
  }
  if (c.identification_info !== undefined && c.identification_info !== null) {
    const list = c.identification_info;
    if (!Array.isArray(list) || list.length !== 1) bad('consent.identification_info', 'Must be a list with one {type: "CPF", number, name}.');
    else {
      const item = list[0] as Record<string, unknown> | null;
      const at = 'consent.identification_info.0';
      if (!item || typeof item !== 'object') bad(at, 'Must be {type: "CPF", number, name}.');
      else {
        let ok = true;
        if (item.type !== 'CPF') (ok = false), bad(`${at}.type`, 'Must be "CPF".');
        // Never echo the number: it identifies a person.
        if (typeof item.number !== 'string' || !isValidCpf(item.number)) (ok = false), bad(`${at}.number`, 'Must be a valid CPF (11 digits, check digits included).');
        if (item.name !== undefined && item.name !== null && (typeof item.name !== 'string' || item.name.length > 200)) {
          ok = false;
          bad(`${at}.name`, 'Must be text of at most 200 characters.');
        }
        if (ok) {
          const number = cpfDigits(item.number as string)!;
          out.identification_info = [{ type: 'CPF', number, ...(typeof item.name === 'string' && item.name ? { name: item.name } : {}) }];
        }
      }
    }
  }
  if (c.purpose !== undefined && c.purpose !== null) {
    if (typeof c.purpose !== 'string' || c.purpose.length > 500) bad('consent.purpose', 'Must be text of at most 500 characters.');
    else out.purpose = c.purpose;
  }
  return out;
}
