/**
 * The Connect widget page (/widget/): pick an institution, log in, answer MFA, done — or, in
 * update mode, repair one link. Plain DOM, no framework. Runs either as the hosted page (token
 * and options in the query string, results by redirect to the token's callback URLs) or inside
 * the iframe that belvo-widget-1-stable.js mounts (token and options by postMessage from the
 * client's page, results back the same way). Credentials only ever go to this page's own origin.
 */
import { Api, ApiError, type ConsentAnswer, type ConsentPermission, type ErrorItem, type Institution, type Link, type SessionInfo } from './api.js';
import { withQuery } from '../callback-url.js';
import { cpfDigits, formatCpf, isValidCpf } from '../../documents/cpf.js';
import { h, uid } from './dom.js';
import { pickLocale, translator, type MessageKey, type Translate } from './i18n.js';
import { fromConfig, fromQuery, type WidgetOptions } from './options.js';
import { qrImage } from './qr.js';

const SOURCE = 'vinculo-widget';
/** Hosted mode: how long the success screen shows before the redirect to `callback_urls.success`. */
const SUCCESS_REDIRECT_MS = 2500;

type Page =
  | '/loading'
  | '/institutions'
  | '/login'
  | '/consent'
  | '/consent-window'
  | '/working'
  | '/mfa'
  | '/success'
  | '/error'
  | '/exit-survey'
  | '/closed';

const CONSENT_PERMISSIONS: readonly ConsentPermission[] = ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'];
const CONSENT_MONTHS = [12, 9, 6, 3] as const;

/** What an Open Finance consent that did not end in a link says to the user, by error code. */
const CONSENT_ERRORS: Record<string, MessageKey> = {
  consent_rejected: 'errConsentRejected',
  consent_failed: 'errConsentFailed',
  login_error: 'errConsentRejected',
  session_expired: 'errConsentExpired',
  authentication_failed: 'errSession',
  permission_denied: 'errNotAllowed',
  institution_down: 'errDown',
  institution_unavailable: 'errDown',
  request_timeout: 'errTimeout',
  too_many_sessions: 'errBusy',
};

interface Embedded {
  parentOrigin: string;
}

interface LastError {
  code: string;
  message: string;
}

/** Error codes that end the session: only leaving makes sense. */
const FATAL: Record<string, MessageKey> = {
  authentication_failed: 'errSession',
  permission_denied: 'errNotAllowed',
  invalid_link: 'errLinkUnusable',
  unconfirmed_link: 'errLinkUnusable',
  unsupported_operation: 'errLinkUnusable',
  not_found: 'errLinkUnusable',
};

const RETRYABLE: Record<string, MessageKey> = {
  institution_down: 'errDown',
  institution_unavailable: 'errDown',
  institution_inactive: 'errDown',
  too_many_sessions: 'errBusy',
  request_timeout: 'errTimeout',
  session_expired: 'errMfaExpired',
  network_error: 'errNetwork',
};

const FIELD_CODES = new Set(['required', 'blank', 'null', 'invalid', 'min_length', 'max_length']);

class Widget {
  private readonly card: HTMLElement;
  private readonly status: HTMLElement;
  private page: Page = '/loading';
  private institution: Institution | null = null;
  private lastError: LastError | null = null;
  private finished = false;
  /** Success: what "Done" (or the close button) does. */
  private done: (() => void) | null = null;
  /** Non-secret values typed into the login form, kept when the form is shown again. */
  private typed: Record<string, string> = {};
  private session!: SessionInfo;
  private api!: Api;
  readonly t: Translate;

