/**
 * What every tax return shares, monthly or yearly, person or company: when it was filed, the
 * form's general-information header, whole-peso amounts and the PDFs (the return and the SAT's
 * acknowledgement of receipt).
 */
import { dayInMonth, epochMs, isoDate, monthIndex } from './calendar.js';
import { hhmmss, type FiscalContext } from './fiscal-context.js';
import { pdfBase64, pdfDate } from './pdf.js';
import { hashHex, rng } from './random.js';

/** When a return was filed (day and seconds after midnight) and its operation number. */
export interface Filing {
  day: number;
  sec: number;
  operation: string;
}

/** Tax forms show whole pesos. */
export const pesos = (centsValue: number) => Math.round(centsValue / 100);

/** When the return for `period` was filed: yearly in March (companies) or April (persons), monthly by the 17th. */
export function filing(fiscal: FiscalContext, kind: 'yearly' | 'monthly', period: number): Filing {
  const r = rng(fiscal.tp.seed, 20, kind === 'yearly' ? period : period + 100_000);
  const day =
    kind === 'yearly'
      ? dayInMonth(monthIndex(period + 1, fiscal.tp.company ? 3 : 4), r.int(5, 28))
      : dayInMonth(period + 1, r.int(8, 17));
  return { day, sec: r.int(9 * 3600, 21 * 3600), operation: r.digits(fiscal.tp.company ? 12 : 11) };
}

/** Whether the return was filed by the request's `now`. */
export function filed(fiscal: FiscalContext, f: { day: number; sec: number }): boolean {
  return epochMs(f.day, f.sec) <= fiscal.nowMs;
}

function filedAt(f: { day: number; sec: number }): string {
  // SAT prints Mexico City time; the sandbox's clock is UTC, shown here with its offset.
  return `${isoDate(f.day)}T${hhmmss(f.sec).slice(0, 5)}:00-06:00`;
}

/** The return's general-information header (informacion_general). */
export function returnInfo(fiscal: FiscalContext, period: string, year: number, f: Filing): Record<string, unknown> {
  return {
    rfc: fiscal.tp.rfc,
    ...(fiscal.tp.company ? { denominacion_razon_social: fiscal.tp.name } : { nombre: fiscal.tp.name }),
    tipo_declaracion: 'Normal',
    ...(fiscal.tp.company ? { tipo_complementaria: null } : {}),
    ejercicio: year,
    periodo_declaracion: period,
    fecha_hora_presentacion: filedAt(f),
    numero_operacion: f.operation,
  };
}

/** The return's `pdf` and `receipt_pdf`: null unless the request asks for PDFs. */
export function returnPdfs(fiscal: FiscalContext, title: string, lines: string[], f: Filing) {
  if (!fiscal.request.attachPdf) return { pdf: null, receipt_pdf: null };
  const creationDate = pdfDate(`${isoDate(f.day)}T${hhmmss(f.sec)}`);
  const header = [`RFC: ${fiscal.tp.rfc}`, `Nombre: ${fiscal.tp.name}`, `Número de operación: ${f.operation}`, `Presentada: ${filedAt(f)}`, ''];
  return {
    pdf: pdfBase64({ title, lines: [...header, ...lines], creationDate }),
    receipt_pdf: pdfBase64({
      title: 'Acuse de recibo de la declaración',
      lines: [...header, title, '', 'El SAT recibió la declaración con los datos anteriores.', `Sello digital: ${hashHex('acuse', fiscal.tp.rfc, f.operation).slice(0, 48)}`],
      creationDate,
    }),
  };
}
