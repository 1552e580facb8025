import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sdkFor } from '../../../test/helpers/sdk.js';
import { sql } from 'kysely';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { describeStores, type Client, type Harness, type Response } from '../../../test/helpers/harness.js';
import { pdfProblems, xmlProblems } from '../../connectors/sandbox/data/testing.js';

/**
 * Fiscal (tatooine_mx_fiscal: invoices, tax returns, tax status, tax compliance status) and
 * employment (imss_mx_employment: employment records) link data over HTTP: the official SDK,
 * raw requests against the spec's schemas, the request rules, the list filters and upserts.
 */

// The official SDK, pointed at Vinculo by base URL only.

const FISCAL = 'tatooine_mx_fiscal';
const IMSS = 'imss_mx_employment';
/** A 13-character RFC is a person (persona física), a 12-character one a company (persona moral). */
const PERSON = 'MAOL850312AB1';
const PERSON_2 = 'GAPM900215QR7';
const COMPANY = 'ABC120315XY9';
const CURP = 'GOMC800101HDFRRR09';
const CURP_2 = 'LOPE850505MDFPRR03';

const DAY_MS = 86_400_000;
/** The UTC day `offset` days from today (negative: before). */
const day = (offset = 0) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
/** The server's "this year": its today is the latest calendar day begun anywhere (UTC+14). */
const serverYear = () => new Date(Date.now() + 14 * 3_600_000).getUTCFullYear();

const TAX_RETURN_BRANCHES = ['TaxReturnPersonal', 'TaxReturnPersonalMonthly', 'TaxReturnBusiness', 'TaxReturnBusinessMonthly'] as const;
const INVOICE_BRANCHES = ['InvoiceWithIdSat', 'InvoiceDian'] as const;

