/**
 * Invoice records as Belvo returns them: the CFDIs of the taxpayer's invoice book in the request's
 * window, received (INFLOW) and/or issued (OUTFLOW), up to the request's `now`, optionally with
 * their CFDI 4.0 XML.
 */
import type { ExtractedRecord } from '../../connector.js';
import { epochMs, isoDate } from './calendar.js';
import { cfdiXml, type CfdiInvoice } from './cfdi-xml.js';
import { cents, hhmmss, type FiscalContext } from './fiscal-context.js';
import type { InvoiceDraft, Side } from './fiscal-invoices.js';
import { requestWindow } from './window.js';

const INVOICE_TYPE: Record<InvoiceDraft['kind'], string> = { I: 'Ingreso', E: 'Egreso', N: 'Nómina', P: 'Pago' };

/** The invoices of the request's window and side (`type`), oldest first within each side. */
export function invoiceRecords(fiscal: FiscalContext): ExtractedRecord[] {
  const window = requestWindow(fiscal.request);
  if (!window) return [];
  const type = fiscal.request.type;
  const sides: Side[] = type === 'INFLOW' || type === 'OUTFLOW' ? [type] : ['INFLOW', 'OUTFLOW'];
  const out: ExtractedRecord[] = [];
  for (const side of sides) {
    for (const inv of fiscal.book.between(side, window.from, window.to)) {
      if (epochMs(inv.day, inv.sec) > fiscal.nowMs) continue;
      out.push(invoiceRecord(fiscal, inv));
    }
  }
  return out;
}

function invoiceRecord(fiscal: FiscalContext, inv: InvoiceDraft): ExtractedRecord {
  const cancelled = inv.cancelDay !== null && inv.cancelDay <= fiscal.today;
  const date = isoDate(inv.day);
  const currency = inv.kind === 'P' ? 'XXX' : 'MXN';
  const record: ExtractedRecord = {
    internal_identification: inv.uuid,
    type: inv.side,
    invoice_identification: inv.uuid,
    invoice_date: date,
    status: cancelled ? 'Cancelado' : 'Vigente',
    invoice_type: INVOICE_TYPE[inv.kind],
    sender_id: inv.sender.rfc,
    sender_name: inv.sender.name,
    sender_tax_fraud_status: 'NO_TAX_FRAUD_STATUS',
    receiver_id: inv.receiver.rfc,
    receiver_name: inv.receiver.name,
    receiver_tax_fraud_status: 'NO_TAX_FRAUD_STATUS',
    cancelation_status: cancelled ? 'Cancelado sin aceptación' : null,
    cancelation_update_date: cancelled ? isoDate(inv.cancelDay!) : null,
    certification_date: date,
    certification_authority: 'SAT970701NN3',
    payment_type: inv.paymentForm,
    payment_type_description: null,
    payment_method: inv.paymentMethod,
    payment_method_description: null,
    usage: inv.usage,
    version: '4.0',
    place_of_issue: inv.sender.postalCode,
    invoice_details: inv.lines.map((l) => ({
      description: l.description,
      product_identification: l.productCode,
      quantity: l.quantity,
      unit_code: l.unitCode,
      unit_description: l.unitName,
      unit_amount: cents(l.unitPrice),
      tax_type: l.taxable ? 'IVA' : null,
      pre_tax_amount: cents(l.amount),
      tax_percentage: l.taxRate === null ? 0 : l.taxRate * 100,
      tax_amount: cents(l.tax),
      total_amount: cents(l.amount + l.tax),
      retained_taxes: [],
      collected_at: null,
    })),
    currency,
    subtotal_amount: cents(inv.subtotal),
    exchange_rate: 1,
    tax_amount: cents(inv.tax),
    discount_amount: cents(inv.discount),
    total_amount: cents(inv.total),
    payments: inv.payment
      ? [
          {
            date: `${isoDate(inv.payment.day)}T${hhmmss(inv.payment.sec)}.000Z`,
            payment_type: inv.payment.form,
            currency: 'MXN',
            exchange_rate: '1',
            amount: cents(inv.payment.amount),
            operation_number: inv.payment.operation,
            beneficiary_rfc: inv.sender.rfc,
            beneficiary_account_number: inv.payment.beneficiaryAccount,
            payer_rfc: inv.receiver.rfc,
            payer_account_number: inv.payment.payerAccount,
            payer_bank_name: inv.payment.payerBank,
            related_documents: [
              {
                invoice_identification: inv.payment.relatedUuid,
                currency: 'MXN',
                payment_method: 'PPD',
                partiality_number: 1,
                previous_balance: cents(inv.payment.amount),
                amount_paid: cents(inv.payment.amount),
                outstanding_balance: 0,
              },
            ],
          },
        ]
      : [],
    payroll: inv.payroll
      ? {
          version: '1.2',
          type: 'O',
          payment_date: isoDate(inv.payroll.paymentDate),
          date_from: isoDate(inv.payroll.from),
          date_to: isoDate(inv.payroll.to),
          days: inv.payroll.days,
          amount: cents(inv.total),
          collected_at: null,
        }
      : null,
    folio: inv.folio,
    xml: fiscal.request.attachXml ? cfdiXml(cfdi(inv, currency)) : null,
    warnings: null,
    sender_blacklist_status: null,
    receiver_blacklist_status: null,
  };
  return record;
}

function cfdi(inv: InvoiceDraft, currency: string): CfdiInvoice {
  const date = isoDate(inv.day);
  const stampSec = Math.min(inv.sec + 37 + (inv.sec % 500), 86_399);
  const p = inv.payroll;
  const receiverRegime = inv.kind === 'N' ? '605' : inv.receiver.regime;
  return {
    uuid: inv.uuid,
    serie: inv.serie,
    folio: inv.folio,
    issuedAt: `${date}T${hhmmss(inv.sec)}`,
    stampedAt: `${date}T${hhmmss(stampSec)}`,
    kind: inv.kind,
    sender: { rfc: inv.sender.rfc, name: inv.sender.name, regime: inv.sender.regime },
    receiver: { rfc: inv.receiver.rfc, name: inv.receiver.name, regime: receiverRegime, postalCode: inv.receiver.postalCode, usage: inv.usage },
    placeOfIssue: inv.sender.postalCode,
    paymentForm: inv.paymentForm,
    paymentMethod: inv.paymentMethod,
    currency,
    subtotal: inv.subtotal,
    discount: inv.discount,
    total: inv.total,
    lines: inv.lines,
    payroll: p
      ? {
          paymentDate: isoDate(p.paymentDate),
          from: isoDate(p.from),
          to: isoDate(p.to),
          days: p.days,
          gross: p.gross,
          isr: p.isr,
          socialSecurity: p.socialSecurity,
          employerRegistration: p.employerRegistration,
          curp: p.curp,
          nss: p.nss,
          employeeNumber: p.employeeNumber,
          startDate: isoDate(p.startDay),
          seniorityWeeks: Math.max(1, Math.floor((p.paymentDate - p.startDay) / 7)),
          dailySalary: p.dailySalary,
          stateCode: 'DIF',
        }
      : undefined,
    payment: inv.payment
      ? {
          dateTime: `${isoDate(inv.payment.day)}T${hhmmss(inv.payment.sec)}`,
          form: inv.payment.form,
          amount: inv.payment.amount,
          operation: inv.payment.operation,
          relatedUuid: inv.payment.relatedUuid,
          relatedSerie: inv.payment.relatedSerie,
          relatedFolio: inv.payment.relatedFolio,
          previousBalance: inv.payment.amount,
          outstanding: 0,
        }
      : undefined,
  };
}
