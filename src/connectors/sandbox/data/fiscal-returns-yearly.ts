/**
 * Yearly returns (declaración anual) from the year's invoices: a person's ISR on salaries plus
 * professional profit less capped personal deductions, credited with the ISR withheld and the
 * provisional payments; a company's 30% ISR on its profit, with its income statement and a
 * balance sheet.
 */
import type { ExtractedRecord } from '../../connector.js';
import { monthIndex } from './calendar.js';
import { clabe } from './documents.js';
import { cents, type FiscalContext } from './fiscal-context.js';
import { isr, type MonthTotals } from './fiscal-invoices.js';
import { pesos, returnInfo, returnPdfs, type Filing } from './fiscal-return-filing.js';
import { provisionalIsr } from './fiscal-returns-monthly.js';
import { rng } from './random.js';

function yearTotals(fiscal: FiscalContext, year: number) {
  const months = Array.from({ length: 12 }, (_, i) => fiscal.month(monthIndex(year, i + 1)));
  const sum = (pick: (t: MonthTotals) => number) => months.reduce((s, t) => s + pick(t), 0);
  const personal = new Map<string, number>();
  for (const t of months) for (const d of t.personal) personal.set(d.rfc, (personal.get(d.rfc) ?? 0) + d.amount);
  let provisional = 0;
  for (let m = 1; m <= 12; m++) provisional += provisionalIsr(fiscal, monthIndex(year, m)).due;
  return {
    income: sum((t) => t.income16 + t.income0 + t.incomeExempt),
    expenses: sum((t) => t.expenses),
    payrollGross: sum((t) => t.payrollGross),
    payrollIsr: sum((t) => t.payrollIsr),
    personal,
    provisional,
  };
}

export function yearlyPersonal(fiscal: FiscalContext, year: number, f: Filing): ExtractedRecord {
  const y = yearTotals(fiscal, year);
  const tp = fiscal.tp;
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
    informacion_general: returnInfo(fiscal, 'Del Ejercicio', year, f),
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
    ...returnPdfs(fiscal, `Declaración anual de personas físicas - Ejercicio ${year}`, [
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

export function yearlyBusiness(fiscal: FiscalContext, year: number, f: Filing): ExtractedRecord {
  const y = yearTotals(fiscal, year);
  const tp = fiscal.tp;
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
    informacion_general: returnInfo(fiscal, 'Del Ejercicio', year, f),
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
    ...returnPdfs(fiscal, `Declaración anual de personas morales - Ejercicio ${year}`, [
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
