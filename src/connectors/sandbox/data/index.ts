/**
 * The sandbox's data: Vinculo's offline stand-in for what Belvo's sandbox returns, generated on
 * the fly instead of stored.
 *
 * - Deterministic: a pure function of (institution, username, request.now, request filters).
 *   The same username always gets the same accounts, owners and history; another username gets
 *   other data. Nothing reads the wall clock or Math.random.
 * - Never stale: history is laid on the calendar (a transaction dated D is the same in every
 *   extraction made on or after D), so as `now` moves forward new records appear, recent ones
 *   settle (PENDING -> PROCESSED) and old ones do not change.
 * - `bnk100` (Belvo's sandbox user, any case) gets the "full" banking dataset.
 *
 * Modules: `random` (seeded PRNG), `calendar` (day arithmetic), `window` (date filters), `documents` and `people`
 * (identifiers, names, addresses), `merchants`, `bank-plan` / `bank-ledger` / `bank-drafts` /
 * `bank-labels` / `bank` (accounts, transactions, balances, owners), `fiscal` and its `fiscal-*`
 * modules with `cfdi-xml` (invoices, tax returns, tax status, compliance; map in fiscal.ts),
 * `employment`, and `pdf`.
 */
import type { ExtractRequest, ExtractedRecord, ResourceName } from '../../connector.js';
import { VinculoError } from '../../../errors.js';
import { extractAccounts, extractBalances, extractOwners, extractTransactions } from './bank.js';
import { extractEmploymentRecords } from './employment.js';
import { extractInvoices, extractTaxComplianceStatus, extractTaxReturns, extractTaxStatus } from './fiscal.js';

const EXTRACTORS: Record<ResourceName, (request: ExtractRequest) => ExtractedRecord[]> = {
  ACCOUNTS: extractAccounts,
  TRANSACTIONS: extractTransactions,
  OWNERS: extractOwners,
  BALANCES: extractBalances,
  INVOICES: extractInvoices,
  TAX_RETURNS: extractTaxReturns,
  TAX_STATUS: extractTaxStatus,
  TAX_COMPLIANCE_STATUS: extractTaxComplianceStatus,
  EMPLOYMENT_RECORDS: extractEmploymentRecords,
};

/**
 * Extracts one resource for a sandbox link. The server checks `resource` against the
 * institution before calling; asking anyway for an undeclared one is `unsupported_operation`.
 */
export async function extractSandbox(request: ExtractRequest): Promise<ExtractedRecord[]> {
  if (!request.institution.resources.includes(request.resource)) {
    throw new VinculoError('unsupported_operation', `${request.institution.name} does not provide ${request.resource}`);
  }
  return EXTRACTORS[request.resource](request);
}

export { FULL_DATASET_USER } from './bank-plan.js';
export { PENDING_DAYS } from './bank.js';
export { DEFAULT_WINDOW_DAYS } from './window.js';
