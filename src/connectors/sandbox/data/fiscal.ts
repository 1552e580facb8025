/**
 * Belvo-shaped fiscal records for the sandbox tax authority: invoices (CFDIs, optionally with
 * their XML), yearly and monthly tax returns, the tax status certificate (constancia de situación
 * fiscal) and the compliance opinion (opinión de cumplimiento), optionally with PDFs.
 *
 * Tax returns are computed from the same invoices the invoices resource returns (income from
 * issued CFDIs, deductions from received ones, salaries from payroll CFDIs), so the numbers agree
 * across resources. A return exists once its filing date has passed.
 */
import type { ExtractRequest, ExtractedRecord } from '../../connector.js';
import {
  SPANISH_MONTHS,
  dayInMonth,
  dayOf,
  isoDate,
  monthIndex,
  monthOfDay,
  monthYear,
  epochMs,
  ymd,
} from './calendar.js';
import { requestWindow } from './window.js';
import { cfdiXml, type CfdiInvoice } from './cfdi-xml.js';
import { clabe, officialCase } from './documents.js';
import { InvoiceBook, isr, monthTotals, type InvoiceDraft, type MonthTotals, type Side } from './fiscal-invoices.js';
import { planTaxpayer, type Taxpayer } from './fiscal-taxpayer.js';
import { pdfBase64, pdfDate } from './pdf.js';
import { hashHex, rng } from './random.js';

const INVOICE_TYPE: Record<InvoiceDraft['kind'], string> = { I: 'Ingreso', E: 'Egreso', N: 'Nómina', P: 'Pago' };
const cents = (n: number) => Math.round(n) / 100;
/** Tax forms show whole pesos. */
const pesos = (centsValue: number) => Math.round(centsValue / 100);
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const hhmmss = (sec: number) => `${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor((sec % 3600) / 60))}:${pad2(sec % 60)}`;

class FiscalExtraction {
  readonly tp: Taxpayer;
  readonly book: InvoiceBook;
  readonly today: number;
  readonly nowMs: number;
  private readonly months = new Map<number, MonthTotals>();

  constructor(readonly request: ExtractRequest) {
    this.tp = planTaxpayer(request.institution, request.credentials);
    this.book = new InvoiceBook(this.tp);
    this.today = dayOf(request.now);
    this.nowMs = request.now.getTime();
  }

  month(m: number): MonthTotals {
    let t = this.months.get(m);
    if (!t) {
      t = monthTotals(this.book, m);
      this.months.set(m, t);
    }
    return t;
  }

  // ---- invoices ------------------------------------------------------------------------------

  invoices(): ExtractedRecord[] {
    const window = requestWindow(this.request);
    if (!window) return [];
    const type = this.request.type;
    const sides: Side[] = type === 'INFLOW' || type === 'OUTFLOW' ? [type] : ['INFLOW', 'OUTFLOW'];
    const out: ExtractedRecord[] = [];
    for (const side of sides) {
      for (const inv of this.book.between(side, window.from, window.to)) {
        if (epochMs(inv.day, inv.sec) > this.nowMs) continue;
        out.push(this.invoiceRecord(inv));
      }
    }
    return out;
  }

