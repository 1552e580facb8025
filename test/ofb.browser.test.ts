/**
 * An Open Finance Brasil consent in a real browser: headless Chromium (Debian's package) driven by
 * playwright-core through the hosted Connect widget, the sandbox bank's own pages (started in the
 * server's process, HTTPS with its own CA), Vinculo's /ofb/callback page and its script, to the
 * client app's callback URL. Once per store. Skips, saying why, when no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { formatCpf } from '../src/widget/ui/cpf.js';
import { startHarness, type Client, type Harness } from './helpers/harness.js';
import { OFB_INSTITUTION, ofdaToken } from './helpers/ofb.js';
import { STORES } from './helpers/stores.js';

const CHROMIUM = process.env.VINCULO_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 20_000;
const DAY_MS = 86_400_000;

if (!existsSync(CHROMIUM)) {
  process.stdout.write(`# OFB browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`);
  describe('Open Finance consent in a browser', () => it.skip(`skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`));
} else {
  describe('Open Finance consent in a browser', () => {
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
        let c: Client;

        before(async () => {
          h = await startHarness(store);
          await h.listen();
          c = await h.newClient(`ofb-browser-${store}`);
        });
        // Every answer the browser got (widget API, callback) is checked against Belvo's document and Vinculo's.
        afterEach(() => h?.assertConformant());
        after(() => h?.close());

        /** The hosted widget with an OFDA token, up to the bank's CPF login page. */
        async function toTheBank(cpf: string): Promise<Page> {
          const access = await ofdaToken(c, { cpf, success: `${appUrl}/success`, exit: `${appUrl}/exit` });
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

        it('widget → consent screen → the bank (CPF, Autorizar) → /ofb/callback → the success URL; the link is valid', async () => {
          const cpf = cpfFromBase('529982247');
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

          const link = await c.request('GET', `/api/links/${linkId}/`);
          assert.equal(link.status, 200, JSON.stringify(link.body));
          assert.equal(link.body.status, 'valid');
          assert.equal(link.body.institution, OFB_INSTITUTION);
          // The bank holds the consent the user gave, for the 6 months chosen in the widget.
          const bank = await h.vinculo.services.ofb.sandboxBank();
          const consent = bank?.consents.all().find((x) => x.cpf === cpf);
          assert.equal(consent?.status, 'AUTHORISED');
          const days = (consent!.expirationDateTime!.getTime() - consent!.creationDateTime.getTime()) / DAY_MS;
          assert.ok(days > 170 && days < 190, `a 6-month consent, not ${days} days`);
        });

        it('Rejeitar at the bank → the exit URL with last_encountered_error consent_rejected, and no link', async () => {
          const page = await toTheBank(cpfFromBase('111444777'));
          await page.getByRole('button', { name: 'Rejeitar', exact: true }).click();
          await page.waitForURL(`${appUrl}/exit?**`);
          const url = new URL(page.url());
          assert.equal(JSON.parse(url.searchParams.get('last_encountered_error') ?? '{}').code, 'consent_rejected');
          assert.equal(url.searchParams.get('institution'), OFB_INSTITUTION);
          await page.context().close();
          const links = await c.request('GET', `/api/links/?institution=${OFB_INSTITUTION}`);
          assert.equal(links.body.count, 1, 'only the authorised consent made a link');
        });
      });
    }
  });
}