  constructor(
    private readonly options: WidgetOptions,
    private readonly embedded: Embedded | null,
  ) {
    const locale = pickLocale(options.locale, navigator.languages ?? [navigator.language]);
    this.t = translator(locale);
    document.documentElement.lang = locale;
    document.title = this.t('pageTitle');
    document.documentElement.classList.toggle('embedded', embedded !== null);
    this.status = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
    this.card = h('main', { class: 'card', 'aria-labelledby': 'screen-title' });
    document.body.replaceChildren(h('div', { class: 'overlay' }, this.card), this.status);
    this.show('/loading', [h('div', { class: 'working' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('p', {}, this.t('loading')))], { title: false });
  }

  // ---- start ----------------------------------------------------------------------------------

  async start(token: string | null): Promise<void> {
    if (!token) return this.fatal('authentication_failed', 'No access token was given');
    this.api = new Api(token);
    try {
      this.session = await this.api.session();
    } catch (err) {
      return this.fail(err, () => this.start(token));
    }
    this.applyBranding();
    if (this.session.mode === 'update') {
      const inst = this.session.institution;
      if (!inst || !this.session.link) return this.fatal('unsupported_operation', 'The link cannot be updated');
      this.institution = inst;
      return this.session.link.needs === 'token' ? this.showTokenUpdate() : this.showLogin(inst, false);
    }
    return this.showInstitutions();
  }

  private applyBranding(): void {
    const root = document.documentElement.style;
    for (const { css_key, value } of this.session.widget.theme) root.setProperty(css_key, value);
    const overlay = this.session.widget.branding.overlay_background_color;
    if (overlay) root.setProperty('--overlay-color', overlay);
  }

  // ---- screens --------------------------------------------------------------------------------

  private async showInstitutions(): Promise<void> {
    this.institution = null;
    let list: Institution[];
    try {
      list = (
        await this.api.institutions({
          country_codes: this.options.country_codes.join(','),
          institution_types: this.options.institution_types.join(','),
          institutions: this.options.institutions.join(','),
        })
      ).results;
    } catch (err) {
      return this.fail(err, () => this.showInstitutions());
    }
    if (list.length === 1) return this.pick(list[0], false);

    const company = this.session.widget.branding.company_name;
    const searchId = uid('search');
    const countId = uid('count');
    const count = h('p', { class: 'hint', id: countId });
    const empty = h('p', { class: 'empty', hidden: true }, this.t(list.length ? 'noResults' : 'noInstitutions'));
    const items = list.map((inst) => {
      const button = h(
        'button',
        { type: 'button', class: 'institution', 'data-institution': inst.name, onclick: () => this.pick(inst, true) },
        avatar(inst),
        h(
          'span',
          { class: 'institution-text' },
          h('span', { class: 'institution-name' }, inst.display_name),
          h('span', { class: 'institution-meta' }, inst.status === 'down' ? this.t('unavailable') : inst.country_codes.join(' · ')),
        ),
      );
      return { inst, li: h('li', {}, button), button };
    });
    const ul = h('ul', { class: 'institutions', 'aria-labelledby': 'screen-title' }, items.map((i) => i.li));
    const search = h('input', {
      id: searchId,
      type: 'search',
      autocomplete: 'off',
      placeholder: this.t('searchPlaceholder'),
      'aria-describedby': countId,
    });
    const visible = () => items.filter((i) => !i.li.hidden);
    const update = () => {
      const q = fold(search.value);
      for (const i of items) i.li.hidden = q !== '' && !fold(`${i.inst.display_name} ${i.inst.name}`).includes(q);
      const n = visible().length;
      count.textContent = n === 1 ? this.t('result') : this.t('results', { n });
      empty.hidden = n > 0;
      this.announce(empty.hidden ? count.textContent : empty.textContent!);
    };
    search.addEventListener('input', update);
    // Arrow keys move between the search box and the list; Tab works as usual.
    const keys = (e: KeyboardEvent) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      const buttons = visible().map((i) => i.button);
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const next = e.key === 'ArrowDown' ? at + 1 : at - 1;
      e.preventDefault();
      if (next < 0) search.focus();
      else buttons[Math.min(next, buttons.length - 1)]?.focus();
    };
    search.addEventListener('keydown', keys);
    ul.addEventListener('keydown', keys);
    this.show('/institutions', [
      h('p', { class: 'lead' }, company ? this.t('selectHintCompany', { company }) : this.t('selectHint')),
      h('label', { for: searchId, class: 'label' }, this.t('searchLabel')),
      search,
      count,
      empty,
      ul,
    ], { title: this.t('selectTitle') });
    count.textContent = list.length === 1 ? this.t('result') : this.t('results', { n: list.length });
    empty.hidden = list.length > 0;
  }

  /** After an institution is chosen: its login form, or the consent screen of an Open Finance bank. */
  private pick(inst: Institution, canGoBack: boolean): void {
    if (inst.integration_type === 'openbanking' && this.session.mode === 'connect') return this.showConsent(inst, canGoBack);
    this.showLogin(inst, canGoBack);
  }

  // ---- Open Finance consent -------------------------------------------------------------------

  /** Sharing period last chosen (kept when the screen is shown again). */
  private consentMonths = 12;

