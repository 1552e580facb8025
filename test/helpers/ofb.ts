import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Agent, fetch } from 'undici';
import type { MockBank } from '../../src/connectors/ofb/mock/bank.js';
import type { Faults } from '../../src/connectors/ofb/mock/resources/index.js';
import type { Client, Harness } from './harness.js';
import { listAll } from './links.js';
import { assertSchema } from './openapi.js';
import { startReceiver, waitFor, type Receiver } from './receiver.js';

/**
 * The Open Finance Brasil consent flow from the outside, for the end-to-end suites: a widget token
 * with Belvo's OFDA options, the user's walk through the sandbox bank's pages with plain fetch (as
 * a browser without JavaScript would), and the callback page's one call back to Vinculo.
 */

export const OFB_INSTITUTION = 'ofmockbank_br_retail';
export const OFDA_SCOPES = 'read_institutions,write_links,read_consents,write_consents,write_consent_callback,delete_consents';

export interface OfdaTokenOptions {
  cpf: string;
  success: string;
  exit: string;
  permissions?: string[];
}

/** A Connect widget token for consent link creation (POST /api/token/), as Belvo documents it. */
export async function ofdaToken(c: Client, o: OfdaTokenOptions): Promise<string> {
  const res = await c.request('POST', '/api/token/', {
    id: c.id,
    password: c.password,
    scopes: OFDA_SCOPES,
    widget: {
      openfinance_feature: 'consent_link_creation',
      callback_urls: { success: o.success, exit: o.exit },
      consent: {
        terms_and_conditions_url: 'https://app.example/terms',
        permissions: o.permissions ?? ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'],
        identification_info: [{ type: 'CPF', number: o.cpf, name: 'Maria da Silva' }],
      },
    },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.access;
}

/** Cookies of one host: enough for the bank's interaction session. */
class Jar {
  private readonly cookies = new Map<string, string>();
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Walks the bank's pages from `start` (the redirect_url Vinculo answered): follows redirects by
 * hand, posts the CPF login form, presses `decision`, and returns the URL the bank sent the user
 * back to (the first redirect leaving the bank's origin). Fails on a page it cannot act on.
 */
export async function walkBank(start: string, input: { cpf: string; decision: 'Autorizar' | 'Rejeitar' }): Promise<URL> {
  // The bank's CA is made at its start: the "browser" trusts any certificate, as a user clicking through would.
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  const jar = new Jar();
  const bankOrigin = new URL(start).origin;
  let request: { url: URL; body?: URLSearchParams } = { url: new URL(start) };
  let logins = 0;
  try {
    for (let hop = 0; hop < 20; hop += 1) {
      const res = await fetch(request.url, {
        method: request.body ? 'POST' : 'GET',
        body: request.body?.toString(),
        headers: { cookie: jar.header(), ...(request.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        redirect: 'manual',
        dispatcher: agent,
      });
      jar.store(res.headers as unknown as Headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, request.url);
        if (next.origin !== bankOrigin) return next;
        request = { url: next };
        continue;
      }
      const html = await res.text();
      const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
      assert.ok(form, `the bank showed a page without a form (${res.status}): ${html.slice(0, 300)}`);
      const action = new URL(form[1]!.replace(/&amp;/g, '&'), request.url);
      if (/name="cpf"/.test(form[2]!)) {
        assert.equal(logins++, 0, 'the bank refused the CPF login');
        request = { url: action, body: new URLSearchParams({ cpf: input.cpf }) };
        continue;
      }
      const button = new RegExp(`<button type="submit" name="([^"]+)" value="([^"]+)">${input.decision}</button>`).exec(form[2]!);
      assert.ok(button, `no ${input.decision} button on the bank's page`);
      request = { url: action, body: new URLSearchParams({ [button[1]!]: button[2]! }) };
    }
    throw new Error('too many hops in the bank pages');
  } finally {
    await agent.close();
  }
}

/** The bank's answer as the callback page reads it: the fragment (hybrid flow), else the query. */
export function callbackParams(url: URL): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(url.hash ? url.hash.slice(1) : url.search.slice(1)));
}

/** What the callback page's script does: POST the bank's answer to `/ofb/callback` on its own origin. */
export async function postCallback(callback: URL, params = callbackParams(callback)): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL('/ofb/callback', callback), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params }),
  });
  return { status: res.status, body: await res.json() };
}