  private invoiceRecord(inv: InvoiceDraft): ExtractedRecord {
    const cancelled = inv.cancelDay !== null && inv.cancelDay <= this.today;
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
      xml: this.request.attachXml ? cfdiXml(this.cfdi(inv, currency)) : null,
      warnings: null,
      sender_blacklist_status: null,
      receiver_blacklist_status: null,
    };
    return record;
  }

  private cfdi(inv: InvoiceDraft, currency: string): CfdiInvoice {
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

  // ---- tax returns ---------------------------------------------------------------------------

  /** When the return for `period` was filed: yearly in March (companies) or April (persons), monthly by the 17th. */
  private filing(kind: 'yearly' | 'monthly', period: number): { day: number; sec: number; operation: string } {
    const r = rng(this.tp.seed, 20, kind === 'yearly' ? period : period + 100_000);
    const day =
      kind === 'yearly'
        ? dayInMonth(monthIndex(period + 1, this.tp.company ? 3 : 4), r.int(5, 28))
        : dayInMonth(period + 1, r.int(8, 17));
    return { day, sec: r.int(9 * 3600, 21 * 3600), operation: r.digits(this.tp.company ? 12 : 11) };
  }

  private filed(f: { day: number; sec: number }): boolean {
    return epochMs(f.day, f.sec) <= this.nowMs;
  }

  private filedAt(f: { day: number; sec: number }): string {
    // SAT prints Mexico City time; the sandbox's clock is UTC, shown here with its offset.
    return `${isoDate(f.day)}T${hhmmss(f.sec).slice(0, 5)}:00-06:00`;
  }

  taxReturns(): ExtractedRecord[] {
    if (this.request.type === 'monthly') {
      const window = requestWindow(this.request);
      if (!window) return [];
      const out: ExtractedRecord[] = [];
      for (let m = monthOfDay(window.from); m <= monthOfDay(window.to); m++) {
        if (dayInMonth(m, 31) < this.tp.startDay) continue;
        const f = this.filing('monthly', m);
        if (this.filed(f)) out.push(this.tp.company ? this.monthlyBusiness(m, f) : this.monthlyPersonal(m, f));
      }
      return out;
    }
    const thisYear = ymd(this.today).year;
    const yearTo = this.request.yearTo ?? thisYear;
    const yearFrom = this.request.yearFrom ?? yearTo - 4;
    const out: ExtractedRecord[] = [];
    for (let year = Math.max(yearFrom, ymd(this.tp.startDay).year); year <= yearTo; year++) {
      const f = this.filing('yearly', year);
      if (this.filed(f)) out.push(this.tp.company ? this.yearlyBusiness(year, f) : this.yearlyPersonal(year, f));
    }
    return out;
  }

  /** Year-to-date sums up to month `m` (inclusive) of its year. */
  private ytd(m: number): { income: number; expenses: number; months: MonthTotals[] } {
    const { year } = monthYear(m);
    const months: MonthTotals[] = [];
    for (let k = monthIndex(year, 1); k <= m; k++) months.push(this.month(k));
    const income = months.reduce((s, t) => s + t.income16 + t.income0 + t.incomeExempt, 0);
    const expenses = months.reduce((s, t) => s + t.expenses, 0);
    return { income, expenses, months };
  }

  /**
   * Provisional ISR payments month by month (cents): ISR on year-to-date profit, less what earlier
   * months of the year already paid. Persons use the prorated tariff, companies 30% of income
   * times their profit coefficient.
   */
  private provisionalIsr(m: number): { due: number; causado: number; paidBefore: number; base: number } {
    const { year } = monthYear(m);
    let paid = 0;
    let last = { due: 0, causado: 0, paidBefore: 0, base: 0 };
    for (let k = monthIndex(year, 1); k <= m; k++) {
      const { income, expenses } = this.ytd(k);
      const months = k - monthIndex(year, 1) + 1;
      const base = this.tp.company ? Math.max(0, income * this.tp.profitCoefficient) : Math.max(0, income - expenses);
      const causado = this.tp.company ? base * 0.3 : isr(base / 100, months) * 100;
      const due = Math.max(0, Math.round(causado - paid));
      last = { due, causado: Math.round(causado), paidBefore: paid, base: Math.round(base) };
      paid += due;
    }
    return last;
  }

  private info(period: string, year: number, f: { day: number; sec: number; operation: string }): Record<string, unknown> {
    return {
      rfc: this.tp.rfc,
      ...(this.tp.company ? { denominacion_razon_social: this.tp.name } : { nombre: this.tp.name }),
      tipo_declaracion: 'Normal',
      ...(this.tp.company ? { tipo_complementaria: null } : {}),
      ejercicio: year,
      periodo_declaracion: period,
      fecha_hora_presentacion: this.filedAt(f),
      numero_operacion: f.operation,
    };
  }

  private pdfs(title: string, lines: string[], f: { day: number; sec: number; operation: string }) {
    if (!this.request.attachPdf) return { pdf: null, receipt_pdf: null };
    const creationDate = pdfDate(`${isoDate(f.day)}T${hhmmss(f.sec)}`);
    const header = [`RFC: ${this.tp.rfc}`, `Nombre: ${this.tp.name}`, `Número de operación: ${f.operation}`, `Presentada: ${this.filedAt(f)}`, ''];
    return {
      pdf: pdfBase64({ title, lines: [...header, ...lines], creationDate }),
      receipt_pdf: pdfBase64({
        title: 'Acuse de recibo de la declaración',
        lines: [...header, title, '', 'El SAT recibió la declaración con los datos anteriores.', `Sello digital: ${hashHex('acuse', this.tp.rfc, f.operation).slice(0, 48)}`],
        creationDate,
      }),
    };
  }

  private monthlyPersonal(m: number, f: { day: number; sec: number; operation: string }): ExtractedRecord {
    const { year, month } = monthYear(m);
    const t = this.month(m);
    const { income, expenses } = this.ytd(m);
    const periodIncome = t.income16 + t.income0 + t.incomeExempt;
    const p = this.provisionalIsr(m);
    const vatDue = t.vatCharged - t.vatCreditable;
    const iva = {
      determinacion: {
        actividades_gravadas_tasa_16: pesos(t.income16),
        actividades_gravadas_tasa_0: pesos(t.income0),
        actividades_exentas: pesos(t.incomeExempt),
        iva_cobrado_periodo_tasa_16: pesos(t.vatCharged),
        iva_acreditable_periodo: pesos(t.vatCreditable),
        iva_retenido: 0,
        saldo_a_favor: vatDue < 0 ? pesos(-vatDue) : null,
        impuesto_a_favor: vatDue < 0 ? pesos(-vatDue) : null,
        impuesto_a_cargo: Math.max(0, pesos(vatDue)),
        cantidad_a_cargo: Math.max(0, pesos(vatDue)),
      },
      detalle_del_pago: {
        total_contribuciones: Math.max(0, pesos(vatDue)),
        total_aplicaciones: 0,
        cantidad_a_cargo: Math.max(0, pesos(vatDue)),
        cantidad_a_pagar: Math.max(0, pesos(vatDue)),
        a_favor: vatDue < 0 ? pesos(-vatDue) : null,
      },
    };
    const period = SPANISH_MONTHS[month - 1];
    return {
      internal_identification: `${this.tp.rfc}-MENSUAL-${year}${pad2(month)}`,
      informacion_general: this.info(period, year, f),
      isr: {
        tipo: 'PFAE',
        determinacion: {
          ingresos_periodos_anteriores: pesos(income - periodIncome),
          ingresos_periodo: pesos(periodIncome),
          total_ingresos: pesos(income),
          compras_gastos_periodos_anteriores: pesos(expenses - t.expenses),
          compra_gastos_periodo: pesos(t.expenses),
          total_compras_gastos: pesos(expenses),
          base_gravable_pago_provisional: pesos(p.base),
          isr_causado: pesos(p.causado),
          pagos_provisionales_efectuados_anterioridad: pesos(p.paidBefore),
          isr_retenido_periodos_anteriores: 0,
          impuesto_retenido: 0,
          isr_cargo: pesos(p.due),
        },
        detalle_del_pago: {
          a_cargo: pesos(p.due),
          parte_actualizada: 0,
          recargos: 0,
          total_contribuciones: pesos(p.due),
          total_aplicaciones: 0,
          cantidad_a_cargo: pesos(p.due),
          cantidad_a_pagar: pesos(p.due),
        },
      },
      iva,
      ...this.pdfs(`Declaración provisional de ISR e IVA - ${period} ${year}`, [
        `Ingresos del periodo: $${pesos(periodIncome)}`,
        `Gastos del periodo: $${pesos(t.expenses)}`,
        `ISR a cargo: $${pesos(p.due)}`,
        `IVA a cargo: $${Math.max(0, pesos(vatDue))}`,
      ], f),
      type: 'monthly',
    };
  }

  private monthlyBusiness(m: number, f: { day: number; sec: number; operation: string }): ExtractedRecord {
    const { year, month } = monthYear(m);
    const t = this.month(m);
    const { income } = this.ytd(m);
    const periodIncome = t.income16 + t.income0 + t.incomeExempt;
    const p = this.provisionalIsr(m);
    const vatDue = t.vatCharged - t.vatCreditable;
    const payment = (due: number) => ({
      a_cargo: pesos(due),
      parte_actualizada: 0,
      recargos: 0,
      multa_por_correccion: null,
      total_de_contribuciones: pesos(due),
      total_aplicaciones: 0,
      cantidad_a_cargo: pesos(due),
      cantidad_a_favor: null,
      aplica_primera_parcialidad: 'NO',
      cantidad_a_pagar: pesos(due),
    });
    const period = SPANISH_MONTHS[month - 1];
    return {
      internal_identification: `${this.tp.rfc}-MENSUAL-${year}${pad2(month)}`,
      informacion_general: this.info(period, year, f),
      determinacion_isr: {
        personas_morales_regimen_general: {
          suma_ingresos_nominales_meses_anteriores_ejercicio: pesos(income - periodIncome),
          ingresos_nominales_mes_que_declara: pesos(periodIncome),
          total_ingresos_nominales: pesos(income),
          coeficiente_utilidad: this.tp.profitCoefficient,
          utilidad_fiscal_pago_provisional: pesos(p.base),
          base_gravable_pago_provisional: pesos(p.base),
          isr_causado: pesos(p.causado),
          pagos_provisionales_efectuados_anterioridad: pesos(p.paidBefore),
          impuesto_retenido: 0,
          impuesto_a_cargo: pesos(p.due),
          diferencia_a_cargo: pesos(p.due),
          perdidas_fiscales_ejercicios_anteriores_pendientes: null,
          estimulos_acreditables: null,
        },
      },
      detalle_pago_isr: {
        r1_isr_personas_morales: payment(p.due),
        r12_isr_retenciones_por_salarios: payment(t.payrollIsr),
      },
      determinacion_iva: {
        montos_actos_actividades_pagados: {
          total_actos_actividades_pagados_tasa_16: pesos(t.expenses),
          total_actos_actividades_pagados_tasa_0: 0,
          total_actos_actividades_pagados_no_paga_iva: 0,
        },
        determinacion_iva: {
          valor_actos_actividades_gravados_tasa_16: pesos(t.income16),
          valor_actos_actividades_gravados_tasa_0_otros: pesos(t.income0),
          valor_actos_actividades_no_se_deba_pagar_impuesto_exentos: pesos(t.incomeExempt),
          suma_actos_actividades_gravados: pesos(t.income16 + t.income0),
          impuesto_causado: pesos(t.vatCharged),
          total_iva_acreditable: pesos(t.vatCreditable),
          iva_retenido_al_contribuyente: 0,
          diferencia_a_cargo: Math.max(0, pesos(vatDue)),
          impuesto_a_cargo: Math.max(0, pesos(vatDue)),
          cantidad_a_cargo: Math.max(0, pesos(vatDue)),
          saldo_a_favor_periodo: vatDue < 0 ? pesos(-vatDue) : 0,
        },
      },
      detalle_pago_iva: { r21_iva: payment(Math.max(0, vatDue)) },
      ...this.pdfs(`Declaración provisional de ISR, IVA y retenciones - ${period} ${year}`, [
        `Ingresos nominales del mes: $${pesos(periodIncome)}`,
        `ISR a cargo: $${pesos(p.due)}`,
        `ISR retenido por salarios: $${pesos(t.payrollIsr)}`,
        `IVA a cargo: $${Math.max(0, pesos(vatDue))}`,
      ], f),
      type: 'monthly',
    };
  }

  private yearTotals(year: number) {
    const months = Array.from({ length: 12 }, (_, i) => this.month(monthIndex(year, i + 1)));
    const sum = (pick: (t: MonthTotals) => number) => months.reduce((s, t) => s + pick(t), 0);
    const personal = new Map<string, number>();
    for (const t of months) for (const d of t.personal) personal.set(d.rfc, (personal.get(d.rfc) ?? 0) + d.amount);
    let provisional = 0;
    for (let m = 1; m <= 12; m++) provisional += this.provisionalIsr(monthIndex(year, m)).due;
    return {
      income: sum((t) => t.income16 + t.income0 + t.incomeExempt),
      expenses: sum((t) => t.expenses),
      payrollGross: sum((t) => t.payrollGross),
      payrollIsr: sum((t) => t.payrollIsr),
      personal,
      provisional,
    };
  }

  private yearlyPersonal(year: number, f: { day: number; sec: number; operation: string }): ExtractedRecord {
    const y = this.yearTotals(year);
    const tp = this.tp;
    const profit = Math.max(0, y.income - y.expenses);
    const accumulable = y.payrollGross + profit;
    const personalTotal = [...y.personal.values()].reduce((s, v) => s + v, 0);
    // Personal deductions are capped at 15% of income or five yearly UMAs (~$198,000 in 2024).
    const personalAllowed = Math.min(personalTotal, Math.round(accumulable * 0.15), 19_800_000);
    const base = Math.max(0, accumulable - personalAllowed);
    const tax = Math.round(isr(base / 100) * 100);
    const credited = y.payrollIsr + y.provisional;
    const balance = tax - credited;
    const employer = tp.employer;
    const r = rng(tp.seed, 21, year);
    return {
      internal_identification: `${tp.rfc}-ANUAL-${year}`,
      informacion_general: this.info('Del Ejercicio', year, f),
      sueldos_salarios:
        employer && y.payrollGross > 0
          ? {
              retenedores: [
                {
                  rfc_retenedor: employer.rfc,
                  nombre_denominacion_razon_social: employer.name,
                  ingresos_exentos: 0,
                  ingreso_anual: pesos(y.payrollGross),
                  subsidio_empleo: 0,
                },
              ],
              impuesto_retenido: pesos(y.payrollIsr),
              ingreso_anual: pesos(y.payrollGross),
              ingresos_acumulables: pesos(y.payrollGross),
              ingresos_exentos: 0,
              subsidio_empleo: 0,
            }
          : null,
      servicios_profesionales: {
        deducciones_autorizadas: {
          deducciones_autorizadas: pesos(y.expenses),
          otras_deducciones: null,
          detalle_deducciones: [{ tipo_deduccion: 'GASTOS', concepto: 'COMPRAS Y GASTOS GENERALES', monto_detallado: pesos(y.expenses) }],
          total_deducciones_autorizadas: pesos(y.expenses),
        },
        ingresos: { ingresos_acumulables: pesos(y.income), ingresos_exentos: null, otros_ingresos: null, total_ingresos: pesos(y.income) },
        resultado_fiscal: {
          utilidad_fiscal: pesos(profit),
          ptu_pagada_ejercicio: 0,
          perdidas_fiscales_ejercicios_anteriores_aplicadas: 0,
          utilidad_gravable: pesos(profit),
        },
        pagos_provisionales: { pagos_provisionales_efectuados_en_ejercicio: pesos(y.provisional) },
        retenciones_isr: { isr_retenido_personas_morales: 0 },
      },
      deducciones_personales: {
        honorarios_medicos_dentales_hospitalarios: [...y.personal.entries()].map(([rfc, amount]) => ({ rfc_emisor: rfc, monto_deducible: cents(amount) })),
        donativos: [],
        aportaciones_voluntarias_complementarias_al_sar: [],
        primas_por_seguros_de_gasto_medico: [],
      },
      determinacion_impuesto: {
        ingresos_acumulables: pesos(accumulable),
        deducciones_personales: pesos(personalAllowed),
        base_gravable: pesos(base),
        isr_conforme_tarifa_final: pesos(tax),
        isr_retenido: pesos(y.payrollIsr),
        pagos_provisionales: pesos(y.provisional),
        isr_a_cargo: balance > 0 ? pesos(balance) : 0,
        isr_favorable: balance < 0 ? pesos(-balance) : 0,
        num_clabe: balance < 0 ? clabe('002', r.digits(3), r.digits(11)) : null,
        nombre_banco: balance < 0 ? 'BANCO EREBOR' : null,
        titular_clabe_permite_verificacion: balance < 0 ? 'SÍ' : null,
        accion_saldo_a_favor: balance < 0 ? 'DEVOLUCIÓN' : null,
      },
      retenciones: {
        sueldos_salarios: employer && y.payrollGross > 0
          ? [{ rfc_retenedor: employer.rfc, monto_retenciones: pesos(y.payrollGross), retenciones_isr: pesos(y.payrollIsr) }]
          : [],
        dividendos: [],
        servicios_profesionales: [],
      },
      dividendos: { monto_acumulable_dividendos_utilidades: null, monto_total_isr_pagado_sociedad: null },
      datos_informativos: {
        credito_fiscal_autorizado_proyectos_investigacion_desarrollo: 0,
        credito_fiscal_autorizado_proyectos_apoyo_deporte_alto_rendimiento: 0,
        credito_fiscal_autorizado_proyectos_inversion_artes: 0,
      },
      ...this.pdfs(`Declaración anual de personas físicas - Ejercicio ${year}`, [
        `Ingresos por salarios: $${pesos(y.payrollGross)}`,
        `Ingresos por actividad profesional: $${pesos(y.income)}`,
        `Deducciones autorizadas: $${pesos(y.expenses)}`,
        `Deducciones personales: $${pesos(personalAllowed)}`,
        `Base gravable: $${pesos(base)}`,
        `ISR del ejercicio: $${pesos(tax)}`,
        balance < 0 ? `Saldo a favor: $${pesos(-balance)}` : `ISR a cargo: $${pesos(balance)}`,
      ], f),
      type: 'yearly',
    };
  }

  private yearlyBusiness(year: number, f: { day: number; sec: number; operation: string }): ExtractedRecord {
    const y = this.yearTotals(year);
    const tp = this.tp;
    const r = rng(tp.seed, 22, year);
    const deductions = y.expenses + y.payrollGross;
    const profit = y.income - deductions;
    const taxable = Math.max(0, profit);
    const tax = Math.round(taxable * 0.3);
    const balance = tax - y.provisional;
    const part = (total: number | null) => ({ partes_relacionadas: null, partes_no_relacionadas: total, total });
    // A balance sheet that balances: assets = liabilities + equity, to the peso. Equity is
    // capital + retained earnings + this year's result; cash is what makes both sides meet.
    const netIncome = pesos(profit - tax);
    const capital = r.pick([50_000, 100_000, 500_000, 1_000_000]);
    const retained = Math.max(0, Math.round(Math.abs(netIncome) * r.float(0.5, 3)));
    const equity = capital + retained + netIncome;
    const receivables = pesos(y.income * r.float(0.05, 0.15));
    const fixed = pesos(y.income * r.float(0.02, 0.1));
    const payables = pesos(y.expenses * r.float(0.05, 0.2));
    const taxesPayable = Math.max(0, pesos(balance));
    const liabilities = payables + taxesPayable;
    const cash = Math.max(0, liabilities + equity - receivables - fixed);
    const assets = cash + receivables + fixed;
    const extraDebt = assets - liabilities - equity; // > 0 only when cash hit zero
    const debts = payables + extraDebt;
    return {
      internal_identification: `${tp.rfc}-ANUAL-${year}`,
      informacion_general: this.info('Del Ejercicio', year, f),
      datos_adicionales: {
        indica_si_optas_por_dictaminar_tus_estados_financieros: 'NO',
        estas_obligado_a_presentar_la_informacion_sobre_tu_situacion_fiscal: 'NO',
      },
      estado_resultados: {
        ventas_servicios_nacionales: part(pesos(y.income)),
        ventas_servicios_extranjero: part(null),
        ingresos_netos: part(pesos(y.income)),
        costo_ventas_servicios: pesos(y.expenses),
        utilidad_bruta: Math.max(0, pesos(y.income - y.expenses)),
        perdida_bruta: y.income < y.expenses ? pesos(y.expenses - y.income) : null,
        gastos_operacion: part(pesos(y.payrollGross)),
        utilidad_antes_impuestos: Math.max(0, pesos(profit)),
        isr: pesos(tax),
        utilidad_neta: Math.max(0, netIncome),
        perdida_neta: netIncome < 0 ? -netIncome : null,
      },
      estado_posicion_financiera_balance: {
        activo: {
          efectivo_caja_depositos_instituciones_credito_nacionales: cash,
          cuentas_documentos_por_cobrar_nacionales: part(receivables),
          mobiliario_y_equipo_oficina: fixed,
          suma_activo: assets,
        },
        pasivo: {
          cuentas_documentos_por_pagar_nacionales: part(debts),
          contribuciones_por_pagar: taxesPayable,
          suma_pasivo: liabilities + extraDebt,
        },
        capital_contable: {
          capital_social_proveniente_aportaciones: capital,
          utilidades_acumuladas: retained,
          perdidas_acumuladas: null,
          utilidad_del_ejercicio: netIncome >= 0 ? netIncome : null,
          perdida_del_ejercicio: netIncome < 0 ? netIncome : null,
          suma_capital_contable: equity,
          suma_pasivo_mas_capital_contable: liabilities + extraDebt + equity,
        },
      },
      conciliacion_entre_resultado_contable_fiscal: {
        utilidad_o_perdida_neta: netIncome,
        ingresos_fiscales_no_contables: 0,
        deducciones_contables_no_fiscales: pesos(tax),
        deducciones_fiscales_no_contables: 0,
        utilidad_o_perdida_fiscal_antes_de_ptu: pesos(profit),
      },
      deducciones_autorizadas: {
        sueldos_salarios: pesos(y.payrollGross),
        otras_deducciones_autorizadas: pesos(y.expenses),
        total_deducciones_autorizadas: pesos(deductions),
      },
      cifras_cierre_ejercicio: {
        coeficiente_de_utilidad_por_aplicar_en_ejercicio_siguiente: y.income > 0 ? Math.round((taxable / y.income) * 10000) / 10000 : 0,
        saldo_promedio_anual_de_creditos: receivables,
        saldo_promedio_anual_de_deudas: debts,
        perdidas_fiscales_de_ejercicios_anteriores_pendientes_de_amortizar_actualiazadas: null,
      },
      determinacion_del_impuesto_sobre_la_renta: {
        determinacion_del_impuesto_sobre_la_renta: {
          total_ingresos_acumulables: pesos(y.income),
          total_deducciones_autorizadas_y_deduccion_inmediata_inversiones: pesos(deductions),
          utilidad_o_perdida_fiscal_antes_de_ptu: pesos(profit),
          ptu_pagada_en_el_ejercicio: null,
          utilidad_fiscal_del_ejercicio: pesos(taxable),
          perdidas_fiscales_de_ejercicios_anteriores_que_se_aplican_en_ejercicio: null,
          resultado_fiscal: pesos(taxable),
          impuesto_causado_en_ejercicio: pesos(tax),
          impuesto_sobre_la_renta_del_ejercicio: pesos(tax),
          pagos_provisionales_efectuados_enterados_a_federacion: pesos(y.provisional),
          impuesto_retenido_al_contribuyente: null,
          diferencia_a_cargo: Math.max(0, pesos(balance)),
          isr_a_cargo_del_ejercicio: Math.max(0, pesos(balance)),
          isr_a_favor_del_ejercicio: balance < 0 ? pesos(-balance) : null,
        },
      },
      dividendos_o_utilidades_distribuidos: {
        no_provenientes_de_cufin_ni_cufinre_en_efectivo: null,
        monto_del_impuesto_pagado_no_proveniente_de_cufin_ni_cufinre: null,
      },
      detalle_pago_r1_isr_personas_morales: {
        a_cargo: Math.max(0, pesos(balance)),
        parte_actualizada: null,
        recargos: null,
        multa_por_correccion: null,
        total_contribuciones: Math.max(0, pesos(balance)),
        desea_aplicar_alguna_compensacion_o_estimulo: 'NO',
        cantidad_a_cargo: Math.max(0, pesos(balance)),
        opta_por_pagar_parcialidades: 'SIN SELECCIÓN',
        cantidad_a_favor: balance < 0 ? pesos(-balance) : null,
        cantidad_a_pagar: Math.max(0, pesos(balance)),
      },
      ...this.pdfs(`Declaración anual de personas morales - Ejercicio ${year}`, [
        `Ingresos acumulables: $${pesos(y.income)}`,
        `Deducciones autorizadas: $${pesos(deductions)}`,
        `Resultado fiscal: $${pesos(taxable)}`,
        `ISR del ejercicio: $${pesos(tax)}`,
        `Pagos provisionales: $${pesos(y.provisional)}`,
        balance < 0 ? `Saldo a favor: $${pesos(-balance)}` : `ISR a cargo: $${pesos(balance)}`,
      ], f),
      type: 'yearly',
    };
  }

  // ---- tax status and compliance -------------------------------------------------------------

  taxStatus(): ExtractedRecord {
    const tp = this.tp;
    const r = rng(tp.seed, 30);
    const { year, month, day } = ymd(this.today);
    const a = tp.address;
    const regimens = tp.regimes.map((x) => ({ regimen: x.name, initial_date: isoDate(x.start), end_date: null }));
    const activities = tp.company
      ? [{ order: '1', economic_activity: tp.industry.activity, percentage: '100', initial_date: isoDate(tp.startDay), end_date: null }]
      : [
          ...(tp.employer ? [{ order: '1', economic_activity: 'Asalariado', percentage: '60', initial_date: isoDate(tp.startDay), end_date: null }] : []),
          {
            order: tp.employer ? '2' : '1',
            economic_activity: tp.industry.activity,
            percentage: tp.employer ? '40' : '100',
            initial_date: isoDate(tp.regimes[tp.regimes.length - 1].start),
            end_date: null,
          },
        ];
    const obligationsStart = isoDate(tp.regimes[tp.regimes.length - 1].start);
    const obligations = [
      { obligation: 'Declaración anual de ISR del ejercicio.', expiration: tp.company ? 'A más tardar el 31 de marzo del ejercicio siguiente.' : 'A más tardar el 30 de abril del ejercicio siguiente.', initial_date: obligationsStart, end_date: null },
      { obligation: 'Pago definitivo mensual de IVA.', expiration: 'A más tardar el día 17 del mes inmediato posterior al periodo que corresponda.', initial_date: obligationsStart, end_date: null },
      { obligation: 'Pago provisional mensual de ISR.', expiration: 'A más tardar el día 17 del mes inmediato posterior al periodo que corresponda.', initial_date: obligationsStart, end_date: null },
      ...(tp.company
        ? [{ obligation: 'Entero de retenciones mensuales de ISR por sueldos y salarios.', expiration: 'A más tardar el día 17 del mes inmediato posterior al periodo que corresponda.', initial_date: obligationsStart, end_date: null }]
        : []),
    ];
    const stampDate = `${year}/${pad2(month)}/${pad2(day)}`;
    const person = tp.person;
    const place = `${officialCase(a.municipality)}, ${officialCase(a.state)} A ${day} DE ${SPANISH_MONTHS[month - 1].toUpperCase()} DE ${year}`;
    const chain = `||${stampDate}|${tp.rfc}|CONSTANCIA DE SITUACIÓN FISCAL|${tp.idCif}${r.digits(9)}||`;
    const record: ExtractedRecord = {
      internal_identification: `CSF-${tp.rfc}`,
      place_and_date_of_issuance: place,
      official_name: tp.name,
      id_cif: tp.idCif,
      tax_payer_information: {
        rfc: tp.rfc,
        curp: tp.curp,
        name: person ? officialCase(person.first) : null,
        first_last_name: person ? officialCase(person.paternal) : null,
        second_last_name: person ? officialCase(person.maternal) : null,
        start_operations_date: isoDate(tp.startDay),
        status_padron: 'ACTIVO',
        last_status_change_date: isoDate(tp.startDay),
        commercial_name: tp.company ? tp.name.replace(/ (SA DE CV|S DE RL DE CV|SAPI DE CV|SC)$/, '') : null,
        social_name: tp.company ? tp.name : null,
        email: tp.email,
        phone: tp.phone,
      },
      address: {
        postal_code: a.postalCode,
        street_type: a.street.startsWith('Av.') ? 'AVENIDA (AV.)' : 'CALLE',
        street: officialCase(a.street.replace(/^(Av\.|Calle) /, '')),
        exterior_number: a.exterior,
        interior_number: a.interior ? officialCase(a.interior) : null,
        suburb: officialCase(a.neighbourhood),
        locality: officialCase(a.city),
        municipality: officialCase(a.municipality),
        state: a.state,
        between_street: [{ street_one: 'CALLE HIDALGO', street_two: 'CALLE MORELOS' }],
      },
      economic_activity: activities,
      regimens,
      // The published schema requires `regimen` but only defines `regimens` (see contract §L): send both.
      regimen: regimens,
      obligations,
      digital_stamp: chain,
      digital_stamp_chain: Buffer.from(hashHex('csf', chain) + hashHex('csf2', chain), 'hex').toString('base64'),
      pdf: this.request.attachPdf
        ? pdfBase64({
            title: 'Constancia de Situación Fiscal',
            lines: [
              `Lugar y fecha de emisión: ${place}`,
              `RFC: ${tp.rfc}`,
              ...(tp.curp ? [`CURP: ${tp.curp}`] : []),
              `Nombre, denominación o razón social: ${tp.name}`,
              `idCIF: ${tp.idCif}`,
              `Fecha de inicio de operaciones: ${isoDate(tp.startDay)}`,
              'Estatus en el padrón: ACTIVO',
              `Domicilio: ${a.line}`,
              '',
              'Regímenes:',
              ...tp.regimes.map((x) => `  ${x.name} (desde ${isoDate(x.start)})`),
              '',
              'Obligaciones:',
              ...obligations.map((o) => `  ${o.obligation}`),
              '',
              `Cadena original: ${chain}`,
            ],
            creationDate: pdfDate(`${isoDate(this.today)}T12:00:00`),
          })
        : null,
    };
    return record;
  }

  complianceStatus(): ExtractedRecord {
    const tp = this.tp;
    // Every consultation issues a new opinion with its own folio (one per day here).
    const r = rng(tp.seed, 31, this.today);
    const { year } = ymd(this.today);
    const folio = `${String(year % 100).padStart(2, '0')}N${tp.compliant ? 'A' : 'B'}${r.digits(7)}`;
    const outcome = tp.compliant ? 'POSITIVE' : 'NEGATIVE';
    return {
      internal_identification: folio,
      rfc: tp.rfc,
      outcome,
      pdf: this.request.attachPdf
        ? pdfBase64({
            title: 'Opinión del cumplimiento de obligaciones fiscales',
            lines: [
              `Folio: ${folio}`,
              `Fecha: ${isoDate(this.today)}`,
              `RFC: ${tp.rfc}`,
              `Nombre, denominación o razón social: ${tp.name}`,
              '',
              `Sentido: ${tp.compliant ? 'POSITIVO' : 'NEGATIVO'}`,
              tp.compliant
                ? 'El contribuyente se encuentra al corriente en el cumplimiento de sus obligaciones fiscales.'
                : 'El contribuyente tiene obligaciones fiscales pendientes de cumplir.',
            ],
            creationDate: pdfDate(`${isoDate(this.today)}T12:00:00`),
          })
        : null,
    };
  }
}

export function extractInvoices(request: ExtractRequest): ExtractedRecord[] {
  return new FiscalExtraction(request).invoices();
}

export function extractTaxReturns(request: ExtractRequest): ExtractedRecord[] {
  return new FiscalExtraction(request).taxReturns();
}

export function extractTaxStatus(request: ExtractRequest): ExtractedRecord[] {
  return [new FiscalExtraction(request).taxStatus()];
}

export function extractTaxComplianceStatus(request: ExtractRequest): ExtractedRecord[] {
  return [new FiscalExtraction(request).complianceStatus()];
}