async function createLink(c: Client, institution: string, username: string, password?: string): Promise<string> {
  const res = await c.request('POST', '/api/links/', { institution, username, ...(password === undefined ? {} : { password }) });
  assert.equal(res.status, 201, `register ${institution}/${username}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}
const fiscalLink = (c: Client, rfc: string) => createLink(c, FISCAL, rfc, 'ciec');
const imssLink = (c: Client, curp: string) => createLink(c, IMSS, curp);

/** Rows of a data table that belong to a link, counted in SQL. */
async function stored(h: Harness, table: string, linkId: string): Promise<number> {
  const r = await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)} where link_id = ${linkId}`.execute(
    h.vinculo.store.db,
  );
  return Number(r.rows[0].n);
}

/** The spec schemas (of a oneOf) that `value` validates against. */
function matching(branches: readonly string[], value: unknown): string[] {
  return branches.filter((name) => {
    try {
      assertSchema(name, value);
      return true;
    } catch {
      return false;
    }
  });
}

/** Validates against `branch` and checks it is the one branch of the spec's oneOf that matches. */
function assertOneOf(branches: readonly string[], branch: string, value: unknown): void {
  assertSchema(branch, value);
  assert.deepEqual(matching(branches, value), [branch], 'exactly one oneOf branch matches');
}

function assertXml(xml: unknown): void {
  assert.equal(typeof xml, 'string', 'xml is a string');
  const text = xml as string;
  assert.ok(text.startsWith('<?xml'), text.slice(0, 60));
  assert.ok(text.includes('<cfdi:Comprobante '), 'a CFDI');
  assert.deepEqual(xmlProblems(text), [], 'well-formed');
}

function assertPdf(base64: unknown): void {
  assert.equal(typeof base64, 'string', 'the PDF is a base64 string');
  assert.match(base64 as string, /^[A-Za-z0-9+/]+=*$/);
  const bytes = Buffer.from(base64 as string, 'base64');
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(bytes.toString('latin1').trimEnd().endsWith('%%EOF'), 'ends with %%EOF');
  assert.deepEqual(pdfProblems(bytes), []);
}

/** Belvo's error array: the status and an item with this code (and field). */
function assertError(res: Response, status: number, code: string, field?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(Array.isArray(res.body), JSON.stringify(res.body));
  const hit = res.body.find((e: any) => e.code === code && (field === undefined || e.field === field));
  assert.ok(hit, `expected ${code}${field ? ` on ${field}` : ''}: ${JSON.stringify(res.body)}`);
  assert.match(hit.request_id, /^[a-f0-9]{32}$/);
}

/** One list page with everything (all tests stay under 1000 rows). */
async function list(c: Client, path: string, query = ''): Promise<{ count: number; results: any[] }> {
  const res = await c.request('GET', `/api/${path}/?page_size=1000${query ? `&${query}` : ''}`);
  assert.equal(res.status, 200, `${path}?${query}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.results.length, res.body.count, 'one page holds everything');
  return res.body;
}

const year = (r: any): number => r.informacion_general.ejercicio;
const ids = (rows: any[]) => rows.map((r) => r.id).sort();

describeStores(
  'link data: fiscal and employment resources',
  (h) => {
    const sdk = (c: Client) => sdkFor(h(), c);

    // ---- the official SDK ------------------------------------------------------------------

    it('SDK: invoices.retrieve with attachXML, then list, detail and delete', async () => {
      const c = await h().newClient();
      const client = await sdk(c);
      const link = await fiscalLink(c, PERSON);
      const invoices = await client.invoices.retrieve(link, day(-60), day(0), 'INFLOW', { attachXML: true });
      assert.ok(Array.isArray(invoices) && invoices.length > 0, 'a plain array');
      for (const inv of invoices) {
        assertOneOf(INVOICE_BRANCHES, 'InvoiceWithIdSat', inv);
        assert.equal(inv.link, link);
        assert.equal(inv.type, 'INFLOW');
        assert.equal(inv.receiver_id, PERSON, 'received invoices are addressed to the taxpayer');
        assert.ok(inv.invoice_date >= day(-60) && inv.invoice_date <= day(0));
        assertXml(inv.xml);
      }
      const listed = await client.invoices.list({ filters: { link, page_size: 10 } });
      assert.deepEqual(ids(listed), ids(invoices), 'list follows next across pages');
      const one = await client.invoices.detail(invoices[0].id);
      assert.deepEqual(one, invoices[0]);
      assert.equal(await client.invoices.delete(invoices[0].id), true);
      assert.equal(await client.invoices.delete(invoices[0].id), false, 'already gone');
      await assert.rejects(() => client.invoices.detail(invoices[0].id), (e: any) => e.statusCode === 404);
      assert.equal((await client.invoices.list({ filters: { link } })).length, invoices.length - 1);
    });

    it('SDK: taxReturns.retrieve yearly by default, monthly with type, list, detail, delete', async () => {
      const c = await h().newClient();
      const client = await sdk(c);
      const link = await fiscalLink(c, PERSON);
      const yearly = await client.taxReturns.retrieve(link, '2023', '2025');
      assert.deepEqual(yearly.map(year).sort(), [2023, 2024, 2025]);
      for (const r of yearly) {
        assertOneOf(TAX_RETURN_BRANCHES, 'TaxReturnPersonal', r);
        assert.equal(r.type, 'yearly');
        assert.equal(r.link, link);
        assert.equal(r.pdf, null, 'no PDF unless asked');
      }
      const monthly = await client.taxReturns.retrieve(link, day(-120), day(0), { type: 'monthly', attachPDF: true });
      assert.ok(monthly.length >= 2, `monthly returns: ${monthly.length}`);
      for (const r of monthly) {
        assertOneOf(TAX_RETURN_BRANCHES, 'TaxReturnPersonalMonthly', r);
        assert.equal(r.type, 'monthly');
        assertPdf(r.pdf);
      }
      const listed = await client.taxReturns.list({ filters: { link } });
      assert.deepEqual(ids(listed), ids([...yearly, ...monthly]));
      assert.deepEqual(await client.taxReturns.detail(monthly[0].id), monthly[0]);
      assert.equal(await client.taxReturns.delete(yearly[0].id), true);
      assert.equal(await client.taxReturns.delete(yearly[0].id), false);
      assert.equal((await client.taxReturns.list({ filters: { link } })).length, listed.length - 1);
    });

    it('SDK: taxStatus.retrieve with attachPDF and taxComplianceStatus.retrieve answer one object', async () => {
      const c = await h().newClient();
      const client = await sdk(c);
      const link = await fiscalLink(c, COMPANY);
      const status = await client.taxStatus.retrieve(link, { attachPDF: true });
      assert.ok(!Array.isArray(status), 'one object');
      assertSchema('TaxStatusSat', status);
      assert.equal(status.link, link);
      assert.equal(status.tax_payer_information.rfc, COMPANY);
      assertPdf(status.pdf);
      const compliance = await client.taxComplianceStatus.retrieve(link);
      assert.ok(!Array.isArray(compliance), 'one object');
      assertSchema('TaxComplianceStatus', compliance);
      assert.equal(compliance.rfc, COMPANY);
      assert.equal(compliance.pdf, null);

      assert.deepEqual(ids(await client.taxStatus.list({ filters: { link } })), [status.id]);
      assert.deepEqual(ids(await client.taxComplianceStatus.list({ filters: { link } })), [compliance.id]);
      assert.deepEqual(await client.taxStatus.detail(status.id), status);
      assert.deepEqual(await client.taxComplianceStatus.detail(compliance.id), compliance);
      assert.equal(await client.taxStatus.delete(status.id), true);
      assert.equal(await client.taxComplianceStatus.delete(compliance.id), true);
      assert.equal(await client.taxStatus.delete(status.id), false);
      assert.deepEqual(await client.taxStatus.list({ filters: { link } }), []);
      assert.deepEqual(await client.taxComplianceStatus.list({ filters: { link } }), []);
    });

    it('SDK: employmentRecords.retrieve (password-less IMSS link), list, detail, delete', async () => {
      const c = await h().newClient();
      const client = await sdk(c);
      const registered = await client.links.register(IMSS, CURP, undefined);
      assert.equal(registered.status, 'valid');
      const records = await client.employmentRecords.retrieve(registered.id, { attachPDF: true });
      assert.equal(records.length, 1);
      const [record] = records;
      assertSchema('EmploymentRecord', record);
      assert.equal(record.link, registered.id);
      assert.equal(record.internal_identification, CURP);
      assert.ok(record.personal_data.document_ids.some((d: any) => d.document_type === 'CURP' && d.document_number === CURP));
      assert.equal(record.files.length, 1);
      assertPdf(record.files[0].value);
      assert.deepEqual(ids(await client.employmentRecords.list({ filters: { link: registered.id } })), [record.id]);
      assert.deepEqual(await client.employmentRecords.detail(record.id), record);
      assert.equal(await client.employmentRecords.delete(record.id), true);
      assert.equal(await client.employmentRecords.delete(record.id), false);
      await assert.rejects(() => client.employmentRecords.detail(record.id), (e: any) => e.statusCode === 404);
    });

    // ---- raw HTTP: answers, schemas, attachments, save_data --------------------------------

    it('invoices: 201 array stored, 200 with save_data:false storing nothing, XML only when asked', async () => {
      const c = await h().newClient();
      const saved = await fiscalLink(c, PERSON);
      const body = { link: saved, date_from: day(-90), date_to: day(0), type: 'OUTFLOW' };
      const res = await c.request('POST', '/api/invoices/', body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.ok(Array.isArray(res.body) && res.body.length > 0, 'a plain array, not a page');
      for (const inv of res.body) {
        assertOneOf(INVOICE_BRANCHES, 'InvoiceWithIdSat', inv);
        assert.equal(inv.type, 'OUTFLOW');
        assert.equal(inv.sender_id, PERSON, 'issued invoices come from the taxpayer');
        assert.equal(inv.xml, null, 'no XML unless attach_xml');
      }
      assert.equal(new Set(res.body.map((i: any) => i.id)).size, res.body.length);
      assert.equal(await stored(h(), 'invoices', saved), res.body.length);
      assert.equal((await list(c, 'invoices', `link=${saved}`)).count, res.body.length);

      // save_data:false on a link that already has them: 200, the stored ids, nothing new stored.
      const again = await c.request('POST', '/api/invoices/', { ...body, save_data: false, attach_xml: true });
      assert.equal(again.status, 200);
      assert.deepEqual(ids(again.body), ids(res.body));
      for (const inv of again.body) assertXml(inv.xml);
      assert.equal(await stored(h(), 'invoices', saved), res.body.length);
      assert.equal((await list(c, 'invoices', `link=${saved}`)).results.every((i: any) => i.xml === null), true, 'the unsaved XML was not stored');

      const unsaved = await fiscalLink(c, PERSON_2);
      const dry = await c.request('POST', '/api/invoices/', { link: unsaved, date_from: day(-90), date_to: day(0), type: 'INFLOW', attach_xml: true, save_data: false });
      assert.equal(dry.status, 200);
      assert.ok(dry.body.length > 0);
      for (const inv of dry.body) {
        assertSchema('InvoiceWithIdSat', inv);
        assertXml(inv.xml);
      }
      assert.equal(await stored(h(), 'invoices', unsaved), 0, 'nothing stored');
      assert.equal((await list(c, 'invoices', `link=${unsaved}`)).count, 0);
      assert.equal((await c.request('GET', `/api/invoices/${dry.body[0].id}/`)).status, 404);
    });

    it('tax returns: yearly and monthly, personal and business, each its own spec branch, PDFs only when asked', async () => {
      const c = await h().newClient();
      const person = await fiscalLink(c, PERSON);
      const company = await fiscalLink(c, COMPANY);
      const last = serverYear() - 1;
      const cases = [
        { link: person, body: { year_from: last - 2, year_to: last - 1 }, branch: 'TaxReturnPersonal' },
        { link: person, body: { type: 'monthly', date_from: day(-100), date_to: day(0) }, branch: 'TaxReturnPersonalMonthly' },
        { link: company, body: { type: 'yearly', year_from: String(last - 2), year_to: String(last - 1) }, branch: 'TaxReturnBusiness' },
        { link: company, body: { type: 'monthly', date_from: day(-100), date_to: day(0) }, branch: 'TaxReturnBusinessMonthly' },
      ];
      for (const { link, body, branch } of cases) {
        for (const attach of [false, true]) {
          const res = await c.request('POST', '/api/tax-returns/', { link, ...body, attach_pdf: attach, save_data: attach });
          assert.equal(res.status, attach ? 201 : 200, JSON.stringify(res.body));
          assert.ok(Array.isArray(res.body) && res.body.length >= 2, `${branch}: ${res.body.length}`);
          for (const r of res.body) {
            assertOneOf(TAX_RETURN_BRANCHES, branch, r);
            assert.equal(r.link, link);
            assert.equal(r.type, branch.endsWith('Monthly') ? 'monthly' : 'yearly');
            assert.equal(r.informacion_general.rfc, link === person ? PERSON : COMPANY);
            if (attach) {
              assertPdf(r.pdf);
              assertPdf(r.receipt_pdf);
            } else {
              assert.equal(r.pdf, null);
              assert.equal(r.receipt_pdf, null);
            }
          }
          if (!branch.endsWith('Monthly')) assert.deepEqual(res.body.map(year).sort(), [last - 2, last - 1]);
        }
      }
      // Only the attach_pdf (saved) answers were stored: 2 yearly + the monthly ones per link.
      const rows = await list(c, 'tax-returns', `link=${person}`);
      assert.equal(rows.count, await stored(h(), 'tax_returns', person));
      assert.ok(rows.results.every((r: any) => typeof r.pdf === 'string'));
    });

    it('tax-status and tax-compliance-status: one object, as the spec says', async () => {
      const c = await h().newClient();
      const link = await fiscalLink(c, PERSON);
      const status = await c.request('POST', '/api/tax-status/', { link, attach_pdf: true });
      assert.equal(status.status, 201, JSON.stringify(status.body));
      assert.ok(!Array.isArray(status.body) && typeof status.body === 'object', 'one object, not an array');
      assertSchema('TaxStatusSat', status.body);
      assert.equal(status.body.link, link);
      assert.equal(status.body.tax_payer_information.rfc, PERSON);
      assertPdf(status.body.pdf);

      const compliance = await c.request('POST', '/api/tax-compliance-status/', { link, attach_pdf: true });
      assert.equal(compliance.status, 201, JSON.stringify(compliance.body));
      assert.ok(!Array.isArray(compliance.body) && typeof compliance.body === 'object', 'one object, not an array');
      assertSchema('TaxComplianceStatus', compliance.body);
      assert.equal(compliance.body.rfc, PERSON);
      assert.ok(['POSITIVE', 'NEGATIVE', 'NO_OBLIGATIONS'].includes(compliance.body.outcome));
      assertPdf(compliance.body.pdf);

      // Again, without attach_pdf and without saving: 200, the same stored object (same id), no PDF.
      for (const [path, first, table] of [
        ['tax-status', status.body, 'tax_statuses'],
        ['tax-compliance-status', compliance.body, 'tax_compliance_statuses'],
      ] as const) {
        const dry = await c.request('POST', `/api/${path}/`, { link, save_data: false });
        assert.equal(dry.status, 200);
        assert.ok(!Array.isArray(dry.body));
        assert.equal(dry.body.id, first.id, 'the stored object keeps its id');
        assert.equal(dry.body.pdf, null);
        assert.equal(await stored(h(), table, link), 1);
        const saved = await c.request('POST', `/api/${path}/`, { link });
        assert.equal(saved.status, 201);
        assert.equal(saved.body.id, first.id, 'retrieved again: updated in place');
        assert.equal(saved.body.created_at, first.created_at);
        assert.equal(saved.body.pdf, null);
        assert.equal(await stored(h(), table, link), 1);
      }

      const fresh = await fiscalLink(c, COMPANY);
      for (const [path, table] of [
        ['tax-status', 'tax_statuses'],
        ['tax-compliance-status', 'tax_compliance_statuses'],
      ] as const) {
        const dry = await c.request('POST', `/api/${path}/`, { link: fresh, save_data: false });
        assert.equal(dry.status, 200);
        assert.ok(!Array.isArray(dry.body));
        assertSchema(path === 'tax-status' ? 'TaxStatusSat' : 'TaxComplianceStatus', dry.body);
        assert.equal(await stored(h(), table, fresh), 0, 'nothing stored');
        assert.equal((await c.request('GET', `/api/${path}/${dry.body.id}/`)).status, 404);
      }
      // The spec's TaxStatusPaginatedResponse is a oneOf of TaxStatusSat and TaxStatusDian, whose
      // schemas are the same (same required fields, no discriminator): no object can match exactly
      // one, so the items are checked against the SAT branch instead.
      const page = await c.request('GET', `/api/tax-status/?link=${link}`);
      assert.deepEqual(Object.keys(page.body).sort(), ['count', 'next', 'previous', 'results']);
      assert.equal(page.body.count, 1);
      for (const item of page.body.results) assertSchema('TaxStatusSat', item);
      const compliancePage = await c.request('GET', `/api/tax-compliance-status/?link=${link}`);
      assertSchema('TaxComplianceStatusPaginatedResponse', compliancePage.body);
    });

    it('employment records: 201 array with the IMSS report PDF when asked, 200 with save_data:false', async () => {
      const c = await h().newClient();
      const link = await imssLink(c, CURP);
      const res = await c.request('POST', '/api/employment-records/', { link, attach_pdf: true });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.ok(Array.isArray(res.body) && res.body.length === 1, 'a plain array');
      const [record] = res.body;
      assertSchema('EmploymentRecord', record);
      assert.equal(record.link, link);
      assert.equal(record.report_date, record.collected_at.slice(0, 10));
      assert.ok(record.employment_records.length > 0);
      assert.match(record.files[0].type, /^ReporteSemanasCotizadas_\d{6}$/);
      assertPdf(record.files[0].value);
      assert.equal(await stored(h(), 'employment_records', link), 1);
      const page = await c.request('GET', `/api/employment-records/?link=${link}`);
      assertSchema('EmploymentRecordsPaginatedResponse', page.body);
      assert.equal(page.body.count, 1);

      const dry = await c.request('POST', '/api/employment-records/', { link, save_data: false });
      assert.equal(dry.status, 200);
      assert.equal(dry.body[0].id, record.id, 'the stored record keeps its id');
      assert.deepEqual(dry.body[0].files, [], 'no files unless attach_pdf');

      const other = await imssLink(c, CURP_2);
      const unsaved = await c.request('POST', '/api/employment-records/', { link: other, save_data: false });
      assert.equal(unsaved.status, 200);
      assertSchema('EmploymentRecord', unsaved.body[0]);
      assert.equal(await stored(h(), 'employment_records', other), 0, 'nothing stored');
    });

    // ---- request rules -----------------------------------------------------------------------

    it('invoices: the date window and type rules', async () => {
      const c = await h().newClient();
      const link = await fiscalLink(c, PERSON);
      const post = (body: Record<string, unknown>) => c.request('POST', '/api/invoices/', { link, type: 'INFLOW', ...body });
      assertError(await post({ date_from: day(-366), date_to: day(0) }), 400, 'invalid', 'date_to');
      assertError(await post({ date_from: day(-10), date_to: day(-20) }), 400, 'invalid', 'date_from');
      assertError(await post({ date_from: day(-10), date_to: day(3) }), 400, 'invalid', 'date_to');
      assertError(await post({ date_from: '2025-02-30', date_to: day(0) }), 400, 'invalid', 'date_from');
      assertError(await post({ date_from: '01/02/2025', date_to: day(0) }), 400, 'invalid', 'date_from');
      assertError(await post({ date_to: day(0) }), 400, 'required', 'date_from');
      assertError(await c.request('POST', '/api/invoices/', { link, date_from: day(-10), date_to: day(0) }), 400, 'required', 'type');
      assertError(await post({ date_from: day(-10), date_to: day(0), type: 'SIDEWAYS' }), 400, 'invalid', 'type');
      assertError(await post({ date_from: day(-10), date_to: day(0), type: 'inflow' }), 400, 'invalid', 'type');
      assert.equal(await stored(h(), 'invoices', link), 0, 'refused requests store nothing');
      // 365 days is the longest window allowed.
      const longest = await post({ date_from: day(-365), date_to: day(0), save_data: false });
      assert.equal(longest.status, 200, JSON.stringify(longest.body));
    });

    it('tax returns: year and date rules of yearly and monthly requests', async () => {
      const c = await h().newClient();
      const link = await fiscalLink(c, PERSON);
      const post = (body: Record<string, unknown>) => c.request('POST', '/api/tax-returns/', { link, ...body });
      const next = serverYear() + 1;
      assertError(await post({ year_to: 2024 }), 400, 'required', 'year_from');
      assertError(await post({ type: 'yearly', year_to: '2024' }), 400, 'required', 'year_from');
      assertError(await post({ year_from: 2022 }), 400, 'required', 'year_to');
      assertError(await post({ year_from: 2022, year_to: next }), 400, 'invalid', 'year_to');
      assertError(await post({ year_from: String(next), year_to: String(next) }), 400, 'invalid', 'year_to');
      assertError(await post({ year_from: 2024, year_to: 2022 }), 400, 'invalid', 'year_from');
      assertError(await post({ year_from: '20x2', year_to: 2024 }), 400, 'invalid', 'year_from');
      assertError(await post({ type: 'monthly', date_to: day(0) }), 400, 'required', 'date_from');
      assertError(await post({ type: 'monthly', date_from: day(-30) }), 400, 'required', 'date_to');
      assertError(await post({ type: 'monthly', date_from: day(-30), date_to: day(3) }), 400, 'invalid', 'date_to');
      assertError(await post({ type: 'monthly', date_from: day(-10), date_to: day(-30) }), 400, 'invalid', 'date_from');
      assertError(await post({ type: 'weekly', year_from: 2022, year_to: 2023 }), 400, 'invalid', 'type');
      assert.equal(await stored(h(), 'tax_returns', link), 0);
    });

    it('unsupported_operation: bank resources on a fiscal link, fiscal ones on the IMSS link', async () => {
      const c = await h().newClient();
      const fiscal = await fiscalLink(c, PERSON);
      const employment = await imssLink(c, CURP);
      const window = { date_from: day(-10), date_to: day(0) };
      for (const [path, body] of [
        ['transactions', { link: fiscal, ...window }],
        ['accounts', { link: fiscal }],
        ['owners', { link: fiscal }],
        ['employment-records', { link: fiscal }],
        ['invoices', { link: employment, ...window, type: 'INFLOW' }],
        ['tax-status', { link: employment }],
      ] as const) {
        const res = await c.request('POST', `/api/${path}/`, body);
        assertError(res, 400, 'unsupported_operation');
        assertSchema('UnsupportedOperationError', res.body[0]);
      }
      for (const table of ['accounts', 'transactions', 'owners', 'employment_records']) assert.equal(await stored(h(), table, fiscal), 0);
      assert.equal(await stored(h(), 'invoices', employment), 0);
    });

    it('unconfirmed links (MFA pending at registration) answer unconfirmed_link until confirmed', async () => {
      const c = await h().newClient();
      for (const [institution, username, password, path, body] of [
        [FISCAL, 'MFAX800101AB1', 'ciec', 'invoices', { date_from: day(-30), date_to: day(0), type: 'INFLOW' }],
        [IMSS, 'MFAX800101HDFRRR09', undefined, 'employment-records', {}],
      ] as const) {
        const reg = await c.request('POST', '/api/links/', { institution, username, ...(password ? { password } : {}) });
        assert.equal(reg.status, 428, JSON.stringify(reg.body));
        const { link, session } = reg.body[0];
        assertError(await c.request('POST', `/api/${path}/`, { link, ...body }), 400, 'unconfirmed_link');
        // The registration's MFA session is not a retrieval's: it cannot be resumed here.
        assert.equal((await c.request('PATCH', `/api/${path}/`, { session, link, token: '123456' })).status, 400);
        assert.equal((await c.request('GET', `/api/links/${link}/`)).body.status, 'unconfirmed');
        const confirmed = await c.request('PATCH', '/api/links/', { session, link, token: '123456' });
        assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
        const res = await c.request('POST', `/api/${path}/`, { link, ...body });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    });

    it("unsupported_operation answers Belvo's exact message", async () => {
      const c = await h().newClient();
      const fiscal = await fiscalLink(c, PERSON);
      const res = await c.request('POST', '/api/accounts/', { link: fiscal });
      assertError(res, 400, 'unsupported_operation');
      // contract §A.6 and the spec's UnsupportedOperationError: the message is exact.
      assert.equal(res.body[0].message, 'The resource you are trying to access is not supported by this institution');
    });

    it('another tenant\'s link does not exist; its objects are 404', async () => {
      const owner = await h().newClient();
      const stranger = await h().newClient();
      const link = await fiscalLink(owner, PERSON);
      const status = await owner.request('POST', '/api/tax-status/', { link });
      assert.equal(status.status, 201);
      assertError(await stranger.request('POST', '/api/tax-status/', { link }), 400, 'does_not_exist', 'link');
      assert.equal((await stranger.request('GET', `/api/tax-status/${status.body.id}/`)).status, 404);
      assert.equal((await stranger.request('DELETE', `/api/tax-status/${status.body.id}/`)).status, 404);
      assert.equal((await stranger.request('GET', `/api/tax-status/?link=${link}`)).body.count, 0);
      assert.equal((await owner.request('GET', '/api/tax-status/not-a-uuid/')).status, 404);
      assert.equal((await owner.request('GET', `/api/tax-status/${status.body.id}/`)).status, 200);
    });

    // ---- list filters and upserts ------------------------------------------------------------

    it('invoices: filters by type, date, amount, status, identification and link', async () => {
      const c = await h().newClient();
      const a = await fiscalLink(c, PERSON);
      const b = await fiscalLink(c, PERSON_2);
      for (const type of ['INFLOW', 'OUTFLOW']) {
        assert.equal((await c.request('POST', '/api/invoices/', { link: a, date_from: day(-150), date_to: day(0), type })).status, 201);
      }
      assert.equal((await c.request('POST', '/api/invoices/', { link: b, date_from: day(-30), date_to: day(0), type: 'INFLOW' })).status, 201);
      const all = (await list(c, 'invoices', `link=${a}`)).results;
      const countB = (await list(c, 'invoices', `link=${b}`)).count;
      assert.ok(all.length > 20 && countB > 0, `${all.length} / ${countB}`);
      assert.ok(all.every((i: any) => i.link === a));
      assert.equal((await list(c, 'invoices')).count, all.length + countB, 'no link filter: the whole tenant');
      assert.equal((await list(c, 'invoices', `link__in=${a},${b}`)).count, all.length + countB);

      const expect = async (query: string, keep: (i: any) => boolean) => {
        const got = await list(c, 'invoices', `link=${a}&${query}`);
        const want = all.filter(keep);
        assert.ok(got.results.every(keep), `${query}: a row does not satisfy the filter`);
        assert.deepEqual(ids(got.results), ids(want), query);
        return got.count;
      };
      const inflow = await expect('type=INFLOW', (i) => i.type === 'INFLOW');
      const outflow = await expect('type=OUTFLOW', (i) => i.type === 'OUTFLOW');
      assert.ok(inflow > 0 && outflow > 0 && inflow + outflow === all.length);
      assert.equal(await expect('type__in=INFLOW,OUTFLOW', () => true), all.length);
      assertError(await c.request('GET', '/api/invoices/?type=SIDEWAYS'), 400, 'invalid', 'type');

      const [from, to] = [day(-100), day(-50)];
      const inRange = await expect(`invoice_date__range=${from},${to}`, (i) => i.invoice_date >= from && i.invoice_date <= to);
      assert.ok(inRange > 0 && inRange < all.length);
      await expect(`invoice_date__gte=${from}`, (i) => i.invoice_date >= from);

      const oneDay = all[Math.floor(all.length / 2)].invoice_date;
      assert.ok((await expect(`invoice_date=${oneDay}`, (i) => i.invoice_date === oneDay)) >= 1);

      const amounts = all.map((i: any) => i.total_amount).sort((x: number, y: number) => x - y);
      const median = amounts[Math.floor(amounts.length / 2)];
      const big = await expect(`total_amount__gte=${median}`, (i) => i.total_amount >= median);
      assert.ok(big > 0 && big < all.length);
      await expect(`total_amount__lt=${median}`, (i) => i.total_amount < median);
      assert.ok((await expect(`total_amount=${median}`, (i) => i.total_amount === median)) >= 1);
      assertError(await c.request('GET', '/api/invoices/?total_amount__gte=lots'), 400, 'invalid', 'total_amount__gte');

      const statuses = [...new Set(all.map((i: any) => i.status))];
      for (const s of statuses) await expect(`status=${encodeURIComponent(s)}`, (i) => i.status === s);
      assert.equal(await expect(`status__in=${statuses.map(encodeURIComponent).join(',')}`, () => true), all.length);
      assert.equal(await expect('status=Nonexistent', () => false), 0);

      const [one, two] = all;
      assert.equal(await expect(`invoice_identification=${one.invoice_identification}`, (i) => i.invoice_identification === one.invoice_identification), 1);
      assert.equal(
        await expect(`invoice_identification__in=${one.invoice_identification},${two.invoice_identification}`, (i) =>
          [one.invoice_identification, two.invoice_identification].includes(i.invoice_identification),
        ),
        2,
      );
      assert.equal(await expect(`id=${one.id}`, (i) => i.id === one.id), 1);
      // Newest first.
      const dates = all.map((i: any) => i.invoice_date);
      assert.deepEqual(dates, [...dates].sort().reverse());
    });

    it('invoices: retrieving overlapping windows twice keeps ids and stores no duplicates', async () => {
      const c = await h().newClient();
      const link = await fiscalLink(c, PERSON);
      const post = (from: string, to: string) => c.request('POST', '/api/invoices/', { link, date_from: from, date_to: to, type: 'INFLOW' });
      const first = await post(day(-120), day(-40));
      const second = await post(day(-80), day(0));
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      const byKey = new Map(first.body.map((i: any) => [i.invoice_identification, i]));
      const overlap = second.body.filter((i: any) => byKey.has(i.invoice_identification));
      assert.ok(overlap.length > 0, 'the windows share invoices');
      for (const i of overlap) {
        const before = byKey.get(i.invoice_identification) as any;
        assert.equal(i.id, before.id, 'same id');
        assert.equal(i.created_at, before.created_at, 'same created_at');
        assert.ok(i.collected_at >= before.collected_at);
      }
      const union = new Set([...first.body, ...second.body].map((i: any) => i.invoice_identification)).size;
      assert.equal(await stored(h(), 'invoices', link), union);
      const distinct = await sql<{ n: string | number }>`
        select count(distinct internal_identification) as n from invoices where link_id = ${link}`.execute(h().vinculo.store.db);
      assert.equal(Number(distinct.rows[0].n), union);
      const listed = await list(c, 'invoices', `link=${link}`);
      assert.equal(listed.count, union);
      assert.equal(new Set(listed.results.map((i: any) => i.id)).size, union);
    });

    it('tax returns: filters by ejercicio and tipo_declaracion', async () => {
      const c = await h().newClient();
      const a = await fiscalLink(c, PERSON);
      const b = await fiscalLink(c, COMPANY);
      const last = serverYear() - 1;
      for (const link of [a, b]) {
        assert.equal((await c.request('POST', '/api/tax-returns/', { link, year_from: last - 4, year_to: last })).status, 201);
      }
      assert.equal((await c.request('POST', '/api/tax-returns/', { link: a, type: 'monthly', date_from: `${last}-01-01`, date_to: `${last}-06-30` })).status, 201);
      const all = (await list(c, 'tax-returns', `link=${a}`)).results;
      const countB = (await list(c, 'tax-returns', `link=${b}`)).count;
      assert.ok(all.length >= 8 && countB >= 4, `${all.length} / ${countB}`);
      assert.equal((await list(c, 'tax-returns')).count, all.length + countB);

      const expect = async (query: string, keep: (r: any) => boolean) => {
        const got = await list(c, 'tax-returns', `link=${a}&${query}`);
        assert.ok(got.results.every(keep), `${query}: a row does not satisfy the filter`);
        assert.deepEqual(ids(got.results), ids(all.filter(keep)), query);
        return got.count;
      };
      const ofYear = await expect(`ejercicio=${last - 2}`, (r) => year(r) === last - 2);
      assert.equal(ofYear, 1, 'the one yearly return of that year');
      const recent = await expect(`ejercicio__gte=${last}`, (r) => year(r) >= last);
      // The six monthly returns, and the yearly one once filed (persons file in April).
      assert.ok(recent >= 6 && recent < all.length, `ejercicio__gte: ${recent} of ${all.length}`);
      await expect(`ejercicio__lt=${last - 1}`, (r) => year(r) < last - 1);
      await expect(`ejercicio__range=${last - 3},${last - 2}`, (r) => year(r) >= last - 3 && year(r) <= last - 2);
      assertError(await c.request('GET', '/api/tax-returns/?ejercicio=last'), 400, 'invalid', 'ejercicio');

      assert.equal(await expect('tipo_declaracion=Normal', (r) => r.informacion_general.tipo_declaracion === 'Normal'), all.length);
      assert.equal(await expect('tipo_declaracion=Complementaria', (r) => r.informacion_general.tipo_declaracion === 'Complementaria'), 0);
      assert.equal(await expect('tipo_declaracion__in=Normal,Complementaria', () => true), all.length);
    });

    it('tax status, compliance status and employment records: filters by link, id and created_at', async () => {
      const c = await h().newClient();
      const [fa, fb, ea, eb] = [await fiscalLink(c, PERSON), await fiscalLink(c, COMPANY), await imssLink(c, CURP), await imssLink(c, CURP_2)];
      for (const [path, a, b] of [
        ['tax-status', fa, fb],
        ['tax-compliance-status', fa, fb],
        ['employment-records', ea, eb],
      ] as const) {
        const one = (res: Response) => (Array.isArray(res.body) ? res.body[0] : res.body);
        const first = one(await c.request('POST', `/api/${path}/`, { link: a }));
        const second = one(await c.request('POST', `/api/${path}/`, { link: b }));
        assert.ok(first.created_at < second.created_at, `${path}: stored one after the other`);
        assert.equal((await list(c, path)).count, 2);
        assert.deepEqual(ids((await list(c, path, `link=${a}`)).results), [first.id]);
        assert.deepEqual(ids((await list(c, path, `link=${b}`)).results), [second.id]);
        assert.equal((await list(c, path, `link__in=${a},${b}`)).count, 2);
        assert.deepEqual(ids((await list(c, path, `id=${second.id}`)).results), [second.id]);
        assert.deepEqual(ids((await list(c, path, `id__in=${first.id},${second.id}`)).results), ids([first, second]));
        const since = await list(c, path, `created_at__gte=${encodeURIComponent(second.created_at)}`);
        assert.deepEqual(ids(since.results), [second.id], `${path}: created_at__gte`);
        assert.ok(since.results.every((r: any) => r.created_at >= second.created_at));
        const until = await list(c, path, `created_at__lt=${encodeURIComponent(second.created_at)}`);
        assert.deepEqual(ids(until.results), [first.id], `${path}: created_at__lt`);
        assert.equal((await list(c, path, `created_at__gte=${day(1)}`)).count, 0);
        assertError(await c.request('GET', `/api/${path}/?link=not-a-uuid`), 400, 'invalid', 'link');
      }
    });
  },
  { listen: true },
);
