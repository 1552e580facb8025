/**
 * The widget page's calls to its own server (same origin), with the access token as a Bearer
 * token. Errors come back as Belvo's error array; `ApiError` keeps its first item.
 */

export interface ErrorItem {
  code: string;
  message: string;
  field?: string | null;
  request_id?: string;
  session?: string;
  link?: string;
  expiry?: number;
  token_generation_data?: TokenGenerationData;
}

export interface TokenGenerationData {
  instructions: string;
  type: string;
  value: string;
  expects_user_input: boolean;
}

/** A `username_type` choice; its validation applies to the username (the document number). */
export interface FormFieldValue {
  code: string;
  label: string;
  validation?: string;
  validation_message?: string;
  placeholder?: string;
}

export interface FormField {
  name: string;
  type: 'text' | 'password' | 'select';
  label: string;
  validation: string;
  placeholder: string;
  validation_message: string;
  values?: FormFieldValue[];
}

export interface Institution {
  id: number;
  name: string;
  type: string;
  display_name: string;
  country_codes: string[];
  primary_color: string;
  logo: string | null;
  icon_logo: string | null;
  form_fields: FormField[];
  status: string;
  /** `openbanking`: an Open Finance institution, connected by the user's consent at the bank (no login form). */
  integration_type?: 'credentials' | 'openbanking';
}

export type ConsentPermission = 'REGISTER' | 'ACCOUNTS' | 'CREDIT_CARDS';

/** The token's `widget.consent` as the server applied it. */
export interface ConsentConfig {
  terms_and_conditions_url?: string;
  permissions?: ConsentPermission[];
  identification_info?: { type: 'CPF'; number: string; name?: string }[];
  purpose?: string;
}

/** What `POST /ofb/callback` answered, as the window that came back from the bank tells its opener. */
export interface ConsentAnswer {
  redirect_url: string;
  outcome: 'success' | 'exit';
  institution: string;
  link?: string;
  last_encountered_error?: { code: string; message: string };
}

export interface Link {
  id: string;
  institution: string;
  status: string;
}

export interface SessionInfo {
  mode: 'connect' | 'update';
  scopes: string[];
  expires_at: string;
  widget: {
    branding: {
      company_name?: string;
      company_logo?: string;
      company_icon?: string;
      company_terms_url?: string;
      overlay_background_color?: string;
    };
    callback_urls: { success?: string; exit?: string; event?: string };
    theme: { css_key: string; value: string }[];
    openfinance_feature?: 'consent_link_creation';
    consent?: ConsentConfig;
  };
  link: { id: string; institution: string; status: string; needs: 'credentials' | 'token' } | null;
  institution: Institution | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly items: ErrorItem[],
  ) {
    super(items[0]?.message ?? `HTTP ${status}`);
  }
  get code(): string {
    return this.items[0]?.code ?? (this.status === 0 ? 'network_error' : 'unexpected_error');
  }
  get first(): ErrorItem | undefined {
    return this.items[0];
  }
}

/** Any failure as an ApiError: what is not one (a bug, a thrown value) is an unexpected error. */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(500, []);
}

export class Api {
  constructor(private readonly token: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, []);
    }
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    if (!res.ok) throw new ApiError(res.status, Array.isArray(data) ? (data as ErrorItem[]) : []);
    return data as T;
  }

  session = () => this.call<SessionInfo>('GET', '/widget/api/session/');
  institutions = (query: Record<string, string>) => {
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
    return this.call<{ count: number; results: Institution[] }>('GET', `/widget/api/institutions/${qs ? `?${qs}` : ''}`);
  };
  register = (body: Record<string, string>) => this.call<Link>('POST', '/widget/api/links/', body);
  resume = (body: { session: string; link: string; token?: string }) => this.call<Link>('PATCH', '/widget/api/links/', body);
  update = (id: string, body: Record<string, string>) => this.call<Link>('PUT', `/widget/api/links/${encodeURIComponent(id)}/`, body);
  reconnect = (id: string) => this.call<Link>('POST', `/widget/api/links/${encodeURIComponent(id)}/reconnect/`);
  startConsent = (body: { institution: string; months: number; document?: string; access_mode?: string; external_id?: string }) =>
    this.call<{ redirect_url: string }>('POST', '/widget/api/consents/', body);
}
