/**
 * CFDI 4.0 XML for sandbox invoices: the structure of a real stamped comprobante (Emisor,
 * Receptor, Conceptos with their taxes, the Impuestos summary, and a Complemento with the
 * TimbreFiscalDigital, plus the payroll or payment complement when the type calls for it), with
 * every amount equal to the invoice's JSON. Seals and certificates are deterministic filler:
 * well-formed base64, not signatures.
 */
import { createHash } from 'node:crypto';
import { Rng } from './random.js';

export interface CfdiParty {
  rfc: string;
  name: string;
  /** SAT regime code: 601 (companies), 605 (salaried), 612 (professionals)... */
  regime: string;
}

export interface CfdiLine {
  productCode: string;
  quantity: number;
  unitCode: string;
  unitName: string;
  description: string;
  /** Cents. */
  unitPrice: number;
  /** quantity x unitPrice, cents. */
  amount: number;
  /** Cents. */
  discount: number;
  /** 0.16, 0, or null for VAT-exempt; ignored when `taxable` is false. */
  taxRate: number | null;
  /** VAT on (amount - discount), cents. */
  tax: number;
  /** ObjetoImp 02 ("sí objeto de impuesto") vs 01 (payroll and payment receipts). */
  taxable: boolean;
}

export interface CfdiPayroll {
  paymentDate: string;
  from: string;
  to: string;
  days: number;
  gross: number;
  isr: number;
  socialSecurity: number;
  employerRegistration: string;
  curp: string;
  nss: string;
  employeeNumber: string;
  startDate: string;
  seniorityWeeks: number;
  dailySalary: number;
  stateCode: string;
}

export interface CfdiPayment {
  dateTime: string;
  form: string;
  amount: number;
  operation: string;
  relatedUuid: string;
  relatedSerie: string;
  relatedFolio: string;
  previousBalance: number;
  outstanding: number;
}

export interface CfdiInvoice {
  uuid: string;
  serie: string;
  folio: string;
  /** Local issue time, `YYYY-MM-DDTHH:MM:SS`. */
  issuedAt: string;
  stampedAt: string;
  /** I Ingreso, E Egreso, N Nómina, P Pago. */
  kind: 'I' | 'E' | 'N' | 'P';
  sender: CfdiParty;
  receiver: CfdiParty & { postalCode: string; usage: string };
  placeOfIssue: string;
  paymentForm: string | null;
  paymentMethod: string | null;
  currency: string;
  subtotal: number;
  discount: number;
  total: number;
  lines: CfdiLine[];
  relatedUuid?: string;
  payroll?: CfdiPayroll;
  payment?: CfdiPayment;
}

/** Escapes text for a double-quoted XML attribute. */
export function xmlAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const money = (cents: number) => (cents / 100).toFixed(2);
const rate = (r: number) => r.toFixed(6);

/** An element with attributes (undefined/null ones left out) and optional children. */
function el(name: string, attrs: Record<string, string | number | null | undefined>, children?: string[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
  return children && children.length > 0 ? `<${name}${a}>${children.join('')}</${name}>` : `<${name}${a}/>`;
}

/**
 * Deterministic base64 filler of `bytes` bytes, standing in for a seal or certificate: one
 * SHA-256 of `seed` seeds a generator that supplies the bytes (a hash chain per 32 bytes made
 * XML-heavy extractions several times slower).
 */
function filler(seed: string, bytes: number): string {
  const d = createHash('sha256').update(seed).digest();
  const r = new Rng(d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12));
  const out = Buffer.allocUnsafe(bytes + 3);
  for (let i = 0; i < bytes; i += 4) out.writeUInt32LE(r.u32(), i);
  return out.subarray(0, bytes).toString('base64');
}

/** Certificates belong to the issuer: one per RFC. */
const certificates = new Map<string, string>();
function certificate(rfc: string): string {
  let cert = certificates.get(rfc);
  if (cert === undefined) {
    cert = filler(`${rfc}:certificado`, 96);
    if (certificates.size < 10_000) certificates.set(rfc, cert);
  }
  return cert;
}

const SAT_PAC_RFC = 'SAT970701NN3';

