import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { sdkFor } from '../../../test/helpers/sdk.js';
import { sql } from 'kysely';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { describeStores, type Client } from '../../../test/helpers/harness.js';
import { assertError, createLink, daysAgo, linkStatus, listAll, today } from '../../../test/helpers/links.js';

/**
 * The bank link-data resources (accounts, transactions, owners, balances) over HTTP and through
 * the official SDK: retrieval, storage, idempotency, list filters, pagination, detail, delete.
 * One `bnk100` link (Belvo's full sandbox dataset: six accounts, >1,000 transactions a year) is
 * shared by the suite; tests that delete or need a clean slate make their own small links.
 */

// The official SDK, pointed at Vinculo by base URL only.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const YEAR_FROM = () => daysAgo(364);

type Obj = Record<string, any>;

const ids = (xs: Obj[]) => xs.map((x) => x.id);
const byId = (xs: Obj[]) => new Map(xs.map((x) => [x.id, x]));

describeStores(
  'bank link data',
  (h) => {
    let c: Client;
    let sdk: any;
    /** The shared bnk100 link. */
    let link: string;

    before(async () => {
      c = await h().newClient();
      sdk = await sdkFor(h(), c);
      link = await createLink(c, 'bnk100', { password: 'full' });
    });

    const post = async (path: string, body: Obj, query = '') => {
      const res = await c.request('POST', `/api/${path}/${query}`, body);
      assert.equal(res.status, body.save_data === false ? 200 : 201, `${path}: ${JSON.stringify(res.body).slice(0, 500)}`);
      assert.ok(Array.isArray(res.body), `${path} answers a plain array`);
      return res.body as Obj[];
    };
    const stored = async (path: string, query: string) => (await listAll(c, `/api/${path}/?page_size=1000&${query}`)).results;

    describe('through the official SDK', () => {
      let accounts: Obj[];
      let transactions: Obj[];

      it('accounts.retrieve and owners.retrieve answer arrays of spec objects', async () => {
        accounts = await sdk.accounts.retrieve(link);
        assert.equal(accounts.length, 6, 'bnk100 has six accounts');
        for (const a of accounts) {
          assertSchema('Account', a);
          assert.equal(a.link, link);
          assert.match(a.id, UUID_RE);
          assert.equal(a.institution.name, 'erebor_mx_retail');
        }
        assert.deepEqual(
          accounts.map((a) => a.category).sort(),
          ['CHECKING_ACCOUNT', 'CREDIT_CARD', 'CREDIT_CARD', 'INVESTMENT_ACCOUNT', 'LOAN_ACCOUNT', 'SAVINGS_ACCOUNT'],
        );
        const owners = await sdk.owners.retrieve(link);
        assert.equal(owners.length, 2);
        for (const o of owners) {
          assertSchema('Owner', o);
          assert.equal(o.link, link);
        }
      });

      it('transactions.retrieve(link, dateFrom, {dateTo}) brings a year of history (>1,000 transactions)', async () => {
        const from = YEAR_FROM();
        const to = today();
        transactions = await sdk.transactions.retrieve(link, from, { dateTo: to });
        assert.ok(transactions.length >= 1000, `${transactions.length} transactions`);
        assert.equal(new Set(ids(transactions)).size, transactions.length, 'no id twice');
        const accountIds = new Set(ids(accounts));
        for (const t of transactions) {
          assert.ok(t.value_date >= from && t.value_date <= to, t.value_date);
          assert.ok(accountIds.has(t.account.id), 'embeds one of the link accounts (same id)');
        }
        for (const t of transactions) assertSchema('Transaction', t);
      });

      it('transactions.retrieve without dateTo (the SDK sends its own local today) is accepted', async () => {
        const recent = await sdk.transactions.retrieve(link, daysAgo(2));
        assert.ok(Array.isArray(recent));
        for (const t of recent) assert.ok(t.value_date >= daysAgo(2));
        const known = new Set(ids(transactions));
        assert.ok(recent.filter((t: Obj) => known.has(t.id)).length > 0, 'already stored transactions keep their ids');
      });

      it('balances.retrieve(link, dateFrom, {dateTo, account}) answers one balance per account and day', async () => {
        const from = daysAgo(29);
        const balances = await sdk.balances.retrieve(link, from, { dateTo: today() });
        assert.equal(balances.length, 6 * 30);
        for (const b of balances) {
          assertSchema('Balance', b);
          assert.ok(b.value_date >= from && b.value_date <= today());
        }
        const checking = accounts.find((a) => a.category === 'CHECKING_ACCOUNT')!;
        const one = await sdk.balances.retrieve(link, from, { dateTo: today(), account: checking.id });
        assert.equal(one.length, 30);
        assert.ok(one.every((b: Obj) => b.account.id === checking.id));
        assert.deepEqual(ids(one).sort(), ids(balances.filter((b: Obj) => b.account.id === checking.id)).sort(), 'same ids');
      });

      it('transactions.list follows next across pages: every stored transaction once', async () => {
        const all = await sdk.transactions.list({ limit: 5000, filters: { link } });
        const raw = await c.request('GET', `/api/transactions/?link=${link}&page_size=1`);
        assert.equal(all.length, raw.body.count);
        assert.ok(all.length > 1000, 'more than one page of 1,000');
        assert.equal(new Set(ids(all)).size, all.length, 'each transaction once');
        const retrieved = new Set(ids(transactions));
        assert.ok(ids(all).filter((id: string) => retrieved.has(id)).length === transactions.length, 'the year retrieved is all there');
        // The SDK's default limit is 100.
        assert.equal((await sdk.transactions.list({ filters: { link } })).length, 100);
      });

      it('X.list({filters}) with small pages for accounts, owners and balances', async () => {
        const accs = await sdk.accounts.list({ filters: { link, page_size: 2 } });
        assert.deepEqual(ids(accs).sort(), ids(accounts).sort());
        const cards = await sdk.accounts.list({ filters: { link, category: 'CREDIT_CARD', page_size: 1 } });
        assert.equal(cards.length, 2);
        assert.ok(cards.every((a: Obj) => a.category === 'CREDIT_CARD'));
        const owners = await sdk.owners.list({ filters: { link, page_size: 1 } });
        assert.equal(owners.length, 2);
        const balances = await sdk.balances.list({ filters: { link, page_size: 40 } });
        assert.equal(balances.length, 100, 'stops at the default limit, across three pages');
        assert.equal(new Set(ids(balances)).size, 100);
      });

      it('transactions.list without link throws in the SDK itself; server errors reach the caller', async () => {
        await assert.rejects(
          () => sdk.transactions.list(),
          (e: any) => e.statusCode === 400 && e.detail === 'Link filter is required',
        );
        // list() surfaces the raw axios error; retrieve() a RequestError with Belvo's array.
        await assert.rejects(
          () => sdk.transactions.list({ filters: { link, amount__gt: 'abc' } }),
          (e: any) => e.response?.status === 400 && e.response.data[0].field === 'amount__gt',
        );
        await assert.rejects(
          () => sdk.accounts.retrieve(NO_SUCH_ID),
          (e: any) => e.statusCode === 400 && e.detail[0].code === 'does_not_exist' && e.detail[0].field === 'link',
        );
        await assert.rejects(
          () => sdk.transactions.retrieve(link, daysAgo(1), { dateTo: daysAgo(-3) }),
          (e: any) => e.statusCode === 400 && e.detail[0].field === 'date_to',
        );
      });

      it('retrieve with saveData:false answers the stored ids and stores nothing new', async () => {
        const before = await sdk.accounts.list({ filters: { link } });
        const unsaved = await sdk.accounts.retrieve(link, { saveData: false });
        assert.deepEqual(ids(unsaved).sort(), ids(before).sort());
        const owners = await sdk.owners.retrieve(link, { saveData: false });
        assert.equal(owners.length, 2);
        assert.equal((await sdk.owners.list({ filters: { link } })).length, 2);
      });

      it('X.detail and X.delete', async () => {
        const account = await sdk.accounts.detail(accounts[0].id);
        assert.equal(account.id, accounts[0].id);
        assertSchema('Account', account);
        const txn = await sdk.transactions.detail(transactions[0].id);
        assert.equal(txn.id, transactions[0].id);
        assert.equal(txn.account.id, transactions[0].account.id);
        const [owner] = await sdk.owners.list({ filters: { link } });
        assert.equal((await sdk.owners.detail(owner.id)).display_name, owner.display_name);
        const [balance] = await sdk.balances.list({ limit: 1, filters: { link } });
        assert.equal((await sdk.balances.detail(balance.id)).balance, balance.balance);

        assert.equal(await sdk.owners.delete(owner.id), true);
        await assert.rejects(() => sdk.owners.detail(owner.id), (e: any) => e.statusCode === 404);
        assert.equal(await sdk.owners.delete(owner.id), false);
        assert.equal(await sdk.balances.delete(balance.id), true);
        assert.equal(await sdk.balances.delete(balance.id), false);
        // Retrieving again brings the owner back (as a new object).
        const again = await sdk.owners.retrieve(link);
        assert.equal(again.length, 2);
        assert.ok(!ids(again).includes(owner.id));
      });

      it('X.resume after a 428 finishes the retrieval', async () => {
        const l = await sdk.links.register('erebor_mx_retail', 'expire_token_sdk', 'pw-sdk');
        let session: Obj | undefined;
        try {
          await sdk.accounts.retrieve(l.id);
          assert.fail('expected 428');
        } catch (err: any) {
          assert.equal(err.statusCode, 428, JSON.stringify(err.detail));
          session = err.detail[0];
        }
        assert.equal(session!.link, l.id);
        assert.equal((await sdk.links.detail(l.id)).status, 'token_required');
        const resumed = await sdk.accounts.resume(session!.session, '123456', l.id);
        assert.ok(Array.isArray(resumed) && resumed.length > 0);
        for (const a of resumed) assertSchema('Account', a);
        assert.equal((await sdk.links.detail(l.id)).status, 'valid');
        const listed = await sdk.accounts.list({ filters: { link: l.id } });
        assert.deepEqual(ids(listed).sort(), ids(resumed).sort(), 'saved by default');
        // Transactions too: the retrieval's window is kept in the session.
        try {
          await sdk.transactions.retrieve(l.id, daysAgo(9), { dateTo: today() });
          assert.fail('expected 428');
        } catch (err: any) {
          assert.equal(err.statusCode, 428);
          session = err.detail[0];
        }
        const txns = await sdk.transactions.resume(session!.session, '123456', l.id);
        assert.ok(Array.isArray(txns));
        for (const t of txns) assert.ok(t.value_date >= daysAgo(9));
      });
    });

    describe('retrieval over HTTP', () => {
      it('POST answers 201 with plain arrays of spec objects; transactions embed the stored account', async () => {
        const started = Date.now();
        const accounts = await post('accounts', { link });
        const accessed = (await c.request('GET', `/api/links/${link}/`)).body.last_accessed_at;
        assert.ok(Date.parse(accessed) >= started - 1000, 'the link records the access');
        for (const a of accounts) assertSchema('Account', a);
        const owners = await post('owners', { link });
        for (const o of owners) assertSchema('Owner', o);
        const from = daysAgo(30);
        const txns = await post('transactions', { link, date_from: from, date_to: today() });
        assert.ok(txns.length > 50, String(txns.length));
        const listed = byId(await stored('accounts', `link=${link}`));
        assert.equal(listed.size, 6);
        for (const t of txns) {
          assertSchema('Transaction', t);
          assert.ok(t.value_date >= from && t.value_date <= today());
          assert.ok(!('link' in t) && !('account_internal_identification' in t));
          // The whole account, exactly as GET /api/accounts/ serves it.
          assert.deepEqual(t.account, listed.get(t.account.id));
        }
        const detail = await c.request('GET', `/api/transactions/${txns[0].id}/`);
        assert.equal(detail.status, 200);
        assertSchema('Transaction', detail.body);
        assert.deepEqual(detail.body, txns[0]);
        const balances = await post('balances', { link, date_from: daysAgo(6), date_to: today() });
        assert.equal(balances.length, 6 * 7);
        // Each retrieval refreshes the accounts (collected_at, balance): compare with the list now.
        const relisted = byId(await stored('accounts', `link=${link}`));
        for (const b of balances) {
          assertSchema('Balance', b);
          assert.deepEqual(b.account, relisted.get(b.account.id));
        }
      });

      it('every sandbox bank answers spec objects (MX, CO, BR; MFA at every login with the token up front)', async () => {
        const banks: [string, string, Obj][] = [
          ['erebor_co_retail', '1020304050', { username_type: '001' }],
          ['erebor_br_retail', '52998224725', {}],
          ['gringotts_mx_retail', 'schema_user', {}],
          ['gotham_mx_business', 'schema_biz', { token: '123456' }],
          ['heimdall_mx_retail', 'schema_qr', { token: '123456' }],
        ];
        for (const [institution, username, extra] of banks) {
          const l = await createLink(c, username, { institution, extra });
          const token = extra.token ? { token: extra.token } : {};
          const accounts = await post('accounts', { link: l, ...token });
          assert.ok(accounts.length > 0, institution);
          for (const a of accounts) {
            assertSchema('Account', a);
            assert.equal(a.institution.name, institution);
          }
          for (const t of await post('transactions', { link: l, date_from: daysAgo(45), date_to: today(), ...token })) assertSchema('Transaction', t);
          for (const b of await post('balances', { link: l, date_from: daysAgo(2), date_to: today(), ...token })) assertSchema('Balance', b);
          for (const o of await post('owners', { link: l, ...token })) assertSchema('Owner', o);
          assert.equal(await linkStatus(c, l), 'valid');
        }
      });

      it('institutions that challenge every login answer 428 on a retrieval without a token, then resume', async () => {
        const l = await createLink(c, 'challenge_biz', { institution: 'gotham_mx_business', extra: { token: '123456' } });
        const res = await c.request('POST', '/api/accounts/', { link: l });
        assert.equal(res.status, 428, JSON.stringify(res.body));
        assert.equal(await linkStatus(c, l), 'token_required');
        const done = await c.request('PATCH', '/api/accounts/', { session: res.body[0].session, link: l, token: '123456' });
        assert.equal(done.status, 201);
        assert.equal(await linkStatus(c, l), 'valid');
        // QR: confirmed on the device, resumed without a token.
        const q = await createLink(c, 'challenge_qr', { institution: 'heimdall_mx_retail', extra: { token: '123456' } });
        const qr = await c.request('POST', '/api/owners/', { link: q });
        assert.equal(qr.status, 428);
        assert.equal(qr.body[0].token_generation_data.expects_user_input, false);
        const confirmed = await c.request('PATCH', '/api/owners/', { session: qr.body[0].session, link: q });
        assert.equal(confirmed.status, 201, JSON.stringify(confirmed.body));
        assert.ok(confirmed.body.length > 0);
      });

      it('an `account` narrows transactions and balances to that account', async () => {
        const accounts = await stored('accounts', `link=${link}`);
        const card = accounts.find((a) => a.category === 'CREDIT_CARD')!;
        const all = await post('transactions', { link, date_from: daysAgo(30), date_to: today() });
        const one = await post('transactions', { link, account: card.id, date_from: daysAgo(30), date_to: today() });
        assert.ok(one.length > 0 && one.length < all.length);
        assert.ok(one.every((t) => t.account.id === card.id));
        assert.deepEqual(ids(one).sort(), ids(all.filter((t) => t.account.id === card.id)).sort());
        const bal = await post('balances', { link, account: card.id, date_from: daysAgo(2), date_to: today() });
        assert.equal(bal.length, 3);
        assert.ok(bal.every((b) => b.account.id === card.id));
      });

      it('save_data:false answers 200 and stores nothing', async () => {
        const fresh = await createLink(c, 'nosave_user');
        const accounts = await post('accounts', { link: fresh, save_data: false });
        assert.ok(accounts.length > 0);
        for (const a of accounts) assertSchema('Account', a);
        const txns = await post('transactions', { link: fresh, date_from: daysAgo(30), date_to: today(), save_data: false });
        assert.ok(txns.length > 0);
        const owners = await post('owners', { link: fresh, save_data: false });
        const balances = await post('balances', { link: fresh, date_from: daysAgo(3), date_to: today(), save_data: false });
        assert.ok(owners.length > 0 && balances.length > 0);
        for (const path of ['accounts', 'transactions', 'owners', 'balances']) {
          const res = await c.request('GET', `/api/${path}/?link=${fresh}`);
          assert.equal(res.body.count, 0, `${path}: nothing stored`);
        }
        assert.equal((await c.request('GET', `/api/accounts/${accounts[0].id}/`)).status, 404);

        // On a link with stored data: the answer carries the stored ids, and nothing is added.
        const before = await c.request('GET', `/api/transactions/?link=${link}&page_size=1`);
        const storedAccounts = await stored('accounts', `link=${link}`);
        const unsaved = await post('accounts', { link, save_data: false });
        assert.deepEqual(ids(unsaved).sort(), ids(storedAccounts).sort());
        // Up to yesterday: a transaction of today may have appeared since the last retrieval.
        const unsavedTxns = await post('transactions', { link, date_from: daysAgo(10), date_to: daysAgo(1), save_data: false });
        assert.ok(unsavedTxns.length > 0);
        const storedIds = new Set(ids(await stored('transactions', `link=${link}&value_date__gte=${daysAgo(10)}`)));
        assert.ok(unsavedTxns.every((t) => storedIds.has(t.id)), 'known transactions keep their ids');
        const after = await c.request('GET', `/api/transactions/?link=${link}&page_size=1`);
        assert.equal(after.body.count, before.body.count);
      });

      it('detail: 404 for unknown, non-uuid and another tenant ids', async () => {
        const other = await h().newClient();
        for (const path of ['accounts', 'transactions', 'owners', 'balances']) {
          const [one] = (await c.request('GET', `/api/${path}/?link=${link}&page_size=1`)).body.results;
          const ok = await c.request('GET', `/api/${path}/${one.id}/`);
          assert.equal(ok.status, 200);
          assert.deepEqual(ok.body, one);
          assertError(await c.request('GET', `/api/${path}/${NO_SUCH_ID}/`), 404, 'not_found');
          assertError(await c.request('GET', `/api/${path}/not-a-uuid/`), 404, 'not_found');
          assertError(await c.request('DELETE', `/api/${path}/not-a-uuid/`), 404, 'not_found');
          assertError(await other.request('GET', `/api/${path}/${one.id}/`), 404, 'not_found');
          assertError(await other.request('DELETE', `/api/${path}/${one.id}/`), 404, 'not_found');
          assert.equal((await c.request('GET', `/api/${path}/${one.id}/`)).status, 200, 'still there');
        }
      });

      it('DELETE answers 204 then 404; deleting an account takes its transactions and balances', async () => {
        const own = await createLink(c, 'delete_user');
        const accounts = await post('accounts', { link: own });
        const txns = await post('transactions', { link: own, date_from: daysAgo(60), date_to: today() });
        const balances = await post('balances', { link: own, date_from: daysAgo(3), date_to: today() });
        const [owner] = await post('owners', { link: own });
        for (const [path, id] of [
          ['transactions', txns[0].id],
          ['balances', balances[0].id],
          ['owners', owner.id],
        ] as const) {
          const del = await c.request('DELETE', `/api/${path}/${id}/`);
          assert.equal(del.status, 204);
          assert.equal(del.body, undefined);
          assertError(await c.request('GET', `/api/${path}/${id}/`), 404, 'not_found');
          assertError(await c.request('DELETE', `/api/${path}/${id}/`), 404, 'not_found');
        }
        const account = accounts.find((a) => txns.some((t) => t.account.id === a.id))!;
        const before = (await c.request('GET', `/api/transactions/?link=${own}`)).body.count;
        const ofAccount = txns.filter((t) => t.account.id === account.id && t.id !== txns[0].id).length;
        assert.equal((await c.request('DELETE', `/api/accounts/${account.id}/`)).status, 204);
        assertError(await c.request('GET', `/api/accounts/${account.id}/`), 404, 'not_found');
        assert.equal((await c.request('GET', `/api/transactions/?link=${own}&account=${account.id}`)).body.count, 0);
        assert.equal((await c.request('GET', `/api/balances/?link=${own}&account=${account.id}`)).body.count, 0);
        assert.equal((await c.request('GET', `/api/transactions/?link=${own}`)).body.count, before - ofAccount);
        // The link and its other data are untouched.
        assert.equal(await linkStatus(c, own), 'valid');
        assert.equal((await c.request('GET', `/api/accounts/?link=${own}`)).body.count, accounts.length - 1);
      });
    });

    describe('idempotency', () => {
      it('overlapping transaction windows: no duplicates, same ids, created_at kept', async () => {
        const own = await createLink(c, 'idem_user');
        const first = await post('transactions', { link: own, date_from: daysAgo(90), date_to: daysAgo(30) });
        assert.ok(first.length > 0);
        // Make the first retrieval visibly older, so a reset created_at would show.
        await sql`update transactions set created_at = '2020-01-15T10:00:00Z' where link_id = ${own}`.execute(h().vinculo.store.db);
        const second = await post('transactions', { link: own, date_from: daysAgo(60), date_to: today() });
        const firstByKey = new Map(first.map((t) => [t.internal_identification, t]));
        const overlap = second.filter((t) => firstByKey.has(t.internal_identification));
        assert.ok(overlap.length > 0, 'the windows overlap');
        for (const t of overlap) {
          assert.equal(t.id, firstByKey.get(t.internal_identification)!.id, 'same id');
          assert.equal(t.created_at, '2020-01-15T10:00:00.000Z', 'created_at unchanged');
        }
        for (const t of second.filter((x) => !firstByKey.has(x.internal_identification))) {
          assert.notEqual(t.created_at, '2020-01-15T10:00:00.000Z');
        }
        const all = await stored('transactions', `link=${own}`);
        const union = new Set([...first, ...second].map((t) => t.internal_identification));
        assert.equal(all.length, union.size, 'no duplicates');
        assert.equal(new Set(all.map((t) => t.internal_identification)).size, all.length);
        assert.equal(new Set(ids(all)).size, all.length);
        // The accounts were stored once too, whatever the number of retrievals.
        const plan = await post('accounts', { link: own, save_data: false });
        const accounts = await stored('accounts', `link=${own}`);
        assert.deepEqual(ids(accounts).sort(), ids(plan).sort());
        assert.ok(all.every((t) => accounts.some((a) => a.id === t.account.id)));
      });

      it('accounts, owners and balances retrieved twice keep their ids and created_at', async () => {
        const own = await createLink(c, 'idem_accounts');
        for (const [path, body] of [
          ['accounts', { link: own }],
          ['owners', { link: own }],
          ['balances', { link: own, date_from: daysAgo(4), date_to: today() }],
        ] as const) {
          const a = await post(path, body);
          const b = await post(path, body);
          assert.deepEqual(ids(b), ids(a), `${path}: same ids in the same order`);
          assert.deepEqual(
            b.map((x) => x.created_at),
            a.map((x) => x.created_at),
            `${path}: created_at kept`,
          );
          assert.equal((await c.request('GET', `/api/${path}/?link=${own}`)).body.count, a.length);
        }
      });
    });

    describe('list filters', () => {
      let secondLink: string;
      before(async () => {
        // A Brazilian link in the same tenant, so currency and institution filters have a choice.
        secondLink = await createLink(c, 'filters_br', { institution: 'erebor_br_retail' });
        await post('accounts', { link: secondLink });
        await post('transactions', { link: secondLink, date_from: daysAgo(30), date_to: today() });
      });

      /**
       * Lists `path` with `query` (plus `base`), checks each result satisfies `pred`, that the
       * count is exactly how many of the unfiltered list satisfy it, and (unless told otherwise)
       * that the filter changed the count.
       */
      // The unfiltered lists, fetched once per test (the data does not change within one).
      const unfilteredLists = new Map<string, Promise<Obj[]>>();
      beforeEach(() => unfilteredLists.clear());
      const unfilteredList = (path: string, base: string): Promise<Obj[]> => {
        const key = `${path}?${base}`;
        if (!unfilteredLists.has(key)) unfilteredLists.set(key, stored(path, base));
        return unfilteredLists.get(key)!;
      };

      async function check(path: string, base: string, query: string, pred: (o: Obj) => boolean, opts: { differs?: boolean } = {}) {
        const unfiltered = await unfilteredList(path, base);
        const got = await listAll(c, `/api/${path}/?${base}&${query}&page_size=1000`);
        for (const o of got.results) assert.ok(pred(o), `${path}?${query}: ${JSON.stringify(o).slice(0, 300)}`);
        const expected = unfiltered.filter(pred).length;
        assert.equal(got.count, expected, `${path}?${query}: count`);
        assert.equal(got.results.length, expected);
        assert.ok(expected > 0, `${path}?${query}: the data has matches`);
        if (opts.differs !== false) assert.notEqual(expected, unfiltered.length, `${path}?${query}: the filter selects`);
        return got.results;
      }

      it('transactions: link is required', async () => {
        assertError(await c.request('GET', '/api/transactions/'), 400, 'required', 'link');
        assertError(await c.request('GET', '/api/transactions/?link='), 400, 'required', 'link');
        assertError(await c.request('GET', '/api/transactions/?link=nope'), 400, 'invalid', 'link');
        const other = await c.request('GET', `/api/transactions/?link=${NO_SUCH_ID}`);
        assert.equal(other.body.count, 0);
      });

      it('transactions: account, amount, type, status, currency, account_type', async () => {
        const base = `link=${link}`;
        const accounts = await stored('accounts', base);
        const card = accounts.find((a) => a.category === 'CREDIT_CARD')!;
        const checking = accounts.find((a) => a.category === 'CHECKING_ACCOUNT')!;
        await check('transactions', base, `account=${card.id}`, (t) => t.account.id === card.id);
        await check('transactions', base, `account__in=${card.id},${checking.id}`, (t) => [card.id, checking.id].includes(t.account.id));
        await check('transactions', base, 'amount__gt=1000', (t) => t.amount > 1000);
        await check('transactions', base, 'amount__lt=100', (t) => t.amount < 100);
        await check('transactions', base, 'amount__gte=100&amount__lte=500', (t) => t.amount >= 100 && t.amount <= 500);
        await check('transactions', base, 'amount__range=100,500', (t) => t.amount >= 100 && t.amount <= 500);
        await check('transactions', base, 'type=INFLOW', (t) => t.type === 'INFLOW');
        await check('transactions', base, 'type__in=OUTFLOW', (t) => t.type === 'OUTFLOW');
        await check('transactions', base, 'status=PENDING', (t) => t.status === 'PENDING');
        await check('transactions', base, 'status__in=PROCESSED', (t) => t.status === 'PROCESSED');
        await check('transactions', base, 'status__in=PENDING,PROCESSED', (t) => ['PENDING', 'PROCESSED'].includes(t.status), { differs: false });
        await check('transactions', base, 'currency=MXN', (t) => t.currency === 'MXN', { differs: false });
        assert.equal((await c.request('GET', `/api/transactions/?${base}&currency=BRL`)).body.count, 0);
        await check('transactions', `link=${secondLink}`, 'currency=BRL', (t) => t.currency === 'BRL', { differs: false });
        await check('transactions', base, `account_type=${encodeURIComponent(card.type)}`, (t) => t.account.type === card.type);
        await check('transactions', base, 'account__balance__current__gt=100000', (t) => t.account.balance.current > 100000);
        const bill = (await stored('transactions', `${base}&account=${card.id}`)).find((t) => t.credit_card_data)!.credit_card_data.bill_name;
        await check('transactions', base, `credit_card_data__bill_name__in=${bill}`, (t) => t.credit_card_data?.bill_name === bill);
      });

      it('transactions: value_date and accounting_date (whole UTC days, or exact timestamps)', async () => {
        const base = `link=${link}`;
        const d30 = daysAgo(30);
        const d300 = daysAgo(300);
        await check('transactions', base, `value_date__gte=${d30}`, (t) => t.value_date >= d30);
        await check('transactions', base, `value_date__gt=${d30}`, (t) => t.value_date > d30);
        await check('transactions', base, `value_date__lte=${d300}`, (t) => t.value_date <= d300);
        await check('transactions', base, `value_date__lt=${d300}`, (t) => t.value_date < d300);
        await check('transactions', base, `value_date__range=${daysAgo(40)},${d30}`, (t) => t.value_date >= daysAgo(40) && t.value_date <= d30);
        const all = await unfilteredList('transactions', base);
        const day = all[Math.floor(all.length / 2)].value_date;
        await check('transactions', base, `value_date=${day}`, (t) => t.value_date === day);
        await check('transactions', base, `accounting_date=${day}`, (t) => t.accounting_date.startsWith(day));
        await check('transactions', base, `accounting_date__range=${daysAgo(40)},${d30}`, (t) => {
          const d = t.accounting_date.slice(0, 10);
          return d >= daysAgo(40) && d <= d30;
        });
        const instant = all[Math.floor(all.length / 2)].accounting_date as string;
        await check('transactions', base, `accounting_date__gte=${instant}`, (t) => Date.parse(t.accounting_date) >= Date.parse(instant));
        await check('transactions', base, `accounting_date__lt=${instant}`, (t) => Date.parse(t.accounting_date) < Date.parse(instant));
        await check('transactions', base, `accounting_date=${instant}`, (t) => Date.parse(t.accounting_date) === Date.parse(instant));
      });

      it('transactions: created_at', async () => {
        const base = `link=${link}`;
        const cut = daysAgo(200);
        // Pretend the older part of the history was stored long ago.
        await sql`update transactions set created_at = '2021-06-15T12:00:00Z' where link_id = ${link} and record_date < ${cut}`.execute(
          h().vinculo.store.db,
        );
        const old = (t: Obj) => t.created_at === '2021-06-15T12:00:00.000Z';
        await check('transactions', base, 'created_at=2021-06-15', old);
        await check('transactions', base, 'created_at__lt=2021-06-16', old);
        await check('transactions', base, 'created_at__lte=2021-06-15', old);
        await check('transactions', base, 'created_at__range=2021-01-01,2021-12-31', old);
        await check('transactions', base, 'created_at__gt=2021-06-15', (t) => !old(t));
        await check('transactions', base, 'created_at__gte=2021-06-15T12:00:01Z', (t) => !old(t));
        await check('transactions', base, `created_at__gte=${today()}`, (t) => t.created_at.startsWith(today()));
      });

      it('accounts: category, balance, name, currency, institution, link', async () => {
        await check('accounts', `link=${link}`, 'category=CREDIT_CARD', (a) => a.category === 'CREDIT_CARD');
        await check('accounts', `link=${link}`, 'category__in=SAVINGS_ACCOUNT,INVESTMENT_ACCOUNT', (a) =>
          ['SAVINGS_ACCOUNT', 'INVESTMENT_ACCOUNT'].includes(a.category),
        );
        await check('accounts', `link=${link}`, 'balance__current__gte=100000', (a) => a.balance.current >= 100000);
        await check('accounts', `link=${link}`, 'balance__available__lt=100000', (a) => a.balance.available < 100000);
        await check('accounts', `link=${link}`, 'balance__current__range=30000,400000', (a) => a.balance.current >= 30000 && a.balance.current <= 400000);
        await check('accounts', `link=${link}`, 'name__icontains=eREBOR', (a) => a.name.toLowerCase().includes('erebor'));
        // `%` and `_` are literals, not patterns: no account name has one.
        assert.equal((await c.request('GET', `/api/accounts/?link=${link}&name__icontains=%25`)).body.count, 0);
        assert.equal((await c.request('GET', `/api/accounts/?link=${link}&name__icontains=_`)).body.count, 0);
        // Tenant-wide (both links): currency and institution tell them apart.
        await check('accounts', 'page=1', 'currency=BRL', (a) => a.currency === 'BRL');
        await check('accounts', 'page=1', 'currency__in=BRL,COP', (a) => ['BRL', 'COP'].includes(a.currency));
        await check('accounts', 'page=1', 'institution=erebor_mx_retail', (a) => a.institution.name === 'erebor_mx_retail');
        await check('accounts', 'page=1', `institution__in=erebor_br_retail`, (a) => a.institution.name === 'erebor_br_retail');
        await check('accounts', 'page=1', `link=${secondLink}`, (a) => a.link === secondLink);
        await check('accounts', 'page=1', `link__in=${link},${secondLink}`, (a) => [link, secondLink].includes(a.link));
        const [one] = await stored('accounts', `link=${link}`);
        await check('accounts', 'page=1', `id=${one.id}`, (a) => a.id === one.id);
        await check('accounts', 'page=1', `number=${one.number}`, (a) => a.number === one.number);
      });

      it('balances: account, value_date, balance', async () => {
        const base = `link=${link}`;
        const accounts = await stored('accounts', base);
        const savings = accounts.find((a) => a.category === 'SAVINGS_ACCOUNT')!;
        await check('balances', base, `account=${savings.id}`, (b) => b.account.id === savings.id);
        const [from, to] = [daysAgo(10), daysAgo(5)];
        await check('balances', base, `value_date__range=${from},${to}`, (b) => b.value_date >= from && b.value_date <= to);
        await check('balances', base, `value_date=${to}`, (b) => b.value_date === to);
        await check('balances', base, 'balance__gt=100000', (b) => b.balance > 100000);
        await check('balances', base, 'balance__lte=50000', (b) => b.balance <= 50000);
        await check('balances', base, 'account__type=Inversiones', (b) => b.account.type === 'Inversiones');
        await check('balances', 'page=1', 'institution=erebor_mx_retail', (b) => b.account.institution.name === 'erebor_mx_retail', {
          differs: false,
        });
      });

      it('owners: display_name__icontains, email', async () => {
        const base = `link=${link}`;
        const owners = await stored('owners', base);
        assert.equal(owners.length, 2);
        const [a] = owners;
        const part = a.display_name.split(' ')[0].toUpperCase();
        await check('owners', base, `display_name__icontains=${encodeURIComponent(part)}`, (o) =>
          o.display_name.toUpperCase().includes(part),
        );
        await check('owners', base, `email=${encodeURIComponent(a.email)}`, (o) => o.email === a.email);
        await check('owners', 'page=1', `link=${link}`, (o) => o.link === link);
      });

      it('a malformed filter value is a 400 invalid naming the parameter; unknown parameters are ignored', async () => {
        const cases: [string, string][] = [
          ['transactions', `link=${link}&amount__gt=abc`],
          ['transactions', `link=${link}&value_date__gte=2024-13-01`],
          ['transactions', `link=${link}&value_date__range=2024-01-01`],
          ['transactions', `link=${link}&accounting_date__lt=yesterday`],
          ['transactions', `link=${link}&created_at=2025-02-30`],
          ['transactions', `link=${link}&status__in=PENDING,DONE`],
          ['transactions', `link=${link}&type=inflow`],
          ['transactions', `link=${link}&account=12345`],
          ['accounts', 'balance__current__gte=lots'],
          ['accounts', 'category=CHEQUES'],
          ['accounts', 'link=not-a-uuid'],
          ['balances', 'value_date__range=2024-01-01,2024-02-31'],
          ['balances', 'balance__gt=1,5'],
          ['owners', 'created_at__gte=2024-1-1'],
          ['owners', 'id=zzz'],
        ];
        for (const [path, query] of cases) {
          const param = query.split('&').at(-1)!.split('=')[0];
          assertError(await c.request('GET', `/api/${path}/?${query}`), 400, 'invalid', param);
        }
        // Several bad values at once: one item each.
        const many = await c.request('GET', `/api/transactions/?link=${link}&amount__gt=x&amount__lt=y`);
        assert.equal(many.status, 400);
        assert.deepEqual(many.body.map((e: Obj) => e.field).sort(), ['amount__gt', 'amount__lt']);
        const plain = await c.request('GET', `/api/accounts/?link=${link}`);
        const ignored = await c.request('GET', `/api/accounts/?link=${link}&colour=blue&amount__gt=abc&name__gt=x`);
        assert.equal(ignored.status, 200);
        assert.equal(ignored.body.count, plain.body.count);
      });
    });

    describe('pagination and field selection', () => {
      it('page_size, next and previous keep the filters; out-of-range pages are 404', async () => {
        const total = (await c.request('GET', `/api/transactions/?link=${link}&page_size=1`)).body.count;
        assert.ok(total > 1000);
        const first = await c.request('GET', `/api/transactions/?link=${link}&page_size=500`);
        assertSchema('TransactionsPaginatedResponse', first.body);
        assert.equal(first.body.count, total);
        assert.equal(first.body.results.length, 500);
        assert.equal(first.body.previous, null);
        const next = new URL(first.body.next);
        assert.equal(next.searchParams.get('link'), link);
        assert.equal(next.searchParams.get('page_size'), '500');
        assert.equal(next.searchParams.get('page'), '2');
        const second = await c.request('GET', next.pathname + next.search);
        assert.equal(second.body.results.length, 500);
        const prev = new URL(second.body.previous);
        assert.equal(prev.searchParams.get('page'), '1');
        assert.equal(prev.searchParams.get('link'), link);
        const seen = new Set([...ids(first.body.results), ...ids(second.body.results)]);
        assert.equal(seen.size, 1000, 'pages do not overlap');
        const lastPage = Math.ceil(total / 500);
        const last = await c.request('GET', `/api/transactions/?link=${link}&page_size=500&page=${lastPage}`);
        assert.equal(last.body.next, null);
        assert.equal(last.body.results.length, total - 500 * (lastPage - 1));
        assertError(await c.request('GET', `/api/transactions/?link=${link}&page_size=500&page=${lastPage + 1}`), 404, 'not_found');
        const clamped = await c.request('GET', `/api/transactions/?link=${link}&page_size=5000`);
        assert.equal(clamped.body.results.length, 1000);
        const walked = await listAll(c, `/api/transactions/?link=${link}&page_size=1000&type=OUTFLOW`);
        assert.equal(walked.results.length, walked.count);
        assert.ok(walked.results.every((t) => t.type === 'OUTFLOW'), 'next carries the filter');
        assert.equal(new Set(ids(walked.results)).size, walked.count);
        // Newest first.
        const dates = walked.results.map((t) => t.value_date);
        assert.deepEqual(dates, [...dates].sort().reverse());
        for (const [path, schema] of [
          ['accounts', 'AccountsPaginatedResponse'],
          ['owners', 'OwnersPaginatedResponse'],
          ['balances', 'BalancesPaginatedResponse'],
        ]) {
          assertSchema(schema, (await c.request('GET', `/api/${path}/?link=${link}&page_size=10`)).body);
        }
      });

      it('fields and omit on lists, details and POST answers', async () => {
        const list = await c.request('GET', `/api/transactions/?link=${link}&page_size=5&fields=id,amount,account`);
        for (const t of list.body.results) {
          assert.deepEqual(Object.keys(t).sort(), ['account', 'amount', 'id']);
          assert.ok(t.account.id && t.account.balance, 'nested objects are whole');
        }
        const omitted = await c.request('GET', `/api/transactions/?link=${link}&page_size=5&omit=account,merchant`);
        for (const t of omitted.body.results) assert.ok(!('account' in t) && !('merchant' in t) && 'amount' in t);
        const [acc] = (await c.request('GET', `/api/accounts/?link=${link}&page_size=1`)).body.results;
        const detail = await c.request('GET', `/api/accounts/${acc.id}/?fields=id,name`);
        assert.deepEqual(detail.body, { id: acc.id, name: acc.name });
        const posted = await c.request('POST', '/api/accounts/?fields=id,category', { link });
        assert.equal(posted.status, 201);
        for (const a of posted.body) assert.deepEqual(Object.keys(a).sort(), ['category', 'id']);
        const postedTx = await c.request('POST', '/api/transactions/?omit=account', { link, date_from: daysAgo(3), date_to: today() });
        assert.equal(postedTx.status, 201);
        for (const t of postedTx.body) assert.ok(!('account' in t) && 'value_date' in t);
        const unsaved = await c.request('POST', '/api/owners/?fields=display_name', { link, save_data: false });
        assert.equal(unsaved.status, 200);
        for (const o of unsaved.body) assert.deepEqual(Object.keys(o), ['display_name']);
      });
    });
  },
  { listen: true },
);
