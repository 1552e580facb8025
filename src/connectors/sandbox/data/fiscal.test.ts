import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtractRequest, ExtractedRecord } from '../../connector.js';
import { assertSchema } from '../../../../test/helpers/openapi.js';
import { extractInvoices, extractTaxComplianceStatus, extractTaxReturns, extractTaxStatus } from './fiscal.js';
import { NOW, asServed, base64PdfProblems, request, toCents, xmlAttribute, xmlProblems } from './testing.js';

const SAT = 'tatooine_mx_fiscal';
const PERSON = 'MAOL850312AB1';
const COMPANY = 'ABC120315XY9';
const DAY = 86_400_000;

const invoices = (rfc: string, extra: Partial<ExtractRequest> = {}) =>
  extractInvoices(request(SAT, 'INVOICES', { username: rfc, password: 'ciec' }, { dateFrom: '2025-01-01', dateTo: '2025-03-15', ...extra }));
const returns = (rfc: string, extra: Partial<ExtractRequest> = {}) =>
  extractTaxReturns(request(SAT, 'TAX_RETURNS', { username: rfc, password: 'ciec' }, extra));

type Detail = { pre_tax_amount: number; tax_amount: number; total_amount: number; unit_amount: number; quantity: number };

describe('sandbox fiscal data: invoices', () => {
  const received = invoices(PERSON, { type: 'INFLOW', attachXml: true });
  const issued = invoices(COMPANY, { type: 'OUTFLOW', attachXml: true });

  it('is deterministic per RFC and differs between RFCs', () => {
    assert.deepEqual(invoices(PERSON, { type: 'INFLOW', attachXml: true }), received);
    assert.deepEqual(invoices(PERSON.toLowerCase(), { type: 'INFLOW', attachXml: true }), received);
    assert.notDeepEqual(invoices('MAOL850312AB2', { type: 'INFLOW' }).map((i) => i.invoice_identification), received.map((i) => i.invoice_identification));
  });

  it('splits received (INFLOW) and issued (OUTFLOW) from the taxpayer\'s point of view', () => {
    assert.ok(received.length > 10 && issued.length > 50, `${received.length} / ${issued.length}`);
    assert.ok(received.every((i) => i.type === 'INFLOW' && i.receiver_id === PERSON));
    assert.ok(issued.every((i) => i.type === 'OUTFLOW' && i.sender_id === COMPANY));
    const types = new Set([...received, ...issued].map((i) => i.invoice_type));
    for (const t of ['Ingreso', 'Nómina', 'Pago']) assert.ok(types.has(t), t);
    const both = invoices(PERSON);
    assert.equal(both.length, received.length + invoices(PERSON, { type: 'OUTFLOW' }).length);
  });

  it('adds up: lines to the subtotal and tax, total = subtotal + tax - discount', () => {
    for (const inv of [...received, ...issued]) {
      const details = inv.invoice_details as Detail[];
      assert.ok(details.length > 0);
      for (const d of details) {
        assert.equal(toCents(d.unit_amount) * d.quantity, toCents(d.pre_tax_amount));
        assert.equal(toCents(d.total_amount), toCents(d.pre_tax_amount) + toCents(d.tax_amount));
      }
      assert.equal(details.reduce((s, d) => s + toCents(d.pre_tax_amount), 0), toCents(inv.subtotal_amount));
      assert.equal(details.reduce((s, d) => s + toCents(d.tax_amount), 0), toCents(inv.tax_amount));
      assert.equal(toCents(inv.total_amount), toCents(inv.subtotal_amount) + toCents(inv.tax_amount) - toCents(inv.discount_amount));
      assert.match(String(inv.invoice_identification), /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
      assert.equal(inv.internal_identification, inv.invoice_identification);
      assert.equal(inv.currency, inv.invoice_type === 'Pago' ? 'XXX' : 'MXN');
      assert.ok(['PUE', 'PPD', null].includes(inv.payment_method as string | null));
    }
  });

  it('has payroll receipts (gross - deductions = net) and payment receipts for earlier PPD invoices', () => {
    const payroll = [...received, ...issued].filter((i) => i.invoice_type === 'Nómina');
    assert.ok(payroll.length > 0);
    for (const p of payroll) {
      assert.equal(toCents((p.payroll as { amount: number }).amount), toCents(p.total_amount));
      assert.ok(Number(p.discount_amount) > 0 && Number(p.tax_amount) === 0);
    }
    const wide = invoices(COMPANY, { type: 'OUTFLOW', dateFrom: '2024-10-01' });
    const payments = wide.filter((i) => i.invoice_type === 'Pago' && String(i.invoice_date) >= '2025-01-01');
    assert.ok(payments.length > 5);
    for (const p of payments) {
      const [payment] = p.payments as { amount: number; related_documents: { invoice_identification: string; amount_paid: number }[] }[];
      const paid = wide.find((i) => i.invoice_identification === payment.related_documents[0].invoice_identification);
      assert.ok(paid, 'the paid invoice exists');
      assert.equal(paid.payment_method, 'PPD');
      assert.ok(String(paid.invoice_date) < String(p.invoice_date));
      assert.equal(toCents(payment.amount), toCents(paid.total_amount));
    }
  });

  it('attaches well-formed CFDI 4.0 XML whose values match the JSON', () => {
    for (const inv of [...received, ...issued]) {
      const xml = String(inv.xml);
      assert.deepEqual(xmlProblems(xml), [], String(inv.invoice_identification));
      assert.equal(xmlAttribute(xml, 'cfdi:Comprobante', 'Version'), '4.0');
      assert.equal(xmlAttribute(xml, 'tfd:TimbreFiscalDigital', 'UUID'), inv.invoice_identification);
      assert.equal(xmlAttribute(xml, 'cfdi:Emisor', 'Rfc'), inv.sender_id);
      assert.equal(xmlAttribute(xml, 'cfdi:Receptor', 'Rfc'), inv.receiver_id);
      assert.equal(xmlAttribute(xml, 'cfdi:Comprobante', 'Moneda'), inv.currency);
      assert.equal(xmlAttribute(xml, 'cfdi:Comprobante', 'Folio'), inv.folio);
      if (inv.invoice_type !== 'Pago') {
        assert.equal(toCents(xmlAttribute(xml, 'cfdi:Comprobante', 'SubTotal')), toCents(inv.subtotal_amount));
        assert.equal(toCents(xmlAttribute(xml, 'cfdi:Comprobante', 'Total')), toCents(inv.total_amount));
        assert.equal(toCents(xmlAttribute(xml, 'cfdi:Comprobante', 'Descuento') ?? 0), toCents(inv.discount_amount));
      }
      if (Number(inv.tax_amount) > 0) assert.ok(xml.includes(`TotalImpuestosTrasladados="${Number(inv.tax_amount).toFixed(2)}"`));
      const kind = { Ingreso: 'I', Egreso: 'E', 'Nómina': 'N', Pago: 'P' }[String(inv.invoice_type)];
      assert.equal(xmlAttribute(xml, 'cfdi:Comprobante', 'TipoDeComprobante'), kind);
    }
    assert.ok(issued.some((i) => String(i.xml).includes('<nomina12:Nomina ')));
    assert.ok(issued.some((i) => String(i.xml).includes('<pago20:Pagos ')));
    assert.deepEqual(xmlProblems('<a><b></a></b>').length > 0, true, 'the checker catches bad nesting');
    assert.deepEqual(xmlProblems('<a x="1 & 2"/>').length > 0, true, 'the checker catches a bare ampersand');
    assert.ok(invoices(PERSON).every((i) => i.xml === null), 'no XML unless asked');
  });

  it('never changes an invoice once issued: later extractions only add and cancel', () => {
    const later = invoices(COMPANY, { type: 'OUTFLOW', attachXml: true, dateTo: '2025-04-30', now: new Date(NOW.getTime() + 30 * DAY) });
    const byId = new Map(later.map((i) => [i.invoice_identification, i]));
    for (const inv of issued) {
      const again = byId.get(inv.invoice_identification);
      assert.ok(again);
      const strip = ({ status, cancelation_status, cancelation_update_date, ...rest }: ExtractedRecord) => rest;
      assert.deepEqual(strip(again), strip(inv));
    }
    assert.ok(later.length > issued.length);
    assert.ok(issued.every((i) => Date.parse(`${String(i.invoice_date)}T00:00:00Z`) <= NOW.getTime()));
  });

  it('validates against InvoiceWithIdSat once served', () => {
    for (const inv of [...received, ...issued, ...invoices(PERSON, { type: 'OUTFLOW', attachXml: true })]) assertSchema('InvoiceWithIdSat', asServed(inv));
  });
});

describe('sandbox fiscal data: tax returns', () => {
  it('files yearly returns after the deadline month, in the requested years, with real PDFs', () => {
    const person = returns(PERSON, { type: 'yearly', yearFrom: 2019, yearTo: 2025, attachPdf: true });
    // Persons file in April: on 2025-03-15 the 2024 return is not there yet.
    assert.deepEqual(person.map((r) => (r.informacion_general as { ejercicio: number }).ejercicio), [2019, 2020, 2021, 2022, 2023]);
    for (const r of person) {
      assert.ok(String((r.informacion_general as { fecha_hora_presentacion: string }).fecha_hora_presentacion) < '2025-03-15T15:30');
      assert.deepEqual(base64PdfProblems(r.pdf), []);
      assert.deepEqual(base64PdfProblems(r.receipt_pdf), []);
      assert.equal(r.type, 'yearly');
      assertSchema('TaxReturnPersonal', asServed(r));
    }
    assert.ok(returns(PERSON, { type: 'yearly', yearFrom: 2023, yearTo: 2023 }).every((r) => r.pdf === null));
    const later = returns(PERSON, { type: 'yearly', yearFrom: 2024, yearTo: 2024, now: new Date('2025-05-01T00:00:00Z') });
    assert.equal(later.length, 1, 'filed by May');
  });

  it('computes a person\'s yearly ISR from their invoices: tariff on income less deductions', () => {
    const [r] = returns(PERSON, { type: 'yearly', yearFrom: 2023, yearTo: 2023 });
    const d = r.determinacion_impuesto as Record<string, number>;
    assert.equal(d.base_gravable, d.ingresos_acumulables - d.deducciones_personales);
    const prof = r.servicios_profesionales as { ingresos: { total_ingresos: number }; resultado_fiscal: { utilidad_fiscal: number }; deducciones_autorizadas: { total_deducciones_autorizadas: number } };
    assert.equal(prof.resultado_fiscal.utilidad_fiscal, Math.max(0, prof.ingresos.total_ingresos - prof.deducciones_autorizadas.total_deducciones_autorizadas));
    const balance = d.isr_conforme_tarifa_final - d.isr_retenido - d.pagos_provisionales;
    assert.ok(Math.abs((d.isr_a_cargo - d.isr_favorable) - balance) <= 1);
  });

  it('files monthly returns whose income is the month\'s issued invoices', () => {
    const monthly = returns(PERSON, { type: 'monthly', dateFrom: '2024-03-01', dateTo: '2025-03-15', attachPdf: true });
    // March 2024 .. January 2025 are filed; February 2025 is due on March 17th.
    assert.equal(monthly.length, 11);
    for (const r of monthly) {
      assert.equal(r.type, 'monthly');
      assertSchema('TaxReturnPersonalMonthly', asServed(r));
      assert.deepEqual(base64PdfProblems(r.pdf), []);
    }
    const january = monthly.find((r) => (r.informacion_general as { periodo_declaracion: string }).periodo_declaracion === 'Enero')!;
    const issued = invoices(PERSON, { type: 'OUTFLOW', dateFrom: '2025-01-01', dateTo: '2025-01-31' });
    const income = issued
      .filter((i) => i.status === 'Vigente' && i.invoice_type === 'Ingreso')
      .reduce((s, i) => s + toCents(i.subtotal_amount) - toCents(i.discount_amount), 0);
    const isr = january.isr as { determinacion: { ingresos_periodo: number } };
    assert.equal(isr.determinacion.ingresos_periodo, Math.round(income / 100));
  });

  it('gives companies the business return schemas', () => {
    const yearly = returns(COMPANY, { type: 'yearly', yearFrom: 2022, yearTo: 2023, attachPdf: true });
    assert.equal(yearly.length, 2);
    for (const r of yearly) {
      assertSchema('TaxReturnBusiness', asServed(r));
      const sheet = r.estado_posicion_financiera_balance as { activo: { suma_activo: number }; capital_contable: { suma_pasivo_mas_capital_contable: number } };
      assert.equal(sheet.activo.suma_activo, sheet.capital_contable.suma_pasivo_mas_capital_contable, 'the balance sheet balances');
    }
    const monthly = returns(COMPANY, { type: 'monthly', dateFrom: '2024-11-01', dateTo: '2025-01-31' });
    assert.equal(monthly.length, 3);
    for (const r of monthly) assertSchema('TaxReturnBusinessMonthly', asServed(r));
  });
});

describe('sandbox fiscal data: tax status and compliance', () => {
  it('issues a tax status certificate as of today, with both regimen and regimens', () => {
    for (const rfc of [PERSON, COMPANY]) {
      const [status] = extractTaxStatus(request(SAT, 'TAX_STATUS', { username: rfc }, { attachPdf: true }));
      assert.ok(String(status.place_and_date_of_issuance).endsWith('A 15 DE MARZO DE 2025'));
      assert.deepEqual(status.regimen, status.regimens);
      assert.equal((status.tax_payer_information as { rfc: string }).rfc, rfc);
      assert.deepEqual(base64PdfProblems(status.pdf), []);
      assertSchema('TaxStatusSat', asServed(status));
    }
    const [person] = extractTaxStatus(request(SAT, 'TAX_STATUS', { username: PERSON }));
    const info = person.tax_payer_information as { curp: string; name: string };
    assert.match(info.curp, /^MAOL850312[HM]/, 'the CURP agrees with the RFC');
    assert.equal(person.pdf, null);
  });

  it('gives a compliance opinion per RFC, new each day', () => {
    const [a] = extractTaxComplianceStatus(request(SAT, 'TAX_COMPLIANCE_STATUS', { username: PERSON }, { attachPdf: true }));
    assert.equal(a.rfc, PERSON);
    assert.ok(['POSITIVE', 'NEGATIVE', 'NO_OBLIGATIONS'].includes(String(a.outcome)));
    assert.deepEqual(base64PdfProblems(a.pdf), []);
    assertSchema('TaxComplianceStatus', asServed(a));
    const [b] = extractTaxComplianceStatus(request(SAT, 'TAX_COMPLIANCE_STATUS', { username: PERSON }, { now: new Date(NOW.getTime() + DAY) }));
    assert.notEqual(b.internal_identification, a.internal_identification);
    assert.equal(b.outcome, a.outcome);
  });
});