export function cfdiXml(inv: CfdiInvoice): string {
  const seal = filler(`${inv.uuid}:sello`, 256);
  const taxable = inv.lines.filter((l) => l.taxable);

  const concepts = inv.lines.map((l) => {
    const base = l.amount - l.discount;
    const taxes = l.taxable
      ? [
          el('cfdi:Impuestos', {}, [
            el('cfdi:Traslados', {}, [
              l.taxRate === null
                ? el('cfdi:Traslado', { Base: money(base), Impuesto: '002', TipoFactor: 'Exento' })
                : el('cfdi:Traslado', { Base: money(base), Impuesto: '002', TipoFactor: 'Tasa', TasaOCuota: rate(l.taxRate), Importe: money(l.tax) }),
            ]),
          ]),
        ]
      : [];
    return el(
      'cfdi:Concepto',
      {
        ClaveProdServ: l.productCode,
        Cantidad: l.quantity,
        ClaveUnidad: l.unitCode,
        Unidad: l.unitName,
        Descripcion: l.description,
        ValorUnitario: money(l.unitPrice),
        Importe: money(l.amount),
        Descuento: l.discount > 0 ? money(l.discount) : undefined,
        ObjetoImp: l.taxable ? '02' : '01',
      },
      taxes,
    );
  });

  // The summary groups transferred VAT by rate (exempt lines report their base only).
  const groups = new Map<string, { base: number; tax: number; rate: number | null }>();
  for (const l of taxable) {
    const key = l.taxRate === null ? 'exento' : rate(l.taxRate);
    const g = groups.get(key) ?? { base: 0, tax: 0, rate: l.taxRate };
    g.base += l.amount - l.discount;
    g.tax += l.tax;
    groups.set(key, g);
  }
  const totalTax = taxable.reduce((s, l) => s + l.tax, 0);
  const summary =
    groups.size > 0
      ? [
          el('cfdi:Impuestos', { TotalImpuestosTrasladados: [...groups.values()].some((g) => g.rate !== null) ? money(totalTax) : undefined }, [
            el(
              'cfdi:Traslados',
              {},
              [...groups.values()].map((g) =>
                g.rate === null
                  ? el('cfdi:Traslado', { Base: money(g.base), Impuesto: '002', TipoFactor: 'Exento' })
                  : el('cfdi:Traslado', { Base: money(g.base), Impuesto: '002', TipoFactor: 'Tasa', TasaOCuota: rate(g.rate), Importe: money(g.tax) }),
              ),
            ),
          ]),
        ]
      : [];

  const complements: string[] = [];
  if (inv.payroll) complements.push(payrollComplement(inv.payroll));
  if (inv.payment) complements.push(paymentComplement(inv.payment));
  complements.push(
    el('tfd:TimbreFiscalDigital', {
      'xmlns:tfd': 'http://www.sat.gob.mx/TimbreFiscalDigital',
      'xsi:schemaLocation':
        'http://www.sat.gob.mx/TimbreFiscalDigital http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd',
      Version: '1.1',
      UUID: inv.uuid,
      FechaTimbrado: inv.stampedAt,
      RfcProvCertif: SAT_PAC_RFC,
      SelloCFD: seal,
      NoCertificadoSAT: '00001000000509846663',
      SelloSAT: filler(`${inv.uuid}:sat`, 256),
    }),
  );

  const namespaces: Record<string, string> = {
    'xmlns:cfdi': 'http://www.sat.gob.mx/cfd/4',
    'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
  };
  let schemaLocation = 'http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd';
  if (inv.payroll) {
    namespaces['xmlns:nomina12'] = 'http://www.sat.gob.mx/nomina12';
    schemaLocation += ' http://www.sat.gob.mx/nomina12 http://www.sat.gob.mx/sitio_internet/cfd/nomina/nomina12.xsd';
  }
  if (inv.payment) {
    namespaces['xmlns:pago20'] = 'http://www.sat.gob.mx/Pagos20';
    schemaLocation += ' http://www.sat.gob.mx/Pagos20 http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd';
  }

  const body = el(
    'cfdi:Comprobante',
    {
      ...namespaces,
      'xsi:schemaLocation': schemaLocation,
      Version: '4.0',
      Serie: inv.serie,
      Folio: inv.folio,
      Fecha: inv.issuedAt,
      Sello: seal,
      FormaPago: inv.paymentForm,
      NoCertificado: '30001000000500003416',
      Certificado: certificate(inv.sender.rfc),
      SubTotal: inv.kind === 'P' ? '0' : money(inv.subtotal),
      Descuento: inv.discount > 0 ? money(inv.discount) : undefined,
      Moneda: inv.currency,
      TipoCambio: inv.currency === 'XXX' ? undefined : '1',
      Total: inv.kind === 'P' ? '0' : money(inv.total),
      TipoDeComprobante: inv.kind,
      Exportacion: '01',
      MetodoPago: inv.paymentMethod,
      LugarExpedicion: inv.placeOfIssue,
    },
    [
      ...(inv.relatedUuid
        ? [el('cfdi:CfdiRelacionados', { TipoRelacion: '01' }, [el('cfdi:CfdiRelacionado', { UUID: inv.relatedUuid })])]
        : []),
      el('cfdi:Emisor', { Rfc: inv.sender.rfc, Nombre: inv.sender.name, RegimenFiscal: inv.sender.regime }),
      el('cfdi:Receptor', {
        Rfc: inv.receiver.rfc,
        Nombre: inv.receiver.name,
        DomicilioFiscalReceptor: inv.receiver.postalCode,
        RegimenFiscalReceptor: inv.receiver.regime,
        UsoCFDI: inv.receiver.usage,
      }),
      el('cfdi:Conceptos', {}, concepts),
      ...summary,
      el('cfdi:Complemento', {}, complements),
    ],
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

function payrollComplement(p: CfdiPayroll): string {
  const deductions = p.isr + p.socialSecurity;
  return el(
    'nomina12:Nomina',
    {
      Version: '1.2',
      TipoNomina: 'O',
      FechaPago: p.paymentDate,
      FechaInicialPago: p.from,
      FechaFinalPago: p.to,
      NumDiasPagados: p.days.toFixed(3),
      TotalPercepciones: money(p.gross),
      TotalDeducciones: money(deductions),
    },
    [
      el('nomina12:Emisor', { RegistroPatronal: p.employerRegistration }),
      el('nomina12:Receptor', {
        Curp: p.curp,
        NumSeguridadSocial: p.nss,
        FechaInicioRelLaboral: p.startDate,
        'Antigüedad': `P${p.seniorityWeeks}W`,
        TipoContrato: '01',
        TipoRegimen: '02',
        NumEmpleado: p.employeeNumber,
        PeriodicidadPago: '04',
        SalarioDiarioIntegrado: money(p.dailySalary),
        ClaveEntFed: p.stateCode,
      }),
      el('nomina12:Percepciones', { TotalSueldos: money(p.gross), TotalGravado: money(p.gross), TotalExento: '0.00' }, [
        el('nomina12:Percepcion', {
          TipoPercepcion: '001',
          Clave: '001',
          Concepto: 'Sueldos, Salarios Rayas y Jornales',
          ImporteGravado: money(p.gross),
          ImporteExento: '0.00',
        }),
      ]),
      el('nomina12:Deducciones', { TotalOtrasDeducciones: money(p.socialSecurity), TotalImpuestosRetenidos: money(p.isr) }, [
        el('nomina12:Deduccion', { TipoDeduccion: '001', Clave: '001', Concepto: 'Seguridad social', Importe: money(p.socialSecurity) }),
        el('nomina12:Deduccion', { TipoDeduccion: '002', Clave: '002', Concepto: 'ISR', Importe: money(p.isr) }),
      ]),
    ],
  );
}

function paymentComplement(p: CfdiPayment): string {
  return el('pago20:Pagos', { Version: '2.0' }, [
    el('pago20:Totales', { MontoTotalPagos: money(p.amount) }),
    el(
      'pago20:Pago',
      { FechaPago: p.dateTime, FormaDePagoP: p.form, MonedaP: 'MXN', TipoCambioP: '1', Monto: money(p.amount), NumOperacion: p.operation },
      [
        el('pago20:DoctoRelacionado', {
          IdDocumento: p.relatedUuid,
          Serie: p.relatedSerie,
          Folio: p.relatedFolio,
          MonedaDR: 'MXN',
          EquivalenciaDR: '1',
          NumParcialidad: '1',
          ImpSaldoAnt: money(p.previousBalance),
          ImpPagado: money(p.amount),
          ImpSaldoInsoluto: money(p.outstanding),
          ObjetoImpDR: '01',
        }),
      ],
    ),
  ]);
}
