/**
 * An Open Finance institution on the widget page: no login form, but a consent the user gives at
 * the bank. The consent screen (what is shared, for how long, for which CPF), the redirect to the
 * bank, and the way back: to this page, or, when the page is framed and the bank opened in another
 * window, that window's message. It reaches the page only through ConsentWidgetPage.
 */
import { ApiError, asApiError, type ConsentAnswer, type ConsentPermission, type Institution } from './api.js';
import { avatar } from './avatar.js';
import { cpfDigits, formatCpf, isValidCpf } from '../../documents/cpf.js';
import { clearError, h, setError } from './dom.js';
import type { MessageKey } from './i18n.js';
import { MESSAGE_SOURCE, type Page, type WidgetPage } from './widget-page.js';

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

/** What the consent flow needs of the widget page besides what every flow does. */
export interface ConsentWidgetPage extends WidgetPage {
  /** The screen shown now: an answer from the bank's window counts only while its screen is. */
  readonly page: Page;
  showError(message: string, retry: (() => void) | null): void;
  exit(): void;
  /** The connection is over: "Done" and the close button run `done` from now on. */
  finish(done: () => void): void;
  showClosed(title: string): void;
}

export class OpenFinanceConsent {
  /** Sharing period last chosen (kept when the screen is shown again). */
  private consentMonths = 12;

  constructor(private readonly widget: ConsentWidgetPage) {}

