/**
 * Belvo-shaped fiscal records for the sandbox tax authority: invoices (CFDIs, optionally with
 * their XML), yearly and monthly tax returns, the tax status certificate (constancia de situación
 * fiscal) and the compliance opinion (opinión de cumplimiento), optionally with PDFs.
 *
 * Modules: `fiscal-taxpayer` (who the RFC is), `fiscal-invoices` (their CFDIs, day by day),
 * `fiscal-context` (one extraction's taxpayer, book and clock), `fiscal-invoice-records` with
 * `cfdi-xml` (invoices), `fiscal-returns` with `fiscal-return-filing`, `fiscal-returns-monthly`
 * and `fiscal-returns-yearly` (tax returns), `fiscal-certificates` (tax status and compliance).
 */
import type { ExtractRequest, ExtractedRecord } from '../../connector.js';
import { complianceStatus, taxStatus } from './fiscal-certificates.js';
import { FiscalContext } from './fiscal-context.js';
import { invoiceRecords } from './fiscal-invoice-records.js';
import { taxReturns } from './fiscal-returns.js';

export function extractInvoices(request: ExtractRequest): ExtractedRecord[] {
  return invoiceRecords(new FiscalContext(request));
}

export function extractTaxReturns(request: ExtractRequest): ExtractedRecord[] {
  return taxReturns(new FiscalContext(request));
}

export function extractTaxStatus(request: ExtractRequest): ExtractedRecord[] {
  return [taxStatus(new FiscalContext(request))];
}

export function extractTaxComplianceStatus(request: ExtractRequest): ExtractedRecord[] {
  return [complianceStatus(new FiscalContext(request))];
}
