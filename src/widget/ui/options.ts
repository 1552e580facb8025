/**
 * The widget's start options, Belvo's names: from the hosted page's query string, or from the
 * config object given to `belvoSDK.createWidget(token, config)` (sent over postMessage, so only
 * plain values arrive here — the callbacks stay in the client's page).
 */
export interface WidgetOptions {
  access_mode?: string;
  external_id?: string;
  country_codes: string[];
  institutions: string[];
  institution_types: string[];
  locale?: string;
  show_close_dialog: boolean;
  show_abandon_survey: boolean;
}

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((s) => s.trim()).filter(Boolean);

const bool = (v: unknown, fallback: boolean): boolean => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && v !== '') return !['false', '0', 'no'].includes(v.toLowerCase());
  return fallback;
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

export function fromConfig(config: Record<string, unknown>): WidgetOptions {
  const mode = str(config.access_mode);
  return {
    access_mode: mode === 'single' || mode === 'recurrent' ? mode : undefined,
    external_id: str(config.external_id),
    country_codes: list(config.country_codes).map((c) => c.toUpperCase()),
    institutions: list(config.institutions),
    institution_types: list(config.institution_types),
    locale: str(config.locale),
    show_close_dialog: bool(config.show_close_dialog, true),
    show_abandon_survey: bool(config.show_abandon_survey, true),
  };
}

export function fromQuery(params: URLSearchParams): WidgetOptions {
  const config: Record<string, unknown> = {};
  for (const [key, value] of params) config[key] = value;
  return fromConfig(config);
}
