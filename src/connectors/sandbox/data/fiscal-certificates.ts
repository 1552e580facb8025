/**
 * The taxpayer's two certificates as of the request's day: the tax status certificate (constancia
 * de situación fiscal: identity, address, activities, regimes and obligations) and the compliance
 * opinion (opinión de cumplimiento), each optionally with its PDF.
 */
import type { ExtractedRecord } from '../../connector.js';
import { SPANISH_MONTHS, isoDate, ymd } from './calendar.js';
import { officialCase } from './documents.js';
import { pad2, type FiscalContext } from './fiscal-context.js';
import { pdfBase64, pdfDate } from './pdf.js';
import { hashHex, rng } from './random.js';

export function taxStatus(fiscal: FiscalContext): ExtractedRecord {
  const tp = fiscal.tp;
  const r = rng(tp.seed, 30);
  const { year, month, day } = ymd(fiscal.today);
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
    pdf: fiscal.request.attachPdf
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
          creationDate: pdfDate(`${isoDate(fiscal.today)}T12:00:00`),
        })
      : null,
  };
  return record;
}

export function complianceStatus(fiscal: FiscalContext): ExtractedRecord {
  const tp = fiscal.tp;
  // Every consultation issues a new opinion with its own folio (one per day here).
  const r = rng(tp.seed, 31, fiscal.today);
  const { year } = ymd(fiscal.today);
  const folio = `${String(year % 100).padStart(2, '0')}N${tp.compliant ? 'A' : 'B'}${r.digits(7)}`;
  const outcome = tp.compliant ? 'POSITIVE' : 'NEGATIVE';
  return {
    internal_identification: folio,
    rfc: tp.rfc,
    outcome,
    pdf: fiscal.request.attachPdf
      ? pdfBase64({
          title: 'Opinión del cumplimiento de obligaciones fiscales',
          lines: [
            `Folio: ${folio}`,
            `Fecha: ${isoDate(fiscal.today)}`,
            `RFC: ${tp.rfc}`,
            `Nombre, denominación o razón social: ${tp.name}`,
            '',
            `Sentido: ${tp.compliant ? 'POSITIVO' : 'NEGATIVO'}`,
            tp.compliant
              ? 'El contribuyente se encuentra al corriente en el cumplimiento de sus obligaciones fiscales.'
              : 'El contribuyente tiene obligaciones fiscales pendientes de cumplir.',
          ],
          creationDate: pdfDate(`${isoDate(fiscal.today)}T12:00:00`),
        })
      : null,
  };
}
