/**
 * Logging in at an institution on the widget page: the login form built from the institution's
 * `form_fields` (update mode: its password fields only), the update of a `token_required` link,
 * and the MFA challenge either may meet. It reaches the page only through WidgetPage.
 */
import { asApiError, type ErrorItem, type Institution } from './api.js';
import { avatar } from './avatar.js';
import { clearError, h, setError, uid } from './dom.js';
import { qrImage } from './qr.js';
import type { WidgetPage } from './widget-page.js';

/** Validation error codes: when every item names its field, the form is shown again with each message under its field. */
const FIELD_CODES = new Set(['required', 'blank', 'null', 'invalid', 'min_length', 'max_length']);

/** What was wrong with the form last sent: an alert above it, or a message by field. */
interface LoginProblem {
  alert?: string;
  fields?: Record<string, string>;
}

export class Login {
  constructor(private readonly widget: WidgetPage) {}

  /** The login form, built from the institution's `form_fields` (update mode: its password fields only). */
  showLogin(inst: Institution, canGoBack: boolean, problem?: LoginProblem): void {
    this.widget.institution = inst;
    const update = this.widget.session.mode === 'update';
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
      if (field.type !== 'password' && this.widget.typed[field.name]) input.value = this.widget.typed[field.name];
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
    const terms = this.widget.session.widget.branding.company_terms_url;
    const company = this.widget.session.widget.branding.company_name;
    const form = h(
      'form',
      { class: 'form', novalidate: true, onsubmit: (e: SubmitEvent) => (e.preventDefault(), void submit()) },
      alert,
      rows,
      terms
        ? h(
            'p',
            { class: 'terms' },
            company ? `${this.widget.t('terms', { company })} ` : '',
            h('a', { href: terms, target: '_blank', rel: 'noopener noreferrer' }, this.widget.t('termsLink')),
          )
        : null,
      h('button', { type: 'submit', class: 'primary' }, this.widget.t(update ? 'continue' : 'connect')),
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
        if (value === '') message = this.widget.t('required');
        else if (!safeTest(field.validation, value)) message = field.validation_message || this.widget.t('required');
        else if (field.name === 'username' && docType?.validation && !safeTest(docType.validation, value)) {
          message = docType.validation_message || field.validation_message;
        }
        if (message) {
          setError(input, error, message);
          firstBad ??= input;
        } else {
          clearError(input, error);
          values[field.name] = value;
          if (field.type !== 'password') this.widget.typed[field.name] = value;
        }
      }
      if (firstBad) {
        firstBad.focus();
        return;
      }
      this.widget.working(this.widget.t('connecting', { institution: inst.display_name }));
      const again = (p?: LoginProblem) => this.showLogin(inst, canGoBack, p);
      try {
        const link = update
          ? await this.widget.api.update(this.widget.session.link!.id, values)
          : await this.widget.api.register({
              institution: inst.name,
              ...values,
              ...(this.widget.options.access_mode ? { access_mode: this.widget.options.access_mode } : {}),
              ...(this.widget.options.external_id ? { external_id: this.widget.options.external_id } : {}),
            });
        this.widget.success(link);
      } catch (err) {
        this.onLoginError(err, again);
      }
    };
    this.widget.show('/login', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.widget.t(update ? 'updateHint' : 'loginHint', { institution: inst.display_name }))),
      form,
    ], {
      title: this.widget.t(update ? 'updateTitle' : 'loginTitle', { institution: inst.display_name }),
      back: canGoBack ? () => this.widget.showInstitutions() : undefined,
      focus: alert
        ? (controls.find((c) => c.field.type === 'password')?.input ?? null)
        : (controls.find((c) => problem?.fields?.[c.field.name])?.input ?? undefined),
    });
  }

  /** Update mode for a `token_required` link: log in again so the institution asks for its token. */
  showTokenUpdate(): void {
    const inst = this.widget.institution!;
    const go = async () => {
      this.widget.working(this.widget.t('connecting', { institution: inst.display_name }));
      try {
        this.widget.success(await this.widget.api.reconnect(this.widget.session.link!.id));
      } catch (err) {
        this.onLoginError(err, () => this.showTokenUpdate());
      }
    };
    this.widget.show('/login', [
      h('div', { class: 'institution-header' }, avatar(inst), h('p', { class: 'lead' }, this.widget.t('tokenUpdateHint', { institution: inst.display_name }))),
      h('button', { type: 'button', class: 'primary', onclick: () => void go() }, this.widget.t('continue')),
    ], { title: this.widget.t('updateTitle', { institution: inst.display_name }) });
  }

  /** The institution asks for a token (numeric input) or a confirmation elsewhere (QR / push). */
  private showMfa(challenge: ErrorItem, restart: () => void, alert?: string): void {
    const inst = this.widget.institution!;
    const data = challenge.token_generation_data ?? { instructions: '', type: 'numeric', value: '', expects_user_input: true };
    const resume = async (token?: string) => {
      this.widget.working(this.widget.t('verifying'));
      try {
        this.widget.success(await this.widget.api.resume({ session: challenge.session!, link: challenge.link!, ...(token ? { token } : {}) }));
      } catch (err) {
        const e = asApiError(err);
        this.widget.recordError(e);
        if (e.code === 'token_required' && e.first?.session) return this.showMfa(e.first, restart);
        if (e.code === 'login_error') return this.showMfa(challenge, restart, this.widget.t('errToken'));
        this.widget.fail(e, restart);
      }
    };
    const intro = data.instructions ? h('p', { class: 'lead', id: uid('instructions') }, data.instructions) : null;
    const alertEl = alert ? h('p', { class: 'alert', role: 'alert' }, alert) : null;
    if (!data.expects_user_input) {
      this.widget.show('/mfa', [
        h('div', { class: 'institution-header' }, avatar(inst), intro),
        alertEl,
        data.value ? h('div', { class: 'qr-box' }, qrImage(data.value, this.widget.t('qrAlt', { institution: inst.display_name }))) : null,
        h('button', { type: 'button', class: 'primary', onclick: () => void resume() }, this.widget.t('qrDone')),
      ], { title: this.widget.t('qrTitle') });
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
            setError(input, error, this.widget.t('required'));
            input.focus();
            return;
          }
          void resume(token);
        },
      },
      alertEl,
      h('div', { class: 'field' }, h('label', { for: id, class: 'label' }, this.widget.t('mfaCodeLabel')), input, error),
      h('button', { type: 'submit', class: 'primary' }, this.widget.t('verify')),
    );
    this.widget.show('/mfa', [h('div', { class: 'institution-header' }, avatar(inst), intro), form], {
      title: this.widget.t('mfaTitle'),
      focus: alert ? input : undefined,
    });
  }

  /** After a register, update or reconnect: MFA, the form again with what was wrong, or an error screen. */
  private onLoginError(err: unknown, again: (problem?: LoginProblem) => void): void {
    const e = asApiError(err);
    if (e.code === 'token_required' && e.first?.session) {
      this.widget.recordError(e);
      return this.showMfa(e.first, () => again());
    }
    this.widget.recordError(e);
    if (e.code === 'login_error') return again({ alert: this.widget.t('errLogin') });
    if (FIELD_CODES.has(e.code) && e.items.every((i) => i.field)) {
      const fields: Record<string, string> = {};
      for (const i of e.items) fields[i.field!] = this.widget.institution?.form_fields.find((f) => f.name === i.field)?.validation_message || i.message;
      return again({ fields });
    }
    this.widget.fail(e, () => again());
  }
}

/** The institution's regex; a pattern the browser cannot compile is left to the server to check. */
function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return true;
  }
}