  /**
   * An Open Finance institution: what will be shared, for how long, for which CPF; "Continue"
   * starts the consent and sends the user to the bank, whose pages confirm it.
   */
  private showConsent(inst: Institution, canGoBack: boolean, problem?: { document?: string }): void {
    this.institution = inst;
    const config = this.session.widget.consent ?? {};
    const permissions = config.permissions ?? CONSENT_PERMISSIONS;
    const fromToken = config.identification_info?.[0]?.number;
    const months = h(
      'select',
      { id: 'consent-months', name: 'months' },
      CONSENT_MONTHS.map((n) => h('option', { value: String(n), selected: n === this.consentMonths }, this.t('months', { n }))),
    );
    const docError = h('p', { class: 'field-error', id: 'consent-document-error', hidden: true });
    const doc = h('input', {
      id: 'consent-document',
      name: 'document',
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'off',
      placeholder: '000.000.000-00',
      required: !fromToken,
      readonly: Boolean(fromToken),
      'aria-describedby': 'consent-document-error',
    });
    doc.value = fromToken ? formatCpf(fromToken) : (this.typed.document ?? '');
    doc.addEventListener('input', () => clearError(doc, docError));
    if (problem?.document) setError(doc, docError, problem.document);
    const terms = config.terms_and_conditions_url ?? this.session.widget.branding.company_terms_url;
    const submit = () => {
      let document: string | undefined;
      if (!fromToken) {
        const value = doc.value.trim();
        if (!isValidCpf(value)) {
          setError(doc, docError, this.t(value ? 'consentCpfInvalid' : 'required'));
          doc.focus();
          return;
        }
        this.typed.document = value;
        document = cpfDigits(value)!;
      }
      this.consentMonths = Number(months.value);
      // Banks refuse to be framed: inside a frame the bank opens in a new window, opened now while
      // the click still allows a pop-up (it is pointed at the bank once the server answers).
      const framed = window.top !== window.self;
      const popup = framed ? window.open('', '_blank') : null;
      void this.startConsent(inst, canGoBack, {
        institution: inst.name,
        months: this.consentMonths,
        ...(document ? { document } : {}),
        ...(this.options.access_mode ? { access_mode: this.options.access_mode } : {}),
        ...(this.options.external_id ? { external_id: this.options.external_id } : {}),
      }, framed, popup);
    };
    const form = h(
      'form',
      { id: 'consent-form', class: 'form', novalidate: true, onsubmit: (e: SubmitEvent) => (e.preventDefault(), submit()) },
      h('h2', { class: 'label', id: 'consent-shares' }, this.t('consentShares')),
      h(
        'ul',
        { id: 'consent-permissions', class: 'permissions', 'aria-labelledby': 'consent-shares' },
        permissions.map((p) => h('li', { 'data-permission': p }, this.t(`perm${p}`))),
      ),
      h('div', { class: 'field' }, h('label', { for: 'consent-months', class: 'label' }, this.t('consentDuration')), months),
      h('div', { class: 'field' }, h('label', { for: 'consent-document', class: 'label' }, this.t('consentCpf')), doc, docError),
      terms
        ? h('p', { class: 'terms' }, `${this.t('consentTermsText')} `, h('a', { id: 'consent-terms', href: terms, target: '_blank', rel: 'noopener noreferrer' }, this.t('termsLink')))
        : null,
      h('button', { type: 'submit', class: 'primary', id: 'consent-continue' }, this.t('continue')),
    );
    this.show('/consent', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.t('consentHint', { institution: inst.display_name }))),
      form,
    ], {
      title: this.t('consentTitle', { institution: inst.display_name }),
      back: canGoBack ? () => this.showInstitutions() : undefined,
      focus: problem?.document ? doc : undefined,
    });
  }

  private async startConsent(
    inst: Institution,
    canGoBack: boolean,
    body: { institution: string; months: number; document?: string; access_mode?: string; external_id?: string },
    framed: boolean,
    popup: Window | null,
  ): Promise<void> {
    this.working(this.t('redirecting', { institution: inst.display_name }));
    let url: string;
    try {
      url = (await this.api.startConsent(body)).redirect_url;
    } catch (err) {
      popup?.close();
      const e = asApiError(err);
      this.recordError(e);
      if (e.items.some((i) => i.field === 'document')) return this.showConsent(inst, canGoBack, { document: this.t('consentCpfInvalid') });
      return this.fail(e, () => this.showConsent(inst, canGoBack));
    }
    if (!framed) {
      location.assign(url);
      return;
    }
    const open = popup && !popup.closed ? popup : null;
    if (open) open.location.href = url;
    this.showConsentWindow(inst, url, open);
  }

  /** Framed: the bank is in another window; its callback page tells this one how it ended. */
  private showConsentWindow(inst: Institution, url: string, popup: Window | null): void {
    let current = popup;
    const onMessage = (e: MessageEvent) => {
      const msg = e.data as { source?: string; type?: string; answer?: ConsentAnswer } | null;
      if (e.origin !== location.origin || !current || e.source !== current) return;
      if (msg?.source !== 'vinculo-consent' || msg.type !== 'consent-result' || !msg.answer) return;
      window.removeEventListener('message', onMessage);
      current.postMessage({ source: SOURCE, type: 'consent-ack' }, location.origin);
      if (this.page === '/consent-window') this.consentAnswer(inst, msg.answer);
    };
    window.addEventListener('message', onMessage);
    const blocked = h('p', { class: 'alert', role: 'alert', hidden: popup !== null }, this.t('consentPopupBlocked'));
    const openAgain = () => {
      current = window.open(url, '_blank');
      blocked.hidden = current !== null;
    };
    this.show('/consent-window', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.t('consentWindowHint', { institution: inst.display_name }))),
      blocked,
      h('button', { type: 'button', class: 'primary', id: 'consent-open-again', onclick: openAgain }, this.t('consentOpenAgain', { institution: inst.display_name })),
      h('button', { type: 'button', class: 'secondary', onclick: () => this.exit() }, this.t('exit')),
    ], { title: this.t('consentWindowTitle', { institution: inst.display_name }) });
  }

  private consentAnswer(inst: Institution, answer: ConsentAnswer): void {
    if (answer.outcome === 'success' && answer.link) return this.success({ id: answer.link, institution: answer.institution, status: 'valid' });
    const error = answer.last_encountered_error ?? { code: 'unexpected_error', message: '' };
    this.recordError(new ApiError(400, [error]));
    const key = CONSENT_ERRORS[error.code] ?? 'errGeneric';
    this.showError(this.t(key, { institution: inst.display_name }), key === 'errSession' || key === 'errNotAllowed' ? null : () => this.showConsent(inst, true));
  }

  /**
   * Hosted page without callback URLs, back from the bank (`/widget/#consent=success|error`):
   * the consent's result, with no token (the session ended with the connection).
   */
  showConsentResult(result: URLSearchParams): void {
    this.finished = true;
    this.done = () => this.showClosed(this.t(result.get('consent') === 'success' ? 'successTitle' : 'closedTitle'));
    if (result.get('consent') === 'success') {
      this.show('/success', [
        h('div', { class: 'success-mark', 'aria-hidden': 'true' }, '✓'),
        h('p', { class: 'lead' }, this.t('consentSuccessHint')),
        h('button', { type: 'button', class: 'primary', onclick: this.done }, this.t('done')),
      ], { title: this.t('successTitle') });
      return;
    }
    const code = result.get('code') ?? 'unexpected_error';
    this.lastError = { code, message: '' };
    this.show('/error', [
      h('p', { class: 'alert', role: 'alert' }, this.t(CONSENT_ERRORS[code] ?? 'errGeneric', { institution: result.get('institution') ?? '' })),
      h('button', { type: 'button', class: 'secondary', onclick: this.done }, this.t('close')),
    ], { title: this.t('errorTitle') });
  }

  /** The login form, built from the institution's `form_fields` (update mode: its password fields only). */
  private showLogin(inst: Institution, canGoBack: boolean, problem?: { alert?: string; fields?: Record<string, string> }): void {
    this.institution = inst;
    const update = this.session.mode === 'update';
    const fields = update ? inst.form_fields.filter((f) => f.type === 'password') : inst.form_fields;
    if (update && fields.length === 0) return this.showTokenUpdate();
    const controls: { field: (typeof fields)[number]; input: HTMLInputElement | HTMLSelectElement; error: HTMLElement }[] = [];
    const rows = fields.map((field) => {
      const id = uid(field.name);
      const errorId = `${id}-error`;
      const hintId = `${id}-hint`;
      const error = h('p', { class: 'field-error', id: errorId, hidden: true });
      let input: HTMLInputElement | HTMLSelectElement;
      if (field.type === 'select') {
        input = h(
          'select',
          { id, name: field.name, required: true },
          h('option', { value: '' }, field.placeholder || field.label),
          (field.values ?? []).map((v) => h('option', { value: v.code }, v.label)),
        );
      } else {
        input = h('input', {
          id,
          name: field.name,
          type: field.type === 'password' ? 'password' : 'text',
          autocomplete: field.type === 'password' ? (update ? 'new-password' : 'current-password') : 'username',
          autocapitalize: 'none',
          spellcheck: 'false',
          placeholder: field.placeholder,
          required: true,
          'aria-describedby': `${hintId} ${errorId}`,
        });
      }
      if (field.type !== 'password' && this.typed[field.name]) input.value = this.typed[field.name];
      input.addEventListener(field.type === 'select' ? 'change' : 'input', () => clearError(input, error));
      const message = problem?.fields?.[field.name];
      if (message) setError(input, error, message);
      controls.push({ field, input, error });
      return h(
        'div',
        { class: 'field' },
        h('label', { for: id, class: 'label' }, field.label),
        input,
        h('p', { class: 'sr-only', id: hintId }, field.validation_message),
        error,
      );
    });
    const alert = problem?.alert ? h('p', { class: 'alert', role: 'alert' }, problem.alert) : null;
    const terms = this.session.widget.branding.company_terms_url;
    const company = this.session.widget.branding.company_name;
    const form = h(
      'form',
      { class: 'form', novalidate: true, onsubmit: (e: SubmitEvent) => (e.preventDefault(), void submit()) },
      alert,
      rows,
      terms
        ? h('p', { class: 'terms' }, company ? `${this.t('terms', { company })} ` : '', h('a', { href: terms, target: '_blank', rel: 'noopener noreferrer' }, this.t('termsLink')))
        : null,
      h('button', { type: 'submit', class: 'primary' }, this.t(update ? 'continue' : 'connect')),
    );
    const submit = async () => {
      const values: Record<string, string> = {};
      let firstBad: HTMLElement | null = null;
      // The chosen document type's own rule applies to the document number (the username).
      const select = controls.find((c) => c.field.values?.length);
      const docType = select?.field.values?.find((v) => v.code === select.input.value);
      for (const { field, input, error } of controls) {
        const value = field.type === 'password' ? input.value : input.value.trim();
        let message: string | null = null;
        if (value === '') message = this.t('required');
        else if (!safeTest(field.validation, value)) message = field.validation_message || this.t('required');
        else if (field.name === 'username' && docType?.validation && !safeTest(docType.validation, value)) {
          message = docType.validation_message || field.validation_message;
        }
        if (message) {
          setError(input, error, message);
          firstBad ??= input;
        } else {
          clearError(input, error);
          values[field.name] = value;
          if (field.type !== 'password') this.typed[field.name] = value;
        }
      }
      if (firstBad) {
        firstBad.focus();
        return;
      }
      this.working(this.t('connecting', { institution: inst.display_name }));
      const again = (p?: { alert?: string; fields?: Record<string, string> }) => this.showLogin(inst, canGoBack, p);
      try {
        const link = update
          ? await this.api.update(this.session.link!.id, values)
          : await this.api.register({
              institution: inst.name,
              ...values,
              ...(this.options.access_mode ? { access_mode: this.options.access_mode } : {}),
              ...(this.options.external_id ? { external_id: this.options.external_id } : {}),
            });
        this.success(link);
      } catch (err) {
        this.onLoginError(err, again);
      }
    };
    this.show('/login', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.t(update ? 'updateHint' : 'loginHint', { institution: inst.display_name }))),
      form,
    ], {
      title: this.t(update ? 'updateTitle' : 'loginTitle', { institution: inst.display_name }),
      back: canGoBack ? () => this.showInstitutions() : undefined,
      focus: alert
        ? (controls.find((c) => c.field.type === 'password')?.input ?? null)
        : (controls.find((c) => problem?.fields?.[c.field.name])?.input ?? undefined),
    });
  }

  /** Update mode for a `token_required` link: log in again so the institution asks for its token. */
  private showTokenUpdate(): void {
    const inst = this.institution!;
    const go = async () => {
      this.working(this.t('connecting', { institution: inst.display_name }));
      try {
        this.success(await this.api.reconnect(this.session.link!.id));
      } catch (err) {
        this.onLoginError(err, () => this.showTokenUpdate());
      }
    };
    this.show('/login', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.t('tokenUpdateHint', { institution: inst.display_name }))),
      h('button', { type: 'button', class: 'primary', onclick: () => void go() }, this.t('continue')),
    ], { title: this.t('updateTitle', { institution: inst.display_name }) });
  }

  /** The institution asks for a token (numeric input) or a confirmation elsewhere (QR / push). */
  private showMfa(challenge: ErrorItem, restart: () => void, alert?: string): void {
    const inst = this.institution!;
    const data = challenge.token_generation_data ?? { instructions: '', type: 'numeric', value: '', expects_user_input: true };
    const resume = async (token?: string) => {
      this.working(this.t('verifying'));
      try {
        this.success(await this.api.resume({ session: challenge.session!, link: challenge.link!, ...(token ? { token } : {}) }));
      } catch (err) {
        const e = asApiError(err);
        this.recordError(e);
        if (e.code === 'token_required' && e.first?.session) return this.showMfa(e.first, restart);
        if (e.code === 'login_error') return this.showMfa(challenge, restart, this.t('errToken'));
        this.fail(e, restart);
      }
    };
    const intro = data.instructions ? h('p', { class: 'lead', id: uid('instructions') }, data.instructions) : null;
    const alertEl = alert ? h('p', { class: 'alert', role: 'alert' }, alert) : null;
    if (!data.expects_user_input) {
      this.show('/mfa', [
        h('div', { class: 'institution-header' }, avatar(inst), intro),
        alertEl,
        data.value ? h('div', { class: 'qr-box' }, qrImage(data.value, this.t('qrAlt', { institution: inst.display_name }))) : null,
        h('button', { type: 'button', class: 'primary', onclick: () => void resume() }, this.t('qrDone')),
      ], { title: this.t('qrTitle') });
      return;
    }
    const id = uid('token');
    const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const input = h('input', {
      id,
      name: 'token',
      type: 'text',
      inputmode: data.type === 'numeric' ? 'numeric' : 'text',
      autocomplete: 'one-time-code',
      required: true,
      'aria-describedby': [intro?.id, `${id}-error`].filter(Boolean).join(' '),
    });
    const form = h(
      'form',
      {
        class: 'form',
        novalidate: true,
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
          const token = input.value.trim();
          if (!token) {
            setError(input, error, this.t('required'));
            input.focus();
            return;
          }
          void resume(token);
        },
      },
      alertEl,
      h('div', { class: 'field' }, h('label', { for: id, class: 'label' }, this.t('mfaCodeLabel')), input, error),
      h('button', { type: 'submit', class: 'primary' }, this.t('verify')),
    );
    this.show('/mfa', [h('div', { class: 'institution-header' }, avatar(inst), intro), form], {
      title: this.t('mfaTitle'),
      focus: alert ? input : undefined,
    });
  }

  private working(text: string): void {
    this.show('/working', [h('div', { class: 'working' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('p', {}, text))], {
      title: false,
    });
    this.announce(text);
  }

  private success(link: Link): void {
    this.finished = true;
    const inst = this.institution!;
    const update = this.session.mode === 'update';
    const url = this.session.widget.callback_urls.success;
    const target = url ? withQuery(url, { link: link.id, institution: link.institution }) : null;
    const done = () => {
      if (this.embedded) this.post({ type: 'close' });
      else if (target) location.assign(target);
      else this.showClosed(this.t(update ? 'successUpdatedTitle' : 'successTitle'));
    };
    this.done = done;
    this.show('/success', [
      h('div', { class: 'success-mark', 'aria-hidden': 'true' }, '✓'),
      h('p', { class: 'lead' }, this.t(update ? 'successUpdatedHint' : 'successHint', { institution: inst.display_name })),
      h('button', { type: 'button', class: 'primary', onclick: done }, this.t('done')),
    ], { title: this.t(update ? 'successUpdatedTitle' : 'successTitle') });
    if (this.embedded) this.post({ type: 'success', link: link.id, institution: link.institution });
    else if (target) setTimeout(() => location.assign(target), SUCCESS_REDIRECT_MS);
  }

  private showError(message: string, retry: (() => void) | null): void {
    this.show('/error', [
      h('p', { class: 'alert', role: 'alert' }, message),
      retry ? h('button', { type: 'button', class: 'primary', onclick: retry }, this.t('tryAgain')) : null,
      h('button', { type: 'button', class: 'secondary', onclick: () => this.exit() }, this.t('exit')),
    ], { title: this.t('errorTitle') });
  }

  private showClosed(title: string): void {
    this.show('/closed', [h('p', { class: 'lead' }, this.t('closeWindow'))], { title, close: false });
  }

  // ---- errors ---------------------------------------------------------------------------------

  /** After a register, update or reconnect: MFA, the form again with what was wrong, or an error screen. */
  private onLoginError(err: unknown, again: (problem?: { alert?: string; fields?: Record<string, string> }) => void): void {
    const e = asApiError(err);
    if (e.code === 'token_required' && e.first?.session) {
      this.recordError(e);
      return this.showMfa(e.first, () => again());
    }
    this.recordError(e);
    if (e.code === 'login_error') return again({ alert: this.t('errLogin') });
    if (FIELD_CODES.has(e.code) && e.items.every((i) => i.field)) {
      const fields: Record<string, string> = {};
      for (const i of e.items) fields[i.field!] = this.institution?.form_fields.find((f) => f.name === i.field)?.validation_message || i.message;
      return again({ fields });
    }
    this.fail(e, () => again());
  }

  /** Any other failure: a fatal one ends the session, the rest can be retried. */
  private fail(err: unknown, retry: () => void): void {
    const e = asApiError(err);
    this.recordError(e);
    const fatal = FATAL[e.code];
    if (fatal) return this.showError(this.t(fatal), null);
    const key = RETRYABLE[e.code] ?? 'errGeneric';
    this.showError(this.t(key, { institution: this.institution?.display_name ?? '' }), retry);
  }

  private fatal(code: string, message: string): void {
    this.fail(new ApiError(401, [{ code, message }]), () => undefined);
  }

  /** Remembers the error for onExit / the exit redirect, and reports it as an ERROR event. */
  private recordError(e: ApiError): void {
    if (e.code === 'token_required') return;
    this.lastError = { code: e.code, message: e.first?.message ?? e.message };
    this.event('ERROR', e.first?.request_id ?? null, {
      error_code: e.code,
      error_message: this.lastError.message,
      institution_name: this.institution?.name ?? null,
    });
  }

  // ---- leaving --------------------------------------------------------------------------------

  private requestClose(): void {
    if (this.finished) return this.done?.();
    if (this.options.show_close_dialog) this.openLeaveDialog();
    else this.leave();
  }

  private leave(): void {
    if (this.options.show_abandon_survey && this.page !== '/error') this.showSurvey();
    else this.exit();
  }

  private openLeaveDialog(): void {
    const opener = document.activeElement as HTMLElement | null;
    const titleId = uid('leave-title');
    const close = () => {
      layer.remove();
      this.card.inert = false;
      opener?.focus();
    };
    const stay = h('button', { type: 'button', class: 'primary', onclick: close }, this.t('stay'));
    const leave = h('button', { type: 'button', class: 'secondary', onclick: () => (layer.remove(), (this.card.inert = false), this.leave()) }, this.t('leave'));
    const dialog = h(
      'div',
      { class: 'dialog', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': titleId, 'aria-describedby': `${titleId}-text` },
      h('h2', { id: titleId }, this.t('leaveTitle')),
      h('p', { id: `${titleId}-text` }, this.t('leaveText')),
      h('div', { class: 'actions' }, stay, leave),
    );
    const layer = h('div', { class: 'dialog-layer' }, dialog);
    dialog.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') close();
      if (e.key === 'Tab') {
        // Keep focus inside the dialog.
        e.preventDefault();
        (document.activeElement === stay ? leave : stay).focus();
      }
    });
    this.card.inert = true;
    document.body.append(layer);
    stay.focus();
  }

  private showSurvey(): void {
    const reasons: MessageKey[] = ['reasonNotListed', 'reasonCredentials', 'reasonPrivacy', 'reasonError', 'reasonOther'];
    this.show('/exit-survey', [
      h('p', { class: 'lead' }, this.t('surveyHint')),
      h('ul', { class: 'reasons' }, reasons.map((r) => h('li', {}, h('button', { type: 'button', class: 'reason', onclick: () => this.exit(r) }, this.t(r))))),
      h('button', { type: 'button', class: 'secondary', onclick: () => this.exit() }, this.t('skip')),
    ], { title: this.t('surveyTitle'), close: false });
  }

  /** Belvo's onExit data; hosted: the exit redirect with `last_encountered_error` and `institution`. */
  private exit(reason?: MessageKey): void {
    const institution = this.institution?.name ?? null;
    const data = {
      last_encountered_error: this.lastError,
      meta_data: { institution_name: institution, step: this.page.slice(1), ...(reason ? { abandon_reason: reason.replace(/^reason/, '').toLowerCase() } : {}) },
    };
    if (this.embedded) return this.post({ type: 'exit', data });
    const url = this.session?.widget.callback_urls.exit;
    if (url) location.assign(withQuery(url, { last_encountered_error: this.lastError?.code, institution: institution ?? undefined }));
    else this.showClosed(this.t('closedTitle'));
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** Replaces the card's content: header (back, brand, close), the screen, footer; moves focus; reports PAGE_LOAD. */
  private show(
    page: Page,
    body: (Node | null)[],
    opts: { title: string | false; back?: () => void; focus?: HTMLElement | null; close?: boolean },
  ): void {
    const from = this.page;
    this.page = page;
    const brand = this.session?.widget.branding;
    const closeButton =
      opts.close === false || page === '/loading'
        ? null
        : h('button', { type: 'button', class: 'icon-button close', 'aria-label': this.t('close'), onclick: () => this.requestClose() }, '×');
    const header = h(
      'header',
      { class: 'bar' },
      opts.back ? h('button', { type: 'button', class: 'icon-button back', 'aria-label': this.t('back'), onclick: opts.back }, '‹') : h('span', { class: 'spacer' }),
      brand?.company_logo
        ? h('img', { class: 'brand-logo', src: brand.company_logo, alt: brand.company_name ?? '' })
        : h('span', { class: 'brand-name' }, brand?.company_name ?? ''),
      closeButton ?? h('span', { class: 'spacer' }),
    );
    const title = opts.title === false ? null : h('h1', { id: 'screen-title', tabindex: '-1' }, opts.title);
    this.card.replaceChildren(header, h('section', { class: 'screen' }, title, ...body), h('footer', { class: 'foot' }, this.t('secured')));
    const target = opts.focus ?? title;
    target?.focus();
    if (page !== '/loading' && page !== '/working') this.event('PAGE_LOAD', null, { page, from, institution_name: this.institution?.name ?? null });
  }

  private announce(text: string): void {
    this.status.textContent = '';
    setTimeout(() => (this.status.textContent = text), 50);
  }

  private event(eventName: string, requestId: string | null, meta: Record<string, unknown>): void {
    this.post({ type: 'event', data: { eventName, request_id: requestId, meta_data: { ...meta, timestamp: new Date().toISOString() } } });
  }

  private post(message: Record<string, unknown>): void {
    if (this.embedded) window.parent.postMessage({ source: SOURCE, ...message }, this.embedded.parentOrigin);
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function avatar(inst: Institution): HTMLElement {
  const src = inst.icon_logo ?? inst.logo;
  if (src) return h('img', { class: 'avatar', src, alt: '' });
  const initials = inst.display_name
    .split(/\s+/)
    .map((w) => w[0])
    .join('')
    .slice(0, 2)
    .toUpperCase();
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials);
  el.style.backgroundColor = inst.primary_color;
  return el;
}

function setError(input: HTMLElement, error: HTMLElement, message: string): void {
  error.textContent = message;
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
}

function clearError(input: HTMLElement, error: HTMLElement): void {
  error.textContent = '';
  error.hidden = true;
  input.removeAttribute('aria-invalid');
}

/** The institution's regex; a pattern the browser cannot compile is left to the server to check. */
function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return true;
  }
}

