/**
 * Monthly returns (pagos provisionales): ISR on the year's income so far and the month's VAT, as a
 * person with business activity (PFAE) or a company files them; a company also pays over the ISR
 * it withheld from salaries. The yearly return credits the provisional ISR paid here.
 */
import type { ExtractedRecord } from '../../connector.js';
import { SPANISH_MONTHS, monthIndex, monthYear } from './calendar.js';
import { pad2, type FiscalContext } from './fiscal-context.js';
import { isr, type MonthTotals } from './fiscal-invoices.js';
import { pesos, returnInfo, returnPdfs, type Filing } from './fiscal-return-filing.js';

/** Year-to-date sums up to month `m` (inclusive) of its year. */
function ytd(fiscal: FiscalContext, m: number): { income: number; expenses: number; months: MonthTotals[] } {
  const { year } = monthYear(m);
  const months: MonthTotals[] = [];
  for (let k = monthIndex(year, 1); k <= m; k++) months.push(fiscal.month(k));
  const income = months.reduce((s, t) => s + t.income16 + t.income0 + t.incomeExempt, 0);
  const expenses = months.reduce((s, t) => s + t.expenses, 0);
  return { income, expenses, months };
}

/**
 * Provisional ISR payments month by month (cents): ISR on year-to-date profit, less what earlier
 * months of the year already paid. Persons use the prorated tariff, companies 30% of income
 * times their profit coefficient.
 */
export function provisionalIsr(fiscal: FiscalContext, m: number): { due: number; causado: number; paidBefore: number; base: number } {
  const { year } = monthYear(m);
  let paid = 0;
  let last = { due: 0, causado: 0, paidBefore: 0, base: 0 };
  for (let k = monthIndex(year, 1); k <= m; k++) {
    const { income, expenses } = ytd(fiscal, k);
    const months = k - monthIndex(year, 1) + 1;
    const base = fiscal.tp.company ? Math.max(0, income * fiscal.tp.profitCoefficient) : Math.max(0, income - expenses);
    const causado = fiscal.tp.company ? base * 0.3 : isr(base / 100, months) * 100;
    const due = Math.max(0, Math.round(causado - paid));
    last = { due, causado: Math.round(causado), paidBefore: paid, base: Math.round(base) };
    paid += due;
  }
  return last;
}

export function monthlyPersonal(fiscal: FiscalContext, m: number, f: Filing): ExtractedRecord {
  const { year, month } = monthYear(m);
  const t = fiscal.month(m);
  const { income, expenses } = ytd(fiscal, m);
  const periodIncome = t.income16 + t.income0 + t.incomeExempt;
  const p = provisionalIsr(fiscal, m);
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
    internal_identification: `${fiscal.tp.rfc}-MENSUAL-${year}${pad2(month)}`,
    informacion_general: returnInfo(fiscal, period, year, f),
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
    ...returnPdfs(fiscal, `Declaración provisional de ISR e IVA - ${period} ${year}`, [
      `Ingresos del periodo: $${pesos(periodIncome)}`,
      `Gastos del periodo: $${pesos(t.expenses)}`,
      `ISR a cargo: $${pesos(p.due)}`,
      `IVA a cargo: $${Math.max(0, pesos(vatDue))}`,
    ], f),
    type: 'monthly',
  };
}

export function monthlyBusiness(fiscal: FiscalContext, m: number, f: Filing): ExtractedRecord {
  const { year, month } = monthYear(m);
  const t = fiscal.month(m);
  const { income } = ytd(fiscal, m);
  const periodIncome = t.income16 + t.income0 + t.incomeExempt;
  const p = provisionalIsr(fiscal, m);
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
    internal_identification: `${fiscal.tp.rfc}-MENSUAL-${year}${pad2(month)}`,
    informacion_general: returnInfo(fiscal, period, year, f),
    determinacion_isr: {
      personas_morales_regimen_general: {
        suma_ingresos_nominales_meses_anteriores_ejercicio: pesos(income - periodIncome),
        ingresos_nominales_mes_que_declara: pesos(periodIncome),
        total_ingresos_nominales: pesos(income),
        coeficiente_utilidad: fiscal.tp.profitCoefficient,
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
    ...returnPdfs(fiscal, `Declaración provisional de ISR, IVA y retenciones - ${period} ${year}`, [
      `Ingresos nominales del mes: $${pesos(periodIncome)}`,
      `ISR a cargo: $${pesos(p.due)}`,
      `ISR retenido por salarios: $${pesos(t.payrollIsr)}`,
      `IVA a cargo: $${Math.max(0, pesos(vatDue))}`,
    ], f),
    type: 'monthly',
  };
}
