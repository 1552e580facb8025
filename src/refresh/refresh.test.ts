import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { describeStores, type Client } from '../../test/helpers/harness.js';
import { startReceiver, waitFor, type Received, type Receiver } from '../../test/helpers/receiver.js';

/**
 * Recurrent and single links end to end, with workers on and a real local webhook receiver:
 * the first load's historical webhooks, refreshes driven by the sandbox's virtual clock, the
 * institution turning links invalid / token_required (LINK webhooks), repairs, mode changes and
 * the async transactions retrieve.
 */

type Envelope = {
  webhook_id: string;
  webhook_type: string;
  process_type: string;
  webhook_code: string;
  link_id: string;
  request_id: string;
  external_id: string | null;
  data: Record<string, any>;
};

const DAY = 86_400;

describeStores(
  'recurrent and single links',
  (h) => {
    let receiver: Receiver;
    let c: Client;
    let secret: string;

    /** The tenant's virtual now, as the sandbox shows it. */
    const clockNow = async () => new Date((await c.request('GET', '/sandbox/clock/')).body.now);
    const events = (link: string): Envelope[] =>
      receiver.received.map((r) => JSON.parse(r.body) as Envelope).filter((e) => e.link_id === link);
    const codes = (link: string) => events(link).map((e) => `${e.webhook_type}:${e.webhook_code}`);
    const waitEvent = (link: string, type: string, code: string) =>
      waitFor(`${type} ${code} for ${link}`, () => events(link).find((e) => e.webhook_type === type && e.webhook_code === code), 20_000);
    const link = async (body: Record<string, unknown>) => {
      const res = await c.request('POST', '/api/links/', { institution: 'erebor_mx_retail', password: 'secret-pass', ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { id: string; status: string };
    };
    const linkRow = (id: string) =>
      h().vinculo.store.db.selectFrom('links').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const txCount = async (id: string) => (await c.request('GET', `/api/transactions/?link=${id}&page_size=1`)).body.count as number;
    /** The first load has run: historical webhooks sent and the link scheduled. */
    const loaded = async (id: string) => {
      await waitFor('the first load', async () => (await linkRow(id)).last_refresh_at, 20_000);
      await h().vinculo.services.scheduler.runDue();
    };

    before(async () => {
      receiver = await startReceiver();
      c = await h().newClient();
      const endpoint = await c.request('POST', '/api/webhooks/', { url: receiver.url });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      secret = endpoint.body.secret;
    });
    after(() => receiver?.close());

    it('a recurrent link loads its history: one signed historical_update per resource, then a refresh slot', async () => {
      const l = await link({ username: 'bnk100', external_id: 'client-7', refresh_rate: '24h' });
      for (const type of ['ACCOUNTS', 'OWNERS', 'TRANSACTIONS', 'BALANCES']) await waitEvent(l.id, type, 'historical_update');
      const tx = events(l.id).find((e) => e.webhook_type === 'TRANSACTIONS')!;
      assert.equal(tx.process_type, 'historical_update');
      assert.equal(tx.external_id, 'client-7');
      assert.equal(tx.data.total_transactions, await txCount(l.id));
      assert.ok(tx.data.total_transactions >= 1000);
      assert.match(tx.data.first_transaction_date, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(events(l.id).find((e) => e.webhook_type === 'ACCOUNTS')!.data.total_accounts, (await c.request('GET', `/api/accounts/?link=${l.id}`)).body.count);
      // Every delivery verifies with the endpoint's secret (Standard Webhooks).
      const wh = new Webhook(secret);
      for (const r of receiver.received.filter((x: Received) => JSON.parse(x.body).link_id === l.id)) {
        assert.doesNotThrow(() => wh.verify(r.body, r.headers as Record<string, string>));
      }
      const row = await linkRow(l.id);
      assert.ok(row.next_refresh_at && row.next_refresh_at > new Date(Date.now() - 1000));
      assert.ok(row.next_refresh_at.getTime() - (await clockNow()).getTime() <= DAY * 1000);
    });

    it('a fiscal link loads invoices (both directions: one webhook), tax returns, status and compliance', async () => {
      const l = await link({ institution: 'tatooine_mx_fiscal', username: 'AAA010101AAA' });
      for (const type of ['INVOICES', 'TAX_RETURNS', 'TAX_STATUS', 'TAX_COMPLIANCE_STATUS']) await waitEvent(l.id, type, 'historical_update');
      const invoices = events(l.id).filter((e) => e.webhook_type === 'INVOICES');
      assert.equal(invoices.length, 1);
      const stored = (await c.request('GET', `/api/invoices/?link=${l.id}&page_size=1`)).body.count;
      assert.equal(invoices[0].data.total_invoices, stored);
      const types = (await c.request('GET', `/api/invoices/?link=${l.id}&type=OUTFLOW&page_size=1`)).body.count;
      assert.ok(types > 0 && types < stored, 'both directions were loaded');
    });

    it('advancing the clock past the refresh finds new transactions and says so', async () => {
      const l = await link({ username: 'bnk100', refresh_rate: '24h' });
      await loaded(l.id);
      const before = await txCount(l.id);
      const slot = (await linkRow(l.id)).next_refresh_at!;
      const res = await c.request('POST', '/sandbox/clock/advance/', { seconds: 3 * DAY });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.refreshes >= 1);
      const fresh = await waitEvent(l.id, 'TRANSACTIONS', 'new_transactions_available');
      assert.equal(fresh.process_type, 'recurrent_update');
      const after = await txCount(l.id);
      assert.ok(after > before, `${after} > ${before}`);
      assert.equal(fresh.data.new_transactions, after - before);
      // The link keeps its slot: the next refresh is a whole number of days after the last planned one.
      const next = (await linkRow(l.id)).next_refresh_at!;
      assert.equal((next.getTime() - slot.getTime()) % (DAY * 1000), 0);
      assert.ok(next > (await clockNow()));
    });

    it('a scheduled job whose claim was overtaken (its slot claimed again and refreshed) or already served does not log in again', async () => {
      const l = await link({ username: 'bnk101', refresh_rate: '24h' });
      await loaded(l.id);
      const slot = (await linkRow(l.id)).next_refresh_at!;
      const logins = async () =>
        Number((await h().vinculo.store.db.selectFrom('audit_log').select((e) => e.fn.countAll<number>().as('n')).where('link_id', '=', l.id).where('action', '=', 'login').executeTakeFirstOrThrow()).n);
      // The first job's claim: the slot came due and the scheduler moved next_refresh_at to its guard.
      await c.request('POST', '/sandbox/clock/advance/', { seconds: DAY + 60 });
      await waitFor('the slot refreshed', async () => ((await linkRow(l.id)).last_refresh_at! >= slot ? true : undefined), 20_000);
      const before = await logins();
      const refreshes = h().vinculo.services.refreshes;
      // A job of an earlier claim (the guard value it saw is no longer the link's next_refresh_at) does nothing.
      const stale = new Date(slot.getTime() + 3600_000).toISOString();
      assert.equal(await refreshes.refresh(l.id, 'scheduled', undefined, undefined, stale), 'skipped');
      assert.equal(await logins(), before);
      // A job whose claim still stands runs.
      const current = (await linkRow(l.id)).next_refresh_at!.toISOString();
      assert.equal(await refreshes.refresh(l.id, 'scheduled', undefined, undefined, current), 'refreshed');
      assert.equal(await logins(), before + 1);
      // Its retry (the attempt stored the refresh, then its process died before the queue heard)
      // reports the refresh done, without logging in again.
      assert.equal(await refreshes.refresh(l.id, 'scheduled', undefined, undefined, current), 'refreshed');
      assert.equal(await logins(), before + 1);
    });

    it('reset_login: the refresh makes the link invalid with a LINK webhook; a PUT repairs and refreshes it', async () => {
      const l = await link({ username: 'plain_user_1' });
      await loaded(l.id);
      assert.equal((await c.request('POST', `/sandbox/links/${l.id}/reset_login/`)).status, 200);
      const refreshed = await c.request('POST', `/sandbox/links/${l.id}/refresh/`);
      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.body.status, 'invalid');
      const hook = await waitEvent(l.id, 'LINK', 'invalid_credentials');
      assert.deepEqual(hook.data, { error_code: 'login_error', error_message: 'Invalid credentials provided to login to the institution', status: 400 });
      assert.equal((await linkRow(l.id)).next_refresh_at, null, 'an invalid link is not refreshed');
      assertRefused(await c.request('POST', '/api/accounts/', { link: l.id }), 'invalid_link');

      const lastBefore = (await linkRow(l.id)).last_refresh_at!;
      const put = await c.request('PUT', `/api/links/${l.id}/`, { password: 'a-new-password' });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.status, 'valid');
      await waitFor('the refresh after the repair', async () => (await linkRow(l.id)).last_refresh_at! > lastBefore, 20_000);
      assert.ok((await linkRow(l.id)).next_refresh_at);
    });

    it('require_token: the refresh makes the link token_required with a LINK webhook; a PUT with the token repairs it', async () => {
      const l = await link({ username: 'plain_user_2' });
      await loaded(l.id);
      await c.request('POST', `/sandbox/links/${l.id}/require_token/`);
      const refreshed = await c.request('POST', `/sandbox/links/${l.id}/refresh/`);
      assert.equal(refreshed.body.status, 'token_required');
      const hook = await waitEvent(l.id, 'LINK', 'token_required');
      assert.equal(hook.data.status, 428);
      const put = await c.request('PUT', `/api/links/${l.id}/`, { token: '123456' });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.status, 'valid');
      // Asked once: the next refresh needs no token.
      assert.equal((await c.request('POST', `/sandbox/links/${l.id}/refresh/`)).body.status, 'valid');
    });

    it('an institution that is down leaves the link as it is and retries later', async () => {
      const l = await link({ institution: 'gringotts_mx_retail', username: 'plain_user_3', refresh_rate: '6h' });
      await loaded(l.id);
      const down = await c.request('POST', '/sandbox/institutions/gringotts_mx_retail/status/', { status: 'down' });
      assert.equal(down.status, 200, JSON.stringify(down.body));
      try {
        const r = await c.request('POST', `/sandbox/links/${l.id}/refresh/`);
        assert.equal(r.body.status, 'valid');
        const row = await linkRow(l.id);
        assert.equal(row.refresh_attempts, 1);
        const wait = row.next_refresh_at!.getTime() - (await clockNow()).getTime();
        assert.ok(wait > 0 && wait <= 6 * 3600 * 1000, `retry in ${wait} ms`);
        assert.ok(!codes(l.id).some((x) => x.startsWith('LINK:')));
      } finally {
        await c.request('POST', '/sandbox/institutions/gringotts_mx_retail/status/', { status: 'healthy' });
      }
    });

    it('a single link loads only its fetch_resources, once, and is never scheduled', async () => {
      const l = await link({ username: 'single_user', access_mode: 'single', fetch_resources: ['ACCOUNTS', 'OWNERS'] });
      await waitEvent(l.id, 'OWNERS', 'historical_update');
      await waitEvent(l.id, 'ACCOUNTS', 'historical_update');
      assert.ok(!codes(l.id).includes('TRANSACTIONS:historical_update'));
      assert.equal((await linkRow(l.id)).next_refresh_at, null);
      // A single link without resources to fetch loads nothing.
      const bare = await link({ username: 'single_bare', access_mode: 'single' });
      await h().vinculo.services.scheduler.runDue();
      assert.equal((await linkRow(bare.id)).last_refresh_at, null);
    });

    it('a nostore single link keeps its sealed credentials only until its first load has run', async () => {
      const l = await link({ username: 'nostore_load', access_mode: 'single', credentials_storage: 'nostore', fetch_resources: ['OWNERS'] });
      const sealed = () => h().vinculo.store.db.selectFrom('link_credentials').select('link_id').where('link_id', '=', l.id).execute();
      await waitEvent(l.id, 'OWNERS', 'historical_update');
      await waitFor('the credentials forgotten', async () => (await sealed()).length === 0, 20_000);
      assert.equal((await linkRow(l.id)).status, 'valid');
      // Deleted credentials are a use of them: audited, in the deleting transaction.
      const audited = await h().vinculo.store.db.selectFrom('audit_log').select(['actor', 'outcome']).where('link_id', '=', l.id).where('action', '=', 'credentials_expire').execute();
      assert.deepEqual(audited, [{ actor: 'system', outcome: 'success' }]);
    });

    it('PATCH to single stops refreshes; back to recurrent schedules the first one for the next day', async () => {
      const l = await link({ username: 'switch_user' });
      await loaded(l.id);
      assert.ok((await linkRow(l.id)).next_refresh_at);
      assert.equal((await c.request('PATCH', `/api/links/${l.id}/`, { access_mode: 'single' })).status, 200);
      assert.equal((await linkRow(l.id)).next_refresh_at, null);
      assert.equal((await c.request('PATCH', `/api/links/${l.id}/`, { access_mode: 'recurrent', refresh_rate: '12h' })).status, 200);
      const next = (await linkRow(l.id)).next_refresh_at!;
      const now = (await clockNow());
      const tomorrow = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      assert.ok(next.getTime() >= tomorrow && next.getTime() < tomorrow + 12 * 3600 * 1000, next.toISOString());
    });

    it('the async transactions retrieve ends with its webhook carrying the request id', async () => {
      const l = await link({ username: 'async_user', access_mode: 'single' });
      const today = (await clockNow()).toISOString().slice(0, 10);
      const res = await c.request('POST', '/api/transactions/', { link: l.id, date_from: '2026-01-01', date_to: today }, { 'x-belvo-request-mode': 'async' });
      assert.equal(res.status, 202);
      const hook = await waitEvent(l.id, 'TRANSACTIONS', 'new_transactions_available');
      assert.equal(hook.request_id, res.body.request_id);
      assert.equal(hook.data.count, await txCount(l.id));
    });

    it('credentials_storage Nd: once expired, credentials are deleted and the link is invalid', async () => {
      const l = await link({ username: 'short_memory', access_mode: 'single', credentials_storage: '2d' });
      const db = h().vinculo.store.db;
      const creds = () => db.selectFrom('link_credentials').select('link_id').where('link_id', '=', l.id).execute();
      assert.equal((await creds()).length, 1);
      await c.request('POST', '/sandbox/clock/advance/', { seconds: DAY });
      assert.equal((await linkRow(l.id)).status, 'valid');
      await c.request('POST', '/sandbox/clock/advance/', { seconds: 1.5 * DAY });
      assert.equal((await creds()).length, 0);
      assert.equal((await linkRow(l.id)).status, 'invalid');
    });

    it('stale_in: data older than N days is deleted', async () => {
      const l = await link({ username: 'stale_user', access_mode: 'single', stale_in: '3d' });
      const owners = await c.request('POST', '/api/owners/', { link: l.id });
      assert.equal(owners.status, 201);
      const count = async () => (await c.request('GET', `/api/owners/?link=${l.id}`)).body.count as number;
      assert.ok((await count()) > 0);
      await c.request('POST', '/sandbox/clock/advance/', { seconds: 2 * DAY });
      assert.ok((await count()) > 0);
      await c.request('POST', '/sandbox/clock/advance/', { seconds: 2 * DAY });
      assert.equal(await count(), 0);
    });

    it('sandbox controls: a tenant acts only on its own links; the clock shows the virtual now', async () => {
      const l = await link({ username: 'mine' });
      const other = await h().newClient();
      assert.equal((await other.request('POST', `/sandbox/links/${l.id}/refresh/`)).status, 404);
      assert.equal((await other.request('POST', `/sandbox/links/${l.id}/reset_login/`)).status, 404);
      const clock = await c.request('GET', '/sandbox/clock/');
      assert.equal(clock.status, 200);
      assert.ok(clock.body.offset_seconds > 0, 'earlier tests moved this tenant\'s clock');
      assert.ok(Math.abs(Date.parse(clock.body.now) - (Date.now() + clock.body.offset_seconds * 1000)) < 5_000);
      assert.equal((await other.request('GET', '/sandbox/clock/')).body.offset_seconds, 0, 'another tenant keeps its own time');
      assert.equal((await other.request('GET', '/sandbox/clock/', undefined, { authorization: 'Basic eDp5' })).status, 401);
      const fired = await c.request('POST', `/sandbox/links/${l.id}/fire_webhook/`, { webhook_type: 'ACCOUNTS', webhook_code: 'new_accounts_available' });
      assert.equal(fired.status, 201, JSON.stringify(fired.body));
      await waitEvent(l.id, 'ACCOUNTS', 'new_accounts_available');
    });
  },
  { workers: true },
);

function assertRefused(res: { status: number; body: any }, code: string) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body[0].code, code);
}