  /**
   * An Open Finance institution: what will be shared, for how long, for which CPF; "Continue"
   * starts the consent and sends the user to the bank, whose pages confirm it.
   */
  showConsent(inst: Institution, canGoBack: boolean, problem?: { document?: string }): void {
    this.widget.institution = inst;
    const config = this.widget.session.widget.consent ?? {};
    const permissions = config.permissions ?? CONSENT_PERMISSIONS;
    const fromToken = config.identification_info?.[0]?.number;
    const months = h(
      'select',
      { id: 'consent-months', name: 'months' },
      CONSENT_MONTHS.map((n) => h('option', { value: String(n), selected: n === this.consentMonths }, this.widget.t('months', { n }))),
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
    doc.value = fromToken ? formatCpf(fromToken) : (this.widget.typed.document ?? '');
    doc.addEventListener('input', () => clearError(doc, docError));
    if (problem?.document) setError(doc, docError, problem.document);
    const terms = config.terms_and_conditions_url ?? this.widget.session.widget.branding.company_terms_url;
    const submit = () => {
      let document: string | undefined;
      if (!fromToken) {
        const value = doc.value.trim();
        if (!isValidCpf(value)) {
          setError(doc, docError, this.widget.t(value ? 'consentCpfInvalid' : 'required'));
          doc.focus();
          return;
        }
        this.widget.typed.document = value;
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
        ...(this.widget.options.access_mode ? { access_mode: this.widget.options.access_mode } : {}),
        ...(this.widget.options.external_id ? { external_id: this.widget.options.external_id } : {}),
      }, framed, popup);
    };
    const form = h(
      'form',
      { id: 'consent-form', class: 'form', novalidate: true, onsubmit: (e: SubmitEvent) => (e.preventDefault(), submit()) },
      h('h2', { class: 'label', id: 'consent-shares' }, this.widget.t('consentShares')),
      h(
        'ul',
        { id: 'consent-permissions', class: 'permissions', 'aria-labelledby': 'consent-shares' },
        permissions.map((p) => h('li', { 'data-permission': p }, this.widget.t(`perm${p}`))),
      ),
      h('div', { class: 'field' }, h('label', { for: 'consent-months', class: 'label' }, this.widget.t('consentDuration')), months),
      h('div', { class: 'field' }, h('label', { for: 'consent-document', class: 'label' }, this.widget.t('consentCpf')), doc, docError),
      terms
        ? h(
            'p',
            { class: 'terms' },
            `${this.widget.t('consentTermsText')} `,
            h('a', { id: 'consent-terms', href: terms, target: '_blank', rel: 'noopener noreferrer' }, this.widget.t('termsLink')),
          )
        : null,
      h('button', { type: 'submit', class: 'primary', id: 'consent-continue' }, this.widget.t('continue')),
    );
    this.widget.show('/consent', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.widget.t('consentHint', { institution: inst.display_name }))),
      form,
    ], {
      title: this.widget.t('consentTitle', { institution: inst.display_name }),
      back: canGoBack ? () => this.widget.showInstitutions() : undefined,
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
    this.widget.working(this.widget.t('redirecting', { institution: inst.display_name }));
    let url: string;
    try {
      url = (await this.widget.api.startConsent(body)).redirect_url;
    } catch (err) {
      popup?.close();
      const e = asApiError(err);
      this.widget.recordError(e);
      if (e.items.some((i) => i.field === 'document')) return this.showConsent(inst, canGoBack, { document: this.widget.t('consentCpfInvalid') });
      return this.widget.fail(e, () => this.showConsent(inst, canGoBack));
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
      current.postMessage({ source: MESSAGE_SOURCE, type: 'consent-ack' }, location.origin);
      if (this.widget.page === '/consent-window') this.consentAnswer(inst, msg.answer);
    };
    window.addEventListener('message', onMessage);
    const blocked = h('p', { class: 'alert', role: 'alert', hidden: popup !== null }, this.widget.t('consentPopupBlocked'));
    const openAgain = () => {
      current = window.open(url, '_blank');
      blocked.hidden = current !== null;
    };
    this.widget.show('/consent-window', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.widget.t('consentWindowHint', { institution: inst.display_name }))),
      blocked,
      h('button', { type: 'button', class: 'primary', id: 'consent-open-again', onclick: openAgain }, this.widget.t('consentOpenAgain', { institution: inst.display_name })),
      h('button', { type: 'button', class: 'secondary', onclick: () => this.widget.exit() }, this.widget.t('exit')),
    ], { title: this.widget.t('consentWindowTitle', { institution: inst.display_name }) });
  }

  private consentAnswer(inst: Institution, answer: ConsentAnswer): void {
    if (answer.outcome === 'success' && answer.link) return this.widget.success({ id: answer.link, institution: answer.institution, status: 'valid' });
    const error = answer.last_encountered_error ?? { code: 'unexpected_error', message: '' };
    this.widget.recordError(new ApiError(400, [error]));
    const key = CONSENT_ERRORS[error.code] ?? 'errGeneric';
    const retry = key === 'errSession' || key === 'errNotAllowed' ? null : () => this.showConsent(inst, true);
    this.widget.showError(this.widget.t(key, { institution: inst.display_name }), retry);
  }

  /**
   * Hosted page without callback URLs, back from the bank (`/widget/#consent=success|error`):
   * the consent's result, with no token (the session ended with the connection).
   */
  showConsentResult(result: URLSearchParams): void {
    const done = () => this.widget.showClosed(this.widget.t(result.get('consent') === 'success' ? 'successTitle' : 'closedTitle'));
    this.widget.finish(done);
    if (result.get('consent') === 'success') {
      this.widget.show('/success', [
        h('div', { class: 'success-mark', 'aria-hidden': 'true' }, '✓'),
        h('p', { class: 'lead' }, this.widget.t('consentSuccessHint')),
        h('button', { type: 'button', class: 'primary', onclick: done }, this.widget.t('done')),
      ], { title: this.widget.t('successTitle') });
      return;
    }
    const code = result.get('code') ?? 'unexpected_error';
    this.widget.recordError(new ApiError(400, [{ code, message: '' }]));
    this.widget.show('/error', [
      h('p', { class: 'alert', role: 'alert' }, this.widget.t(CONSENT_ERRORS[code] ?? 'errGeneric', { institution: result.get('institution') ?? '' })),
      h('button', { type: 'button', class: 'secondary', onclick: done }, this.widget.t('close')),
    ], { title: this.widget.t('errorTitle') });
  }
}
