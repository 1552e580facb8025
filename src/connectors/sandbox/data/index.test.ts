import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataConnector, ExtractRequest, ExtractedRecord, ResourceName } from '../../connector.js';
import { builtInConnectors } from '../../registry.js';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { extractSandbox } from './index.js';
import { ALL_INSTITUTIONS, NOW, asServed, request, withAccount } from './testing.js';

/** A username each institution's login form accepts. */
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
