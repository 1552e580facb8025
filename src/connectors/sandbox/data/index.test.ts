import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataConnector, ExtractRequest, ExtractedRecord, ResourceName } from '../../connector.js';
import { ANY_USERNAMES, RESERVED_USERNAMES } from '../../connector.contract.js';
import { builtInConnectors } from '../../registry.js';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { extractSandbox } from './index.js';
import { ALL_INSTITUTIONS, NOW, asServed, request, withAccount } from './testing.js';

/** A realistic username for each institution (any username is accepted; these are shaped like the document asked for). */
const USERNAME: Record<string, string> = {
  tatooine_mx_fiscal: 'MAOL850312AB1',
  imss_mx_employment: 'GOML850312HDFRRS09',
};

const SCHEMA: Partial<Record<ResourceName, string>> = {
  ACCOUNTS: 'Account',
  OWNERS: 'Owner',
  INVOICES: 'InvoiceWithIdSat',
  TAX_STATUS: 'TaxStatusSat',
  TAX_COMPLIANCE_STATUS: 'TaxComplianceStatus',
  EMPLOYMENT_RECORDS: 'EmploymentRecord',
};

function taxReturnSchema(r: ExtractedRecord): string {
  const business = 'denominacion_razon_social' in (r.informacion_general as object);
  return `TaxReturn${business ? 'Business' : 'Personal'}${r.type === 'monthly' ? 'Monthly' : ''}`;
}

describe('sandbox data through the connectors', () => {
  it('every sandbox connector extracts data', () => {
    for (const connector of builtInConnectors) {
      assert.equal(typeof (connector as DataConnector).extract, 'function');
    }
  });

  it('extracts every resource each sandbox institution declares, valid against Belvo\'s schemas', async () => {
    for (const inst of ALL_INSTITUTIONS) {
      const connector = builtInConnectors.find((c) => c.institutions.includes(inst)) as DataConnector;
      const credentials = { username: USERNAME[inst.name] ?? 'user_valid', password: 'pass_valid', username_type: '001' };
      const base = { dateFrom: '2025-02-01', dateTo: '2025-03-15', attachPdf: true, attachXml: true };
      const accounts = inst.resources.includes('ACCOUNTS') ? await connector.extract(request(inst.name, 'ACCOUNTS', credentials)) : [];
      for (const resource of inst.resources) {
        const variants: Partial<ExtractRequest>[] =
          resource === 'TAX_RETURNS'
            ? [{ type: 'yearly', yearFrom: 2021, yearTo: 2024 }, { type: 'monthly', dateFrom: '2024-10-01' }]
            : resource === 'INVOICES'
              ? [{ type: 'INFLOW' }, { type: 'OUTFLOW' }]
              : [{}];
        for (const variant of variants) {
          const records = await connector.extract(request(inst.name, resource, credentials, { ...base, ...variant }));
          assert.ok(records.length > 0, `${inst.name} ${resource} ${JSON.stringify(variant)} is empty`);
          for (const r of records) {
            assert.equal(typeof r.internal_identification, 'string', `${inst.name} ${resource}`);
            assert.ok((r.internal_identification as string).length > 0);
            if (resource === 'TRANSACTIONS') assertSchema('Transaction', withAccount(r, accounts));
            else if (resource === 'BALANCES') assertSchema('Balance', withAccount(r, accounts));
            else if (resource === 'TAX_RETURNS') assertSchema(taxReturnSchema(r), asServed(r));
            else assertSchema(SCHEMA[resource]!, asServed(r));
          }
          const ids = records.map((r) => r.internal_identification);
          assert.equal(new Set(ids).size, ids.length, `${inst.name} ${resource}: internal_identification is unique`);
        }
      }
    }
  });

  it('extracts every resource for any username, also ones shaped like no RFC or CURP, always the same data', async () => {
    const base = { dateFrom: '2025-02-15', dateTo: '2025-03-15', type: undefined as string | undefined };
    for (const inst of ALL_INSTITUTIONS) {
      const connector = builtInConnectors.find((c) => c.institutions.includes(inst)) as DataConnector;
      for (const username of [...ANY_USERNAMES, ...RESERVED_USERNAMES]) {
        const credentials = { username, password: 'pass_valid', username_type: '001' };
        const accounts = inst.resources.includes('ACCOUNTS') ? await connector.extract(request(inst.name, 'ACCOUNTS', credentials)) : [];
        for (const resource of inst.resources) {
          const extra = { ...base, ...(resource === 'INVOICES' ? { type: 'OUTFLOW' } : resource === 'TAX_RETURNS' ? { type: 'yearly', yearFrom: 2023, yearTo: 2024 } : {}) };
          const what = `${inst.name} ${resource} ${JSON.stringify(username)}`;
          const records = await connector.extract(request(inst.name, resource, credentials, extra));
          assert.deepEqual(await connector.extract(request(inst.name, resource, credentials, extra)), records, `${what}: deterministic`);
          if (resource !== 'INVOICES') assert.ok(records.length > 0, `${what} is empty`);
          for (const r of records) {
            if (resource === 'TRANSACTIONS') assertSchema('Transaction', withAccount(r, accounts));
            else if (resource === 'BALANCES') assertSchema('Balance', withAccount(r, accounts));
            else if (resource === 'TAX_RETURNS') assertSchema(taxReturnSchema(r), asServed(r));
            else assertSchema(SCHEMA[resource]!, asServed(r));
          }
          // Whatever the username, the taxpayer and the worker have a well-formed RFC or CURP.
          if (resource === 'TAX_STATUS') {
            assert.match(String((records[0].tax_payer_information as { rfc: string }).rfc), /^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$/, what);
          }
          if (resource === 'EMPLOYMENT_RECORDS') assert.match(records[0].internal_identification, /^[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$/, what);
        }
      }
    }
  });

  it('keeps the data of RFC- and CURP-shaped usernames: they are the document, in any case', async () => {
    const same = async (inst: string, resource: ResourceName, a: string, b: string) =>
      assert.deepEqual(await extractSandbox(request(inst, resource, { username: a, password: 'x' })), await extractSandbox(request(inst, resource, { username: b, password: 'x' })));
    await same('tatooine_mx_fiscal', 'TAX_STATUS', 'MAOL850312AB1', ' maol850312ab1 ');
    await same('imss_mx_employment', 'EMPLOYMENT_RECORDS', 'GOML850312HDFRRS09', 'goml850312hdfrrs09');
    const [status] = await extractSandbox(request('tatooine_mx_fiscal', 'TAX_STATUS', { username: 'MAOL850312AB1', password: 'x' }));
    assert.ok(JSON.stringify(status).includes('MAOL850312AB1'));
    const [record] = await extractSandbox(request('imss_mx_employment', 'EMPLOYMENT_RECORDS', { username: 'GOML850312HDFRRS09' }));
    assert.equal(record.internal_identification, 'GOML850312HDFRRS09');
  });

  it('refuses resources the institution does not declare', async () => {
    await assert.rejects(extractSandbox(request('imss_mx_employment', 'ACCOUNTS', { username: 'GOML850312HDFRRS09' })), {
      code: 'unsupported_operation',
    });
    await assert.rejects(extractSandbox(request('erebor_mx_retail', 'INVOICES', { username: 'bnk100' })), { code: 'unsupported_operation' });
  });

  it('reads no clock: the same request gives the same records', async () => {
    const req = request('erebor_mx_retail', 'ACCOUNTS', { username: 'bnk100' }, { now: NOW });
    assert.deepEqual(await extractSandbox(req), await extractSandbox(req));
  });
});
