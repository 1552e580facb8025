/**
 * The Connect widget page (/widget/): pick an institution, log in, answer MFA, done — or, in
 * update mode, repair one link. Plain DOM, no framework. Runs either as the hosted page (token
 * and options in the query string, results by redirect to the token's callback URLs) or inside
 * the iframe that belvo-widget-1-stable.js mounts (token and options by postMessage from the
 * client's page, results back the same way). Credentials only ever go to this page's own origin.
 *
 * This module is the page itself — its card, the institution list, how a connection ends, errors,
 * leaving — and its boot. Logging in (login.ts) and an Open Finance consent (open-finance.ts) have
 * screens of their own and reach the page only through an interface (WidgetPage, ConsentWidgetPage).
 */
import { Api, ApiError, asApiError, type Institution, type Link, type SessionInfo } from './api.js';
import { avatar } from './avatar.js';
import { withQuery } from '../callback-url.js';
import { h, uid } from './dom.js';
import { pickLocale, translator, type MessageKey, type Translate } from './i18n.js';
import { Login } from './login.js';
import { OpenFinanceConsent, type ConsentWidgetPage } from './open-finance.js';
import { fromConfig, fromQuery, type WidgetOptions } from './options.js';
import { MESSAGE_SOURCE, type Page, type ScreenOptions, type WidgetPage } from './widget-page.js';

/** Hosted mode: how long the success screen shows before the redirect to `callback_urls.success`. */
const SUCCESS_REDIRECT_MS = 2500;

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

class Widget implements WidgetPage, ConsentWidgetPage {
  private readonly card: HTMLElement;
  private readonly status: HTMLElement;
  page: Page = '/loading';
  institution: Institution | null = null;
  private lastError: LastError | null = null;
  private finished = false;
  /** Once finished: what "Done" (or the close button) does. */
  private done: (() => void) | null = null;
  readonly typed: Record<string, string> = {};
  session!: SessionInfo;
  api!: Api;
  readonly t: Translate;
  private readonly login = new Login(this);
  readonly openFinance = new OpenFinanceConsent(this);

  constructor(
    readonly options: WidgetOptions,
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
      return this.session.link.needs === 'token' ? this.login.showTokenUpdate() : this.login.showLogin(inst, false);
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

  async showInstitutions(): Promise<void> {
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
    if (inst.integration_type === 'openbanking' && this.session.mode === 'connect') return this.openFinance.showConsent(inst, canGoBack);
    this.login.showLogin(inst, canGoBack);
  }

  working(text: string): void {
    this.show('/working', [h('div', { class: 'working' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('p', {}, text))], {
      title: false,
    });
    this.announce(text);
  }

  // ---- outcomes -------------------------------------------------------------------------------

  success(link: Link): void {
    const inst = this.institution!;
    const update = this.session.mode === 'update';
    const url = this.session.widget.callback_urls.success;
    const target = url ? withQuery(url, { link: link.id, institution: link.institution }) : null;
    const done = () => {
      if (this.embedded) this.post({ type: 'close' });
      else if (target) location.assign(target);
      else this.showClosed(this.t(update ? 'successUpdatedTitle' : 'successTitle'));
    };
    this.finish(done);
    this.show('/success', [
      h('div', { class: 'success-mark', 'aria-hidden': 'true' }, '✓'),
      h('p', { class: 'lead' }, this.t(update ? 'successUpdatedHint' : 'successHint', { institution: inst.display_name })),
      h('button', { type: 'button', class: 'primary', onclick: done }, this.t('done')),
    ], { title: this.t(update ? 'successUpdatedTitle' : 'successTitle') });
    if (this.embedded) this.post({ type: 'success', link: link.id, institution: link.institution });
    else if (target) setTimeout(() => location.assign(target), SUCCESS_REDIRECT_MS);
  }

  showError(message: string, retry: (() => void) | null): void {
    this.show('/error', [
      h('p', { class: 'alert', role: 'alert' }, message),
      retry ? h('button', { type: 'button', class: 'primary', onclick: retry }, this.t('tryAgain')) : null,
      h('button', { type: 'button', class: 'secondary', onclick: () => this.exit() }, this.t('exit')),
    ], { title: this.t('errorTitle') });
  }

  showClosed(title: string): void {
    this.show('/closed', [h('p', { class: 'lead' }, this.t('closeWindow'))], { title, close: false });
  }

  finish(done: () => void): void {
    this.finished = true;
    this.done = done;
  }

  // ---- errors ---------------------------------------------------------------------------------

  /** A failure a screen does not handle itself: a fatal one ends the session, the rest can be retried. */
  fail(err: unknown, retry: () => void): void {
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
  recordError(e: ApiError): void {
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
  exit(reason?: MessageKey): void {
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
  show(page: Page, body: (Node | null)[], opts: ScreenOptions): void {
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
    if (this.embedded) window.parent.postMessage({ source: MESSAGE_SOURCE, ...message }, this.embedded.parentOrigin);
  }
}

// ---- helpers ------------------------------------------------------------------------------------

/** Case- and accent-insensitive text for search. */
function fold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
}

// ---- boot ---------------------------------------------------------------------------------------

function boot(): void {
  const params = new URLSearchParams(location.search);
  if (params.get('embedded') !== '1') {
    // Back from an Open Finance bank with no callback URLs to go to: show how the consent ended.
    const consent = new URLSearchParams(location.hash.slice(1));
    if (consent.get('consent') === 'success' || consent.get('consent') === 'error') {
      history.replaceState(history.state, '', `${location.pathname}${location.search}`);
      new Widget(fromQuery(params), null).openFinance.showConsentResult(consent);
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
    if (e.source !== window.parent || e.origin !== parentOrigin || msg?.source !== MESSAGE_SOURCE || msg.type !== 'init') return;
    window.removeEventListener('message', onInit);
    clearTimeout(timer);
    const config = msg.config && typeof msg.config === 'object' ? (msg.config as Record<string, unknown>) : {};
    const embedded = new Widget(fromConfig(config), { parentOrigin });
    void embedded.start(typeof msg.accessToken === 'string' ? msg.accessToken : null);
  });
  window.parent.postMessage({ source: MESSAGE_SOURCE, type: 'ready' }, parentOrigin);
}

boot();
