import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { describeStores, type Client, type Harness } from '../../../test/helpers/harness.js';
import { DATA_TABLES, type DataTable } from '../../store/schema.js';

/**
 * Deleting a link takes all its data with it, in every link-data table, and nothing else; deleting
 * an account takes its transactions and balances. Checked with SQL on both stores.
 */

const TABLES: readonly DataTable[] = Object.values(DATA_TABLES);
type Table = DataTable;
type Counts = Record<Table, number>;

const BANK_TABLES: readonly Table[] = ['accounts', 'transactions', 'owners', 'balances'];
const FISCAL_TABLES: readonly Table[] = ['invoices', 'tax_returns', 'tax_statuses', 'tax_compliance_statuses'];
const EMPLOYMENT_TABLES: readonly Table[] = ['employment_records'];

const DAY_MS = 86_400_000;
const day = (offset = 0) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const lastYear = () => new Date(Date.now() + 14 * 3_600_000).getUTCFullYear() - 1;

async function createLink(c: Client, institution: string, username: string, password?: string): Promise<string> {
  const res = await c.request('POST', '/api/links/', { institution, username, ...(password === undefined ? {} : { password }) });
  assert.equal(res.status, 201, `register ${institution}/${username}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function retrieve(c: Client, path: string, body: Record<string, unknown>): Promise<any[]> {
  const res = await c.request('POST', `/api/${path}/`, body);
  assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
  return Array.isArray(res.body) ? res.body : [res.body];
}

/** Everything a bank link offers, stored. Returns one object id per resource. */
async function retrieveBank(c: Client, link: string): Promise<Record<string, string>> {
  const window = { date_from: day(-30), date_to: day(0) };
  const [account] = await retrieve(c, 'accounts', { link });
  const [owner] = await retrieve(c, 'owners', { link });
  const [transaction] = await retrieve(c, 'transactions', { link, ...window });
  const [balance] = await retrieve(c, 'balances', { link, ...window });
  return { accounts: account.id, owners: owner.id, transactions: transaction.id, balances: balance.id };
}

async function retrieveFiscal(c: Client, link: string): Promise<Record<string, string>> {
  const window = { date_from: day(-60), date_to: day(0) };
  const [invoice] = await retrieve(c, 'invoices', { link, ...window, type: 'INFLOW' });
  await retrieve(c, 'invoices', { link, ...window, type: 'OUTFLOW' });
  const [taxReturn] = await retrieve(c, 'tax-returns', { link, year_from: lastYear() - 2, year_to: lastYear() - 1 });
  await retrieve(c, 'tax-returns', { link, type: 'monthly', date_from: day(-100), date_to: day(0) });
  const [status] = await retrieve(c, 'tax-status', { link });
  const [compliance] = await retrieve(c, 'tax-compliance-status', { link });
  return { invoices: invoice.id, 'tax-returns': taxReturn.id, 'tax-status': status.id, 'tax-compliance-status': compliance.id };
}

async function retrieveEmployment(c: Client, link: string): Promise<Record<string, string>> {
  const [record] = await retrieve(c, 'employment-records', { link });
  return { 'employment-records': record.id };
}

/** Rows per data table for each of these links, counted in SQL. */
async function counts(h: Harness, links: readonly string[]): Promise<Map<string, Counts>> {
  const db = h.vinculo.store.db;
  const out = new Map<string, Counts>();
  for (const link of links) out.set(link, Object.fromEntries(TABLES.map((t) => [t, 0])) as Counts);
  for (const table of TABLES) {
    const r = await sql<{ link_id: string; n: string | number }>`
      select link_id, count(*) as n from ${sql.table(table)}
      where link_id in (${sql.join(links)}) group by link_id`.execute(db);
    for (const row of r.rows) out.get(row.link_id)![table] = Number(row.n);
  }
  return out;
}

/** Rows of a data table grouped by account (transactions, balances). */
async function byAccount(h: Harness, table: 'transactions' | 'balances', link: string): Promise<Map<string, number>> {
  const r = await sql<{ account_id: string; n: string | number }>`
    select account_id, count(*) as n from ${sql.table(table)} where link_id = ${link} group by account_id`.execute(h.vinculo.store.db);
  return new Map(r.rows.map((row) => [row.account_id, Number(row.n)]));
}

describeStores('link data: deleting a link or an account cascades', (h) => {
  it('DELETE /api/links/{id}/ empties every data table of that link (bank, fiscal, employment), nothing else', async () => {
    const c = await h().newClient();
    const stranger = await h().newClient();
    const bank = await createLink(c, 'erebor_mx_retail', 'bnk100', 'full');
    const bank2 = await createLink(c, 'erebor_mx_retail', 'user_valid', 'pass_valid');
    const fiscal = await createLink(c, 'tatooine_mx_fiscal', 'MAOL850312AB1', 'ciec');
    const fiscal2 = await createLink(c, 'tatooine_mx_fiscal', 'GAPM900215QR7', 'ciec');
    const employment = await createLink(c, 'imss_mx_employment', 'GOMC800101HDFRRR09');
    const employment2 = await createLink(c, 'imss_mx_employment', 'LOPE850505MDFPRR03');
    const strangers = await createLink(stranger, 'tatooine_mx_fiscal', 'MAOL850312AB1', 'ciec');

    const objects: Record<string, Record<string, string>> = {
      [bank]: await retrieveBank(c, bank),
      [fiscal]: await retrieveFiscal(c, fiscal),
      [employment]: await retrieveEmployment(c, employment),
    };
    await retrieveBank(c, bank2);
    await retrieveFiscal(c, fiscal2);
    await retrieveEmployment(c, employment2);
    await retrieveFiscal(stranger, strangers);

    const all = [bank, bank2, fiscal, fiscal2, employment, employment2, strangers];
    let before = await counts(h(), all);
    const kinds: [string, readonly Table[]][] = [
      [bank, BANK_TABLES],
      [bank2, BANK_TABLES],
      [fiscal, FISCAL_TABLES],
      [fiscal2, FISCAL_TABLES],
      [employment, EMPLOYMENT_TABLES],
      [employment2, EMPLOYMENT_TABLES],
      [strangers, FISCAL_TABLES],
    ];
    for (const [link, tables] of kinds) {
      for (const t of TABLES) {
        const n = before.get(link)![t];
        if (tables.includes(t)) assert.ok(n > 0, `${link}: ${t} has rows`);
        else assert.equal(n, 0, `${link}: ${t} has none`);
      }
    }

    for (const deleted of [bank, fiscal, employment]) {
      const res = await c.request('DELETE', `/api/links/${deleted}/`);
      assert.equal(res.status, 204);
      assert.equal(res.body, undefined);
      const after = await counts(h(), all);
      for (const t of TABLES) assert.equal(after.get(deleted)![t], 0, `${t} keeps no row of the deleted link`);
      for (const link of all.filter((l) => l !== deleted)) {
        assert.deepEqual(after.get(link), before.get(link), `${link} is untouched`);
      }
      // Over the API too: the link and its objects are gone.
      assert.equal((await c.request('GET', `/api/links/${deleted}/`)).status, 404);
      for (const [path, id] of Object.entries(objects[deleted])) {
        assert.equal((await c.request('GET', `/api/${path}/${id}/`)).status, 404, `${path} ${id}`);
        assert.equal((await c.request('GET', `/api/${path}/?link=${deleted}`)).body.count, 0, path);
      }
      assert.equal((await c.request('DELETE', `/api/links/${deleted}/`)).status, 404);
      before = after;
    }

    // Nothing anywhere refers to the deleted links any more.
    const deleted = [bank, fiscal, employment];
    const db = h().vinculo.store.db;
    const left = await sql<{ n: string | number }>`
      select (select count(*) from links where id in (${sql.join(deleted)}))
           + (select count(*) from link_credentials where link_id in (${sql.join(deleted)})) as n`.execute(db);
    assert.equal(Number(left.rows[0].n), 0);
    // The survivors still answer.
    assert.ok((await c.request('GET', `/api/transactions/?link=${bank2}`)).body.count > 0);
    assert.ok((await c.request('GET', `/api/invoices/?link=${fiscal2}`)).body.count > 0);
    assert.equal((await c.request('GET', '/api/employment-records/')).body.count, 1);
    assert.ok((await stranger.request('GET', '/api/invoices/')).body.count > 0);
  });

  it('a link deleted while an async transactions retrieval runs keeps no rows once the retrieval ends', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'erebor_mx_retail', 'bnk100', 'full');
    const accepted = await c.request(
      'POST',
      '/api/transactions/',
      { link, date_from: day(-60), date_to: day(0) },
      { 'X-Belvo-Request-Mode': 'async' },
    );
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal((await c.request('DELETE', `/api/links/${link}/`)).status, 204);
    await h().vinculo.services.queue.runQueued('link-retrieve');
    const after = (await counts(h(), [link])).get(link)!;
    for (const t of TABLES) assert.equal(after[t], 0, `${t} keeps no row of the deleted link`);
    assert.equal((await c.request('GET', `/api/transactions/?link=${link}`)).body.count, 0);
  });

  it('DELETE /api/accounts/{id}/ takes that account\'s transactions and balances, not other accounts\'', async () => {
    const c = await h().newClient();
    const link = await createLink(c, 'erebor_mx_retail', 'bnk100', 'full');
    const other = await createLink(c, 'erebor_mx_retail', 'user_valid', 'pass_valid');
    const accounts = await retrieve(c, 'accounts', { link });
    const transactions = await retrieve(c, 'transactions', { link, date_from: day(-60), date_to: day(0) });
    await retrieve(c, 'balances', { link, date_from: day(-60), date_to: day(0) });
    await retrieveBank(c, other);
    assert.ok(accounts.length >= 2);

    const txBefore = await byAccount(h(), 'transactions', link);
    const balBefore = await byAccount(h(), 'balances', link);
    const both = accounts.filter((a) => (txBefore.get(a.id) ?? 0) > 0 && (balBefore.get(a.id) ?? 0) > 0);
    assert.ok(both.length >= 2, 'two accounts with transactions and balances');
    const [victim] = both;
    const otherBefore = await counts(h(), [other]);
    const ownersBefore = (await counts(h(), [link])).get(link)!.owners;

    const stranger = await h().newClient();
    assert.equal((await stranger.request('DELETE', `/api/accounts/${victim.id}/`)).status, 404, 'another tenant cannot');
    assert.equal((await stranger.request('DELETE', `/api/links/${link}/`)).status, 404, 'another tenant cannot');
    assert.deepEqual(await byAccount(h(), 'transactions', link), txBefore);

    const res = await c.request('DELETE', `/api/accounts/${victim.id}/`);
    assert.equal(res.status, 204);
    assert.equal(res.body, undefined);

    const db = h().vinculo.store.db;
    const gone = await sql<{ a: string | number; t: string | number; b: string | number }>`
      select (select count(*) from accounts where id = ${victim.id}) as a,
             (select count(*) from transactions where account_id = ${victim.id}) as t,
             (select count(*) from balances where account_id = ${victim.id}) as b`.execute(db);
    assert.deepEqual(
      [Number(gone.rows[0].a), Number(gone.rows[0].t), Number(gone.rows[0].b)],
      [0, 0, 0],
      'the account, its transactions and its balances',
    );
    const txAfter = await byAccount(h(), 'transactions', link);
    const balAfter = await byAccount(h(), 'balances', link);
    txBefore.delete(victim.id);
    balBefore.delete(victim.id);
    assert.deepEqual(txAfter, txBefore, 'other accounts keep their transactions');
    assert.deepEqual(balAfter, balBefore, 'other accounts keep their balances');
    assert.equal((await counts(h(), [link])).get(link)!.owners, ownersBefore, 'owners are the link\'s, not the account\'s');
    assert.deepEqual(await counts(h(), [other]), otherBefore, 'another link is untouched');

    // Over the API.
    assert.equal((await c.request('GET', `/api/accounts/${victim.id}/`)).status, 404);
    assert.equal((await c.request('DELETE', `/api/accounts/${victim.id}/`)).status, 404);
    assert.equal((await c.request('GET', `/api/transactions/?link=${link}&account=${victim.id}`)).body.count, 0);
    assert.equal((await c.request('GET', `/api/balances/?account=${victim.id}`)).body.count, 0);
    const victimTx = transactions.find((t) => t.account.id === victim.id);
    assert.equal((await c.request('GET', `/api/transactions/${victimTx.id}/`)).status, 404);
    const survivor = both[1];
    assert.equal((await c.request('GET', `/api/accounts/${survivor.id}/`)).status, 200);
    assert.equal(
      (await c.request('GET', `/api/transactions/?link=${link}&account=${survivor.id}`)).body.count,
      txAfter.get(survivor.id),
    );

    // Deleting one transaction leaves its account and the rest.
    const survivorTx = transactions.find((t) => t.account.id === survivor.id);
    assert.equal((await c.request('DELETE', `/api/transactions/${survivorTx.id}/`)).status, 204);
    assert.equal((await byAccount(h(), 'transactions', link)).get(survivor.id), txAfter.get(survivor.id)! - 1);
    assert.equal((await c.request('GET', `/api/accounts/${survivor.id}/`)).status, 200);
  });
});