/** `POST /widget/api/consents/` with the widget token, on the listening server. */
export async function startConsent(baseUrl: string, token: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/widget/api/consents/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ institution: OFB_INSTITUTION, ...body }),
  });
  return { status: res.status, body: await res.json() };
}

/** A webhook as the receiver got it (Belvo's envelope). */
export interface Envelope {
  webhook_id: string;
  webhook_type: string;
  webhook_code: string;
  process_type: string;
  link_id: string;
  data: Record<string, any>;
}

export const APP = 'https://app.example';

/**
 * What the OFB end-to-end suites share, inside `describeStores(…, { workers: true, listen: true })`:
 * registers the hooks that start a webhook receiver and a client (one tenant) with an endpoint
 * pointing at it, and gives the steps those suites take.
 */
export function ofbSuite(h: () => Harness) {
  let receiver: Receiver;
  let client: Client;
  before(async () => {
    receiver = await startReceiver();
    client = await h().newClient();
    const endpoint = await client.request('POST', '/api/webhooks/', { url: receiver.url });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
  });
  after(() => receiver?.close());

  const s = {
    get c(): Client {
      return client;
    },
    /** The webhooks of `link` the receiver got, in order. */
    events: (link: string): Envelope[] => receiver.received.map((r) => JSON.parse(r.body) as Envelope).filter((e) => e.link_id === link),
    /** The first `type` `code` webhook of `link`, waited for (30 s at most). */
    waitEvent: (link: string, type: string, code: string) =>
      waitFor(`${type} ${code} for ${link}`, () => s.events(link).find((e) => e.webhook_type === type && e.webhook_code === code), 30_000),
    /** The webhooks the server wrote for `link` (its outbox: what was sent or will be). */
    written: (link: string) =>
      h().vinculo.store.db.selectFrom('webhook_events').select(['webhook_type', 'webhook_code', 'process_type']).where('link_id', '=', link).orderBy('created_at').execute(),
    linkRow: (id: string) => h().vinculo.store.db.selectFrom('links').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    bank: async (): Promise<MockBank> => {
      const b = await h().vinculo.services.ofb.sandboxBank();
      assert.ok(b, 'the sandbox bank has started');
      return b;
    },
    /** The sandbox bank's data APIs' injected faults (a forced 423/429 per consent). */
    faults: async (): Promise<Faults> => {
      const f = await h().vinculo.services.ofb.sandboxFaults();
      assert.ok(f, 'the sandbox bank has started');
      return f;
    },
    /** The tenant's sandbox clock. */
    now: async (): Promise<Date> => new Date((await client.request('GET', '/sandbox/clock/')).body.now),
    /** Moves the tenant's sandbox clock to `at` (if it is ahead), which runs what became due, and runs the scheduler once more. */
    async advanceTo(at: Date): Promise<void> {
      const seconds = Math.ceil((at.getTime() - (await s.now()).getTime()) / 1000);
      if (seconds > 0) {
        const advanced = await client.request('POST', '/sandbox/clock/advance/', { seconds });
        assert.equal(advanced.status, 200, JSON.stringify(advanced.body));
      }
      await h().vinculo.services.scheduler.runDue();
    },
    /** Moves the tenant's sandbox clock just past `slot` (which runs the due refreshes). */
    passSlot: (slot: Date) => s.advanceTo(new Date(slot.getTime() + 60_000)),
    /** The customer's consents at the bank, newest last. */
    consentsOf: async (cpf: string) => (await s.bank()).consents.all().filter((x) => x.cpf === cpf),
    /**
     * Widget token → consent started → the bank's pages → the redirect back to Vinculo. The user
     * logs in at the bank with `loginCpf` (by default the consent's own CPF).
     */
    async atTheBank(
      cpf: string,
      decision: 'Autorizar' | 'Rejeitar',
      options: { months?: number; loginCpf?: string; accessMode?: 'single' | 'recurrent' } = {},
    ): Promise<URL> {
      const token = await ofdaToken(client, { cpf, success: `${APP}/success`, exit: `${APP}/exit` });
      const body = { months: options.months ?? 12, ...(options.accessMode ? { access_mode: options.accessMode } : {}) };
      const started = await startConsent(h().baseUrl, token, body);
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const callback = await walkBank(started.body.redirect_url, { cpf: options.loginCpf ?? cpf, decision });
      // The bank sends the user to this server's own callback page.
      assert.equal(callback.pathname, '/ofb/callback');
      assert.equal(callback.port, new URL(h().baseUrl).port);
      return callback;
    },
    /** A consented link (recurrent unless asked otherwise), created through the callback as the page's script does. */
    async consentedLink(cpf: string, months = 12, options: { accessMode?: 'single' | 'recurrent' } = {}): Promise<string> {
      const done = await postCallback(await s.atTheBank(cpf, 'Autorizar', { months, ...options }));
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.outcome, 'success', JSON.stringify(done.body));
      return done.body.link;
    },

    // ---- what a consented link goes through, however it was made (fetch-walked or in a browser) ----

    /**
     * The first load: its historical_update webhooks, then through the public API accounts (a
     * checking account, a credit card with `credit_data`), transactions of both, owners and
     * balances, each valid against Belvo's schemas, and the webhooks' totals matching them.
     */
    async firstLoad(link: string): Promise<void> {
      for (const type of ['ACCOUNTS', 'TRANSACTIONS', 'OWNERS', 'BALANCES']) {
        const hook = await s.waitEvent(link, type, 'historical_update');
        assert.equal(hook.process_type, 'historical_update');
      }
      const accounts = await listAll(client, `/api/accounts/?link=${link}`);
      for (const a of accounts.results) assertSchema('Account', a);
      assert.equal(s.events(link).find((e) => e.webhook_type === 'ACCOUNTS')!.data.total_accounts, accounts.count);
      const checking = accounts.results.find((a) => a.category === 'CHECKING_ACCOUNT');
      assert.ok(checking, `a checking account in ${JSON.stringify(accounts.results.map((a) => a.category))}`);
      assert.equal(checking.balance_type, 'ASSET');
      assert.equal(typeof checking.balance.current, 'number');
      const card = accounts.results.find((a) => a.category === 'CREDIT_CARD');
      assert.ok(card, 'a credit card account');
      assert.equal(card.balance_type, 'LIABILITY');
      assert.ok(card.credit_data && typeof card.credit_data === 'object', 'the card has credit_data');
      assert.equal(typeof card.credit_data.credit_limit, 'number', JSON.stringify(card.credit_data));
      assert.ok(accounts.results.every((a) => a.link === link && a.institution.name === OFB_INSTITUTION));

      const transactions = await listAll(client, `/api/transactions/?link=${link}&page_size=1000`);
      assert.ok(transactions.count > 0, 'transactions were loaded');
      for (const t of transactions.results) assertSchema('Transaction', t);
      assert.equal(s.events(link).find((e) => e.webhook_type === 'TRANSACTIONS')!.data.total_transactions, transactions.count);
      const accountsWithTx = new Set(transactions.results.map((t) => t.account.id));
      assert.ok(accountsWithTx.has(checking.id) && accountsWithTx.has(card.id), 'both the account and the card have transactions');

      const owners = await listAll(client, `/api/owners/?link=${link}`);
      assert.ok(owners.count >= 1, 'the customer is an owner');
      for (const o of owners.results) assertSchema('Owner', o);
      const balances = await listAll(client, `/api/balances/?link=${link}&date_from=2000-01-01&date_to=2100-01-01`);
      assert.ok(balances.count >= 1, 'balances were loaded');
      for (const b of balances.results) assertSchema('Balance', b);
    },
    /**
     * The tenant's clock moved past the link's next slot, and at least three days past the first
     * load: the scheduler refreshes it, with a TRANSACTIONS recurrent_update webhook (the bank's card
     * transactions carry their collection instant: a refresh always updates some), and the bank's
     * data moved with the tenant's clock: the refresh stores transactions settled on days after the
     * first load's. The link stays valid with its next refresh planned.
     */
    async refreshAtNextSlot(link: string): Promise<void> {
      const before = await s.linkRow(link);
      assert.ok(before.last_refresh_at && before.next_refresh_at, 'the first load ran and planned a refresh');
      // The São Paulo day of the first load: the customer's calendar, as `value_date`s are.
      const loadedDay = new Date(before.last_refresh_at.getTime() - 3 * 3_600_000).toISOString().slice(0, 10);
      const settledSince = async () =>
        (await listAll(client, `/api/transactions/?link=${link}&page_size=1000`)).results.filter((t) => t.status === 'PROCESSED' && t.value_date > loadedDay);
      assert.deepEqual(await settledSince(), [], 'nothing settled after the day of the first load yet');
      await s.advanceTo(new Date(Math.max(before.next_refresh_at.getTime() + 60_000, before.last_refresh_at.getTime() + 3 * 86_400_000)));
      await waitFor('the refresh', async () => (await s.linkRow(link)).last_refresh_at! > before.last_refresh_at!, 30_000);
      const fresh = await settledSince();
      assert.ok(fresh.length > 0, 'the refresh stored transactions of the days after the first load');
      for (const t of fresh) assertSchema('Transaction', t);
      const hook = await waitFor(
        'a TRANSACTIONS recurrent_update webhook',
        () => s.events(link).find((e) => e.webhook_type === 'TRANSACTIONS' && e.process_type === 'recurrent_update'),
        30_000,
      );
      assert.match(hook.webhook_code, /^(new_transactions_available|transactions_updated|transactions_deleted)$/);
      assert.ok(hook.data.count > 0, JSON.stringify(hook.data));
      const row = await s.linkRow(link);
      assert.equal(row.status, 'valid');
      assert.ok(row.next_refresh_at && row.next_refresh_at > before.next_refresh_at, 'the next refresh is planned');
      assert.ok(!s.events(link).some((e) => e.webhook_type === 'LINK' || e.webhook_type === 'CONSENT'), 'nothing wrong with the link');
    },
    /**
     * The customer revokes the link's consent (the newest of `cpf`) at the bank: at its next slot
     * the refresh finds it REJECTED and makes the link invalid, with a LINK invalid_credentials and
     * a CONSENT openfinance_consent_expired webhook; an invalid link is not refreshed again.
     */
    async revokeAtTheBank(link: string, cpf: string): Promise<void> {
      const consent = (await s.consentsOf(cpf)).at(-1);
      assert.equal(consent?.status, 'AUTHORISED');
      (await s.bank()).faults.revokeConsent(consent.consentId);
      await s.passSlot((await s.linkRow(link)).next_refresh_at!);
      const invalid = await s.waitEvent(link, 'LINK', 'invalid_credentials');
      assert.equal(invalid.process_type, 'recurrent_update');
      assert.equal(invalid.data.status, 400);
      const expired = await s.waitEvent(link, 'CONSENT', 'openfinance_consent_expired');
      assert.equal(expired.data.consent_id, consent.consentId);
      assert.equal(expired.data.institution, OFB_INSTITUTION);
      // What the bank said: the customer revoked it.
      assert.equal(expired.data.rejected_by, 'USER');
      assert.equal(expired.data.rejection_reason, 'CUSTOMER_MANUALLY_REVOKED');
      const res = await client.request('GET', `/api/links/${link}/`);
      assert.equal(res.body.status, 'invalid');
      assert.equal((await s.linkRow(link)).next_refresh_at, null, 'an invalid link is not refreshed');
    },
    /** DELETE /api/links/{id}/: 204, and the link is gone. */
    async deleteLink(link: string): Promise<void> {
      const res = await client.request('DELETE', `/api/links/${link}/`);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal((await client.request('GET', `/api/links/${link}/`)).status, 404);
    },
    /**
     * A valid link (its consent the newest of `cpf`), deleted once its first load is over (a
     * delete racing the load's writes is another matter): the consent is revoked at the bank,
     * REJECTED by the TPP.
     */
    async deleteRevokesConsent(link: string, cpf: string): Promise<void> {
      await waitFor('the first load', async () => (await s.linkRow(link)).last_refresh_at, 30_000);
      const consent = (await s.consentsOf(cpf)).at(-1);
      assert.equal(consent?.status, 'AUTHORISED');
      await s.deleteLink(link);
      const after = (await s.bank()).consents.get(consent.consentId);
      assert.equal(after?.status, 'REJECTED');
      assert.equal(after.rejection?.rejectedBy, 'TPP');
      assert.equal(after.rejection?.reason.code, 'CUSTOMER_MANUALLY_REVOKED');
    },
  };
  return s;
}