/** Case- and accent-insensitive text for search. */
function fold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
}

function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(500, []);
}


// ---- boot ---------------------------------------------------------------------------------------

function boot(): void {
  const params = new URLSearchParams(location.search);
  if (params.get('embedded') !== '1') {
    // Back from an Open Finance bank with no callback URLs to go to: show how the consent ended.
    const consent = new URLSearchParams(location.hash.slice(1));
    if (consent.get('consent') === 'success' || consent.get('consent') === 'error') {
      history.replaceState(history.state, '', `${location.pathname}${location.search}`);
      new Widget(fromQuery(params), null).showConsentResult(consent);
      return;
    }
    const token = params.get('access_token');
    // The token is a bearer secret: out of the address bar (history, screenshots, shared links) once read.
    if (token !== null) {
      params.delete('access_token');
      const rest = params.toString();
      history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
    }
    new Widget(fromQuery(params), null).start(token).catch(() => undefined);
    return;
  }
  // Embedded: the client's page (the parent) sends the token and options. Accept them only from
  // the origin named in our URL, and only if that origin really is our parent.
  const parentOrigin = params.get('origin') ?? '';
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const widget = new Widget(fromConfig({ locale: params.get('locale') ?? undefined }), null);
  let validOrigin = false;
  try {
    validOrigin = new URL(parentOrigin).origin === parentOrigin && window.parent !== window && (!ancestors?.length || ancestors[0] === parentOrigin);
  } catch {
    validOrigin = false;
  }
  if (!validOrigin) {
    void widget.start(null);
    return;
  }
  const timer = setTimeout(() => void widget.start(null), 15_000);
  window.addEventListener('message', function onInit(e: MessageEvent) {
    const msg = e.data as { source?: string; type?: string; accessToken?: unknown; config?: unknown } | null;
    if (e.source !== window.parent || e.origin !== parentOrigin || msg?.source !== SOURCE || msg.type !== 'init') return;
    window.removeEventListener('message', onInit);
    clearTimeout(timer);
    const config = msg.config && typeof msg.config === 'object' ? (msg.config as Record<string, unknown>) : {};
    const embedded = new Widget(fromConfig(config), { parentOrigin });
    void embedded.start(typeof msg.accessToken === 'string' ? msg.accessToken : null);
  });
  window.parent.postMessage({ source: SOURCE, type: 'ready' }, parentOrigin);
}

boot();
