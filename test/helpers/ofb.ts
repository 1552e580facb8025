import assert from 'node:assert/strict';
import { Agent, fetch } from 'undici';
import type { Client } from './harness.js';

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
