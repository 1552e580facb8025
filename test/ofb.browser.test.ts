/**
 * An Open Finance Brasil link end to end, its consent given in a real browser: headless Chromium
 * (Debian's package) driven by playwright-core through the hosted Connect widget, the sandbox
 * bank's own pages (started in the server's process, HTTPS with its own CA), Vinculo's
 * /ofb/callback page and its script, to the client app's callback URL. The link the browser made
 * then goes on as any: its first load read through the public API (accounts with a credit card
 * and its credit_data, transactions, owners, against Belvo's schemas), a refresh once the tenant's
 * clock passes its slot, the consent revoked at the bank (the link invalid, with the LINK and
 * CONSENT webhooks), and DELETE; a second browser consent, deleted while valid, is revoked at the
 * bank. Once per store, with the server's workers and a webhook receiver. Skips, saying why, when
 * no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { formatCpf } from '../src/documents/cpf.js';
import { CHROMIUM, describeBrowser } from './helpers/browser.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { listAll } from './helpers/links.js';
import { OFB_INSTITUTION, ofbSuite, ofdaToken } from './helpers/ofb.js';
import { STORES } from './helpers/stores.js';

const TIMEOUT = 20_000;
const DAY_MS = 86_400_000;
// One customer per consent, so each is found at the bank by its CPF.
const CPF = cpfFromBase('529982247');
const CPF_DELETED = cpfFromBase('390533447');
const CPF_REJECTS = cpfFromBase('111444777');

describeBrowser('Open Finance consent in a browser', () => {
  let browser: Browser;
  /** The client's app: another origin, where the widget's callback URLs lead. */
  let app: Server;
  let appUrl: string;

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        // The sandbox bank's CA is generated when it starts.
        '--ignore-certificate-errors',
      ],
    });
    app = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>client app</title><h1>Back in the client app: ${new URL(req.url ?? '/', 'http://x').pathname}</h1>`);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
  });

  for (const store of STORES) {
    describe(`[${store}]`, () => {
      let h: Harness;

      before(async () => {
        // Workers on: the first load, the refreshes and the webhooks run as in production.
        h = await startHarness(store, {}, { workers: true });
        await h.listen();
      });
      // Every answer the browser got (widget API, callback) is checked against Belvo's document and Vinculo's.
      afterEach(() => h?.assertConformant());
      after(() => h?.close());
      // The tenant's client, with a webhook endpoint pointing at a receiver.
      const s = ofbSuite(() => h);

      /** The hosted widget with an OFDA token, up to the bank's CPF login page. */
      async function toTheBank(cpf: string): Promise<Page> {
        const access = await ofdaToken(s.c, { cpf, success: `${appUrl}/success`, exit: `${appUrl}/exit` });
        const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', ignoreHTTPSErrors: true });
        ctx.setDefaultTimeout(TIMEOUT);
        const page = await ctx.newPage();
        await page.goto(`${h.baseUrl}/widget/?${new URLSearchParams({ access_token: access, country_codes: 'BR' })}`);
        await page.locator(`button.institution[data-institution="${OFB_INSTITUTION}"]`).click();
        await page.locator('#consent-form').waitFor();
        // The CPF comes from the token: shown, not editable.
        const document = page.locator('#consent-document');
        assert.equal(await document.inputValue(), formatCpf(cpf));
        assert.equal(await document.getAttribute('readonly'), '');
        assert.deepEqual(await page.locator('#consent-permissions li').evaluateAll((items) => items.map((li) => li.getAttribute('data-permission'))), [
          'REGISTER',
          'ACCOUNTS',
          'CREDIT_CARDS',
        ]);
        await page.locator('#consent-months').selectOption('6');
        await page.locator('#consent-continue').click();
        // The bank's login page, on the bank's own origin.
        await page.getByLabel('CPF').waitFor();
        assert.notEqual(new URL(page.url()).origin, new URL(h.baseUrl).origin);
        await page.getByLabel('CPF').fill(cpf);
        await page.getByRole('button', { name: 'Entrar' }).click();
        return page;
      }

      /** Autorizar at the bank → Vinculo's callback page → the success URL: the new link's id (the link is valid). */
      async function authorise(cpf: string): Promise<string> {
        const page = await toTheBank(cpf);
        const seen: string[] = [];
        page.on('framenavigated', (f) => f === page.mainFrame() && seen.push(new URL(f.url()).pathname));
        await page.getByRole('button', { name: 'Autorizar', exact: true }).click();
        await page.waitForURL(`${appUrl}/success?**`);
        assert.ok(seen.includes('/ofb/callback'), `went through Vinculo's callback page: ${seen.join(' → ')}`);
        const url = new URL(page.url());
        const linkId = url.searchParams.get('link');
        assert.ok(linkId, page.url());
        assert.equal(url.searchParams.get('institution'), OFB_INSTITUTION);
        await page.context().close();

        const link = await s.c.request('GET', `/api/links/${linkId}/`);
        assert.equal(link.status, 200, JSON.stringify(link.body));
        assert.equal(link.body.status, 'valid');
        assert.equal(link.body.institution, OFB_INSTITUTION);
        return linkId;
      }

      /** The link the browser made, followed by the next tests. */
      let linkId = '';

      it('widget → consent screen → the bank (CPF, Autorizar) → /ofb/callback → the success URL; the link is valid', async () => {
        linkId = await authorise(CPF);
        // The bank holds the consent the user gave, for the 6 months chosen in the widget.
        const consent = (await s.consentsOf(CPF)).at(-1);
        assert.equal(consent?.status, 'AUTHORISED');
        const days = (consent.expirationDateTime!.getTime() - consent.creationDateTime.getTime()) / DAY_MS;
        assert.ok(days > 170 && days < 190, `a 6-month consent, not ${days} days`);
      });

      it('its first load: accounts (a credit card with credit_data), transactions and owners through the public API, with the webhooks', async () => {
        assert.ok(linkId, 'the browser made a link');
        await s.firstLoad(linkId);
      });

      it('the tenant\'s clock passes the next slot: the link is refreshed, with a recurrent_update webhook', async () => {
        assert.ok(linkId, 'the browser made a link');
        await s.refreshAtNextSlot(linkId);
      });

      it('the consent revoked at the bank: the next refresh makes the link invalid, with LINK invalid_credentials and CONSENT openfinance_consent_expired', async () => {
        assert.ok(linkId, 'the browser made a link');
        await s.revokeAtTheBank(linkId, CPF);
      });

      it('DELETE /api/links/{id}/ of the invalid link: gone; its consent stays as the user left it at the bank', async () => {
        assert.ok(linkId, 'the browser made a link');
        await s.deleteLink(linkId);
        const consent = (await s.consentsOf(CPF)).at(-1);
        assert.equal(consent?.status, 'REJECTED');
        assert.equal(consent.rejection?.rejectedBy, 'USER');
        assert.equal(consent.rejection?.reason.code, 'CUSTOMER_MANUALLY_REVOKED');
      });

      it('another consent in the browser, its link deleted while valid: DELETE revokes the consent at the bank (REJECTED by the TPP)', async () => {
        const id = await authorise(CPF_DELETED);
        await s.deleteRevokesConsent(id, CPF_DELETED);
      });

      it('Rejeitar at the bank → the exit URL with last_encountered_error consent_rejected, and no link', async () => {
        const before = (await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`)).count;
        const page = await toTheBank(CPF_REJECTS);
        await page.getByRole('button', { name: 'Rejeitar', exact: true }).click();
        await page.waitForURL(`${appUrl}/exit?**`);
        const url = new URL(page.url());
        assert.equal(JSON.parse(url.searchParams.get('last_encountered_error') ?? '{}').code, 'consent_rejected');
        assert.equal(url.searchParams.get('institution'), OFB_INSTITUTION);
        await page.context().close();
        assert.equal((await s.consentsOf(CPF_REJECTS)).at(-1)?.status, 'REJECTED');
        assert.equal((await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`)).count, before, 'no link');
      });
    });
  }
});
