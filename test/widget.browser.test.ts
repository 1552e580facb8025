/**
 * The Connect widget in a real browser: headless Chromium (Debian's package) driven by
 * playwright-core, one browser for the whole file, a fresh context per test. Every step is
 * screenshotted at 360 px and 1280 px into test-output/widget/ for a person to look at.
 * Skips, saying why, only when no Chromium is installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { CHROMIUM, describeBrowser } from './helpers/browser.js';
import { startHarness, type Client, type Harness } from './helpers/harness.js';
import { createLink, linkStatus } from './helpers/links.js';

const SHOTS = new URL('../test-output/widget/', import.meta.url).pathname;
const WIDTHS = [360, 1280] as const;
const TIMEOUT = 15_000;

describeBrowser('Connect widget in a browser', () => {
  let h: Harness;
  let c: Client;
  let browser: Browser;
  /** A second origin: the client's app (callback targets and the embedding page). */
  let client: Server;
  let clientUrl: string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    [h, browser] = await Promise.all([
      startHarness('embedded').then(async (harness) => {
        await harness.listen();
        return harness;
      }),
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      }),
    ]);
    c = await h.newClient('widget-browser');
    client = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/embed.html') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(embedPage(h.baseUrl, url.searchParams.get('options') ?? '{}'));
      } else {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><title>client app</title><h1>Back in the client app: ${url.pathname}</h1>`);
      }
    });
    await new Promise<void>((resolve) => client.listen(0, '127.0.0.1', resolve));
    // localhost vs 127.0.0.1: another origin (and another site) than the widget's.
    clientUrl = `http://localhost:${(client.address() as AddressInfo).port}`;
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => client?.close(resolve));
    await h?.close();
  });

  // ---- helpers ------------------------------------------------------------------------------

  async function token(body: Record<string, unknown> = {}): Promise<string> {
    const res = await c.request('POST', '/api/token/', {
      scopes: 'read_institutions,write_links',
      widget: { callback_urls: { success: `${clientUrl}/success`, exit: `${clientUrl}/exit` }, branding: { company_name: 'ACME Finance' } },
      ...body,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.access;
  }

  async function open(access: string, params: Record<string, string> = {}, context: { locale?: string } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: context.locale ?? 'en-US' });
    ctx.setDefaultTimeout(TIMEOUT);
    const page = await ctx.newPage();
    const qs = new URLSearchParams({ access_token: access, show_close_dialog: 'true', show_abandon_survey: 'false', ...params });
    await page.goto(`${h.baseUrl}/widget/?${qs}`);
    return { ctx, page };
  }

  /** Screenshots the page at each width (then puts the phone width back). */
  async function snap(page: Page, name: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 360 ? 740 : 800 });
      await page.screenshot({ path: `${SHOTS}${name}-${width}.png` });
    }
    await page.setViewportSize({ width: 360, height: 740 });
  }

  async function heading(page: Page | Frame, name: string | RegExp): Promise<void> {
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  async function pickInstitution(page: Page | Frame, displayName: string): Promise<void> {
    await heading(page, 'Select your institution');
    await page.getByRole('button', { name: new RegExp(displayName) }).click();
    await heading(page, `Log in to ${displayName}`);
  }

  async function login(page: Page | Frame, username: string, password: string, labels = { user: 'Usuario', pass: 'Contraseña' }): Promise<void> {
    await page.getByLabel(labels.user, { exact: true }).fill(username);
    await page.getByLabel(labels.pass, { exact: true }).fill(password);
  }

  const submit = (page: Page | Frame, name = 'Connect') => page.getByRole('button', { name, exact: true }).click();

  async function successRedirect(page: Page): Promise<URL> {
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL(`${clientUrl}/success?**`);
    return new URL(page.url());
  }

  // ---- flows ---------------------------------------------------------------------------------

  it('connects a plain sandbox user (hosted page: search, select, log in, success redirect)', async () => {
    const { ctx, page } = await open(await token(), { country_codes: 'MX', institution_types: 'retail' });
    await heading(page, 'Select your institution');
    // The bearer token left the address bar (and the history entry) once read; the rest stayed.
    const shown = new URL(page.url());
    assert.equal(shown.searchParams.get('access_token'), null);
    assert.equal(shown.searchParams.get('country_codes'), 'MX');
    // Belvo's `retail` type: the MX retail banks, not the business bank, fiscal or employment ones.
    const names = await page.locator('.institution-name').allTextContents();
    assert.deepEqual(names, ['Erebor Mexico', 'Gringotts Mexico', 'Heimdall Mexico']);
    assert.ok(await page.getByText('ACME Finance uses Vinculo').isVisible(), 'branding applied');
    await snap(page, 'plain-1-institutions');
    await page.getByLabel('Search institutions').fill('ereb');
    assert.deepEqual(await page.locator('.institution-name:visible').allTextContents(), ['Erebor Mexico']);
    await snap(page, 'plain-2-search');
    await page.getByRole('button', { name: /Erebor Mexico/ }).click();
    await heading(page, 'Log in to Erebor Mexico');
    // Client-side validation with the form's rules: nothing is sent while a field is empty.
    await submit(page);
    assert.equal(await page.getByText('This field is required.').count(), 2);
    await snap(page, 'plain-3-validation');
    await login(page, 'widget_user', 'pass_valid');
    await snap(page, 'plain-4-login');
    await submit(page);
    await heading(page, 'Account connected');
    await snap(page, 'plain-5-success');
    const url = await successRedirect(page);
    const linkId = url.searchParams.get('link')!;
    assert.equal(url.searchParams.get('institution'), 'erebor_mx_retail');
    assert.equal(await linkStatus(c, linkId), 'valid');
    await ctx.close();
  });

  it('connects an mfa… user through the token step', async () => {
    const { ctx, page } = await open(await token(), { institutions: 'erebor_mx_retail,gotham_mx_business' });
    await pickInstitution(page, 'Erebor Mexico');
    await login(page, 'mfa_widget', 'pass_valid');
    await submit(page);
    await heading(page, 'Verify it’s you');
    assert.ok(await page.getByText('Enter the 6-digit code').isVisible(), "the institution's instructions are shown");
    await snap(page, 'mfa-1-token');
    await page.getByLabel('Verification code').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is incorrect' }).waitFor();
    await snap(page, 'mfa-2-wrong-token');
    await page.getByLabel('Verification code').fill('123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading(page, 'Account connected');
    await snap(page, 'mfa-3-success');
    const url = await successRedirect(page);
    assert.equal(await linkStatus(c, url.searchParams.get('link')!), 'valid');
    await ctx.close();
  });

  it('connects heimdall_mx_retail through its QR challenge (no input expected)', async () => {
    // Single: a recurrent link's background load would log in again, and Heimdall asks for a QR at every login.
    const { ctx, page } = await open(await token(), { institutions: 'heimdall_mx_retail', access_mode: 'single' });
    // Only one institution to offer: the widget goes straight to its login form.
    await heading(page, 'Log in to Heimdall Mexico');
    await login(page, 'qr_widget', 'pass_valid');
    await submit(page);
    await heading(page, 'Confirm on your device');
    const qr = page.getByRole('img', { name: 'QR code to scan with the Heimdall Mexico app' });
    await qr.waitFor();
    assert.ok(((await qr.boundingBox())?.width ?? 0) > 100, 'the QR code is drawn');
    assert.equal(await page.getByRole('textbox').count(), 0, 'no token input for a QR challenge');
    await snap(page, 'qr-1-challenge');
    await page.getByRole('button', { name: 'I’ve approved it' }).click();
    await heading(page, 'Account connected');
    await snap(page, 'qr-2-success');
    const url = await successRedirect(page);
    assert.equal(url.searchParams.get('institution'), 'heimdall_mx_retail');
    const link = (await c.request('GET', `/api/links/${url.searchParams.get('link')}/`)).body;
    assert.equal(link.status, 'valid');
    assert.equal(link.access_mode, 'single', 'the access_mode option reached the link');
    await ctx.close();
  });

  it('shows a wrong password in plain words, then connects with the corrected one', async () => {
    const { ctx, page } = await open(await token(), { institutions: 'erebor_mx_retail,gringotts_mx_retail' });
    await pickInstitution(page, 'Gringotts Mexico');
    await login(page, '12345678', 'wrong', { user: 'Número de cliente', pass: 'Contraseña' });
    await submit(page);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'The username or password is incorrect. Check them and try again.');
    assert.equal(await page.getByLabel('Número de cliente').inputValue(), '12345678', 'the username is kept');
    assert.equal(await page.getByLabel('Contraseña').inputValue(), '', 'the password is not');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'password', 'focus goes to the password');
    assert.equal(await page.getByText('login_error').count(), 0, 'never raw codes or JSON');
    await snap(page, 'wrong-1-error');
    await page.getByLabel('Contraseña').fill('pass_valid');
    await submit(page);
    await heading(page, 'Account connected');
    const url = await successRedirect(page);
    assert.equal(await linkStatus(c, url.searchParams.get('link')!), 'valid');
    await ctx.close();
  });

  it('an institution that is down: plain words and a retry that works once it is back', async () => {
    const setStatus = (status: string) => c.request('POST', '/sandbox/institutions/gringotts_mx_retail/status/', { status });
    await setStatus('down');
    try {
      const { ctx, page } = await open(await token(), { institutions: 'gringotts_mx_retail' });
      await heading(page, 'Log in to Gringotts Mexico');
      await login(page, '87654321', 'pass_valid', { user: 'Número de cliente', pass: 'Contraseña' });
      await submit(page);
      await heading(page, 'Something went wrong');
      assert.equal(await page.getByRole('alert').textContent(), 'Gringotts Mexico is not available right now. Please try again later.');
      await snap(page, 'down-1-error');
      await setStatus('healthy');
      await page.getByRole('button', { name: 'Try again' }).click();
      await heading(page, 'Log in to Gringotts Mexico');
      assert.equal(await page.getByLabel('Número de cliente').inputValue(), '87654321');
      await page.getByLabel('Contraseña').fill('pass_valid');
      await submit(page);
      await heading(page, 'Account connected');
      await ctx.close();
    } finally {
      await setStatus('healthy');
    }
  });

  it('exits with last_encountered_error after a failed login (close dialog, exit redirect)', async () => {
    const { ctx, page } = await open(await token(), { institutions: 'erebor_mx_retail' });
    await heading(page, 'Log in to Erebor Mexico');
    await login(page, 'someone', 'wrong');
    await submit(page);
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Leave without connecting?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Stay', 'focus moves into the dialog');
    await snap(page, 'exit-1-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Leave' }).click();
    await page.waitForURL(`${clientUrl}/exit?**`);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('last_encountered_error'), 'login_error');
    assert.equal(url.searchParams.get('institution'), 'erebor_mx_retail');
    await ctx.close();
  });

  it('update mode: repairs an expire_password… link made invalid; the same link becomes valid', async () => {
    const linkId = await createLink(c, 'expire_password_widget', { password: 'p1', extra: { access_mode: 'single' } });
    // The stored password has "expired": the next access fails and the link becomes invalid.
    const retrieve = await c.request('POST', '/api/owners/', { link: linkId });
    assert.equal(retrieve.status, 400, JSON.stringify(retrieve.body));
    assert.equal(await linkStatus(c, linkId), 'invalid');
    const { ctx, page } = await open(await token({ link_id: linkId }));
    await heading(page, 'Reconnect Erebor Mexico');
    assert.equal(await page.getByLabel('Usuario').count(), 0, 'update mode asks for the password only');
    assert.equal(await page.getByRole('button', { name: 'Back' }).count(), 0, 'no institution selection');
    await snap(page, 'update-1-password');
    await page.getByLabel('Contraseña').fill('p1');
    await submit(page, 'Continue');
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Contraseña').fill('p2-new');
    await submit(page, 'Continue');
    await heading(page, 'Account reconnected');
    await snap(page, 'update-2-success');
    const url = await successRedirect(page);
    assert.equal(url.searchParams.get('link'), linkId, 'the same link id');
    assert.equal(await linkStatus(c, linkId), 'valid');
    await ctx.close();
  });

  it('update mode: a token_required link asks the institution for its token, then is valid', async () => {
    const linkId = await createLink(c, 'expire_token_widget', { extra: { access_mode: 'single' } });
    const retrieve = await c.request('POST', '/api/owners/', { link: linkId });
    assert.equal(retrieve.status, 428, JSON.stringify(retrieve.body));
    assert.equal(await linkStatus(c, linkId), 'token_required');
    // As links.token(id, scopes) sends it: Basic auth only, the body has just link_id and scopes.
    const res = await c.request('POST', '/api/token/', { link_id: linkId, scopes: 'read_institutions,write_links' });
    assert.equal(res.status, 200);
    const { ctx, page } = await open(res.body.access, { locale: 'es' });
    await heading(page, 'Reconecta Erebor Mexico');
    await snap(page, 'update-token-1-intro');
    await page.getByRole('button', { name: 'Continuar' }).click();
    await heading(page, 'Verifica que eres tú');
    await page.getByLabel('Código de verificación').fill('123456');
    await page.getByRole('button', { name: 'Verificar' }).click();
    await heading(page, 'Cuenta reconectada');
    assert.equal(await linkStatus(c, linkId), 'valid');
    // No callback URLs in this token: "Done" ends on a closing screen.
    await page.getByRole('button', { name: 'Listo' }).click();
    await heading(page, 'Cuenta reconectada');
    assert.ok(await page.getByText('Ya puedes cerrar esta ventana.').isVisible());
    await ctx.close();
  });

  it('token scopes: without write_links the user cannot create a link; an expired token is refused', async () => {
    const before = (await c.request('GET', '/api/links/?page_size=1')).body.count;
    let { ctx, page } = await open(await token({ scopes: 'read_institutions' }), { institutions: 'erebor_mx_retail' });
    await heading(page, 'Log in to Erebor Mexico');
    await login(page, 'no_write', 'pass_valid');
    await submit(page);
    await heading(page, 'Something went wrong');
    assert.equal(await page.getByRole('alert').textContent(), 'This connection is not allowed. Go back to the app and start again.');
    assert.equal(await page.getByRole('button', { name: 'Try again' }).count(), 0, 'no retry for a refused token');
    await snap(page, 'scope-1-refused');
    assert.equal((await c.request('GET', '/api/links/?page_size=1')).body.count, before, 'no link was created');
    await ctx.close();

    const principal = (await h.vinculo.services.tenants.authenticate(c.id, c.password))!;
    const stale = await h.vinculo.services.widget.issue(principal, { scopes: 'read_institutions,write_links' }, Date.now() - 11 * 60_000);
    ({ ctx, page } = await open(stale.access));
    await heading(page, 'Something went wrong');
    assert.equal(await page.getByRole('alert').textContent(), 'This session has expired. Go back to the app and start again.');
    await snap(page, 'scope-2-expired');
    await ctx.close();
  });

  it('embedded script on another origin: belvoSDK.createWidget(token, {callback, onExit, onEvent}).build()', async () => {
    const access = await token({ widget: { branding: { company_name: 'ACME Finance' } } });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(TIMEOUT);
    const page = await ctx.newPage();
    const options = JSON.stringify({ institutions: ['erebor_mx_retail', 'gringotts_mx_retail'], locale: 'en' });
    await page.goto(`${clientUrl}/embed.html?token=${encodeURIComponent(access)}&options=${encodeURIComponent(options)}`);
    const frameEl = page.locator('iframe[data-vinculo-widget]');
    await frameEl.waitFor();
    assert.equal(new URL((await frameEl.getAttribute('src'))!).origin, h.baseUrl, 'the iframe is on the widget origin');
    assert.notEqual(new URL(page.url()).origin, h.baseUrl);
    const frame = (await (await frameEl.elementHandle())!.contentFrame())!;
    await pickInstitution(frame, 'Erebor Mexico');
    await page.screenshot({ path: `${SHOTS}embedded-1-login-1280.png` });
    await login(frame, 'embedded_user', 'pass_valid');
    await submit(frame);
    await heading(frame, 'Account connected');
    const result = (await page.waitForFunction(() => (window as any).result).then((r) => r.jsonValue())) as { link: string; institution: string };
    assert.equal(result.institution, 'erebor_mx_retail');
    assert.equal(await linkStatus(c, result.link), 'valid');
    const events = (await page.evaluate(() => (window as any).events)) as { eventName: string; meta_data: { page: string } }[];
    assert.ok(events.some((e) => e.eventName === 'PAGE_LOAD' && e.meta_data.page === '/institutions'), JSON.stringify(events));
    assert.ok(events.some((e) => e.eventName === 'PAGE_LOAD' && e.meta_data.page === '/success'));
    await page.screenshot({ path: `${SHOTS}embedded-2-success-1280.png` });
    // The client's page never saw a password: nothing but the link id and events crossed.
    assert.ok(!JSON.stringify(events).includes('pass_valid'));
    await frame.getByRole('button', { name: 'Done' }).click();
    await frameEl.waitFor({ state: 'detached' });
    await ctx.close();
  });

  it('embedded script: leaving calls onExit with Belvo\'s exit data', async () => {
    const access = await token();
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    ctx.setDefaultTimeout(TIMEOUT);
    const page = await ctx.newPage();
    const options = JSON.stringify({ locale: 'pt', country_codes: ['BR'], institutions: ['erebor_br_retail'], show_close_dialog: false, show_abandon_survey: true });
    await page.goto(`${clientUrl}/embed.html?token=${encodeURIComponent(access)}&options=${encodeURIComponent(options)}`);
    const frame = (await (await page.locator('iframe[data-vinculo-widget]').elementHandle())!.contentFrame())!;
    // Only one institution offered (Brazil also has the Open Finance sandbox bank): straight to its form, in Portuguese.
    await heading(frame, 'Entre em Erebor Brasil');
    await frame.getByRole('button', { name: 'Fechar' }).click();
    await heading(frame, 'Por que você está saindo?');
    await page.screenshot({ path: `${SHOTS}embedded-3-survey-360.png` });
    await frame.getByRole('button', { name: 'Minha instituição não está na lista' }).click();
    const exit = (await page.waitForFunction(() => (window as any).exitData).then((r) => r.jsonValue())) as any;
    assert.deepEqual(exit, {
      last_encountered_error: null,
      meta_data: { institution_name: 'erebor_br_retail', step: 'exit-survey', abandon_reason: 'notlisted' },
    });
    assert.equal(await page.locator('iframe[data-vinculo-widget]').count(), 0, 'the widget is removed');
    await ctx.close();
  });

  it('speaks English, Spanish and Portuguese (locale option or the browser language)', async () => {
    const access = await token();
    const cases: [Record<string, string>, string | undefined, string, string][] = [
      [{ locale: 'en' }, 'es-MX', 'Select your institution', 'en'],
      [{ locale: 'es' }, 'en-US', 'Selecciona tu institución', 'es'],
      [{ locale: 'pt' }, 'en-US', 'Selecione sua instituição', 'pt'],
      [{}, 'pt-BR', 'Selecione sua instituição', 'pt'],
      [{}, 'es-CO', 'Selecciona tu institución', 'es'],
      [{}, 'fr-FR', 'Select your institution', 'en'],
    ];
    for (const [params, browserLocale, title, lang] of cases) {
      const { ctx, page } = await open(access, params, { locale: browserLocale });
      await heading(page, title);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      if (params.locale && params.locale !== 'en') await snap(page, `i18n-${params.locale}`);
      await ctx.close();
    }
  });

  it('accessibility basics: labels, names, focus order, keyboard-only connection', async () => {
    const { ctx, page } = await open(await token(), { institutions: 'erebor_co_retail,erebor_mx_retail' });
    await heading(page, 'Select your institution');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1', 'focus starts on the screen title');
    // Keyboard only: Tab to the search box, arrow into the list, Enter.
    await page.keyboard.press('Tab'); // from the title to the search box
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'search');
    await page.keyboard.type('colombia');
    await page.keyboard.press('ArrowDown');
    assert.match((await page.evaluate(() => document.activeElement?.textContent)) ?? '', /Erebor Colombia/);
    await page.keyboard.press('Enter');
    await heading(page, 'Log in to Erebor Colombia');
    // Every control has a label; every image an alt; every button a name.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select')].filter((el) => !(el as HTMLInputElement).labels?.length).length,
    );
    assert.equal(unlabelled, 0);
    const nameless = await page.evaluate(() =>
      [...document.querySelectorAll('button')].filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length,
    );
    assert.equal(nameless, 0);
    assert.equal(await page.evaluate(() => [...document.querySelectorAll('img')].filter((i) => !i.hasAttribute('alt')).length), 0);
    // The form in tab order: document type (a select from username_type), number, password, button.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SELECT');
    await page.keyboard.press('ArrowDown'); // first document type (Chromium changes a closed select with arrows)
    assert.equal(await page.getByLabel('Tipo de documento').inputValue(), '001');
    // Each field is checked before anything is sent (the sandbox takes any number, but not a blank one).
    await page.keyboard.press('Tab');
    await page.keyboard.type('   ');
    await page.keyboard.press('Enter');
    await page.getByText('This field is required.').first().waitFor();
    assert.equal(await page.getByLabel('Número de documento').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username', 'focus goes to the field at fault');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('1020304050');
    await page.keyboard.press('Tab');
    await page.keyboard.type('pass_valid');
    await snap(page, 'a11y-1-colombia-form');
    await page.keyboard.press('Enter');
    await heading(page, 'Account connected');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
    await ctx.close();
  });
});

/** The client's page, written as Belvo's documentation shows (only the script URL differs). */
function embedPage(widgetBase: string, options: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>ACME app</title></head>
<body>
<h1>ACME app</h1>
<div id="belvo"></div>
<script src="${widgetBase}/widget/belvo-widget-1-stable.js"></script>
<script>
  window.events = [];
  window.result = null;
  window.exitData = null;
  var options = ${JSON.stringify(options)};
  function successCallbackFunction(link, institution) { window.result = { link: link, institution: institution }; }
  function onExitCallbackFunction(data) { window.exitData = data; }
  function onEventCallbackFunction(data) { window.events.push(data); }
  function openBelvoWidget(accessToken) {
    var config = Object.assign({
      callback: function (link, institution) { successCallbackFunction(link, institution); },
      onExit: function (data) { onExitCallbackFunction(data); },
      onEvent: function (data) { onEventCallbackFunction(data); },
    }, JSON.parse(options));
    belvoSDK.createWidget(accessToken, config).build();
  }
  openBelvoWidget(new URLSearchParams(location.search).get('token'));
</script>
</body>
</html>`;
}
