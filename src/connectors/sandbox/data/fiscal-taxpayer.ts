/**
 * The sandbox taxpayer behind an RFC (the fiscal institution's username), with who they bill and
 * who bills them. A 13-character RFC is a person (persona física: salaried and/or professional
 * services), a 12-character one a company (persona moral). The RFC's letters and date are
 * honoured: a person's name matches the letters and their birth date is the RFC date; a
 * company's name is built from its three letters and it was founded on the RFC date. A username
 * that is not an RFC stands for a taxpayer whose RFC is derived from it (`taxpayerRfc`).
 */
import type { Credentials, InstitutionDefinition } from '../../connector.js';
import { dayNumber, ymd } from './calendar.js';
import { MX_STATES, companyRfc, curp, lettersOf, nss, officialCase, personRfc } from './documents.js';
import { address, companyName, companyNameFor, email, mexicanPersonMatching, person, phone, type Address, type Person } from './people.js';
import { rng, rootSeed, type Rng, type Seed } from './random.js';

export interface Party {
  rfc: string;
  name: string;
  regime: string;
  postalCode: string;
}

export interface Product {
  code: string;
  unitCode: string;
  unitName: string;
  description: string;
  /** Unit price range in pesos (2024 prices). */
  min: number;
  max: number;
  qty: [number, number];
  /** VAT rate; null = exempt. */
  tax: number | null;
}

export interface SupplierKind {
  label: string;
  products: Product[];
  weight: number;
  usage: string;
  forms: string[];
  /** Chance an invoice is PPD (paid later, with a payment receipt). */
  ppd: number;
  /** Billed monthly on a fixed day instead of at random. */
  monthly?: boolean;
  /** The supplier is a person (doctors), so its RFC has 13 characters. */
  person?: boolean;
}

export interface Supplier {
  party: Party;
  kind: SupplierKind;
  /** Day of month for monthly suppliers. */
  day: number;
}

export interface Employee {
  party: Party;
  curp: string;
  nss: string;
  number: string;
  startDay: number;
  /** Monthly gross salary in pesos, 2024 prices. */
  monthlyGross: number;
  stateCode: string;
}

export interface Industry {
  activity: string;
  products: Product[];
}

export interface Taxpayer {
  seed: Seed;
  rfc: string;
  company: boolean;
  /** Official name, upper case: "LAURA MARTINEZ ORTIZ" or "GRUPO BAJIO SERVICIOS SA DE CV". */
  name: string;
  person: Person | null;
  curp: string | null;
  nss: string | null;
  birthDay: number | null;
  /** Start of operations before the SAT (registration). */
  startDay: number;
  address: Address;
  email: string;
  phone: string;
  idCif: string;
  party: Party;
  regimes: { code: string; name: string; start: number }[];
  /** Persons with a job: who pays their salary (they receive its payroll CFDIs). */
  employer: (Party & { registration: string; startDay: number; monthlyGross: number }) | null;
  clients: Party[];
  suppliers: Supplier[];
  employees: Employee[];
  /** What the taxpayer sells (companies) or the services they bill (persons). */
  industry: Industry;
  /** Mean invoices issued per business day. */
  issuedPerDay: number;
  /** Mean invoices received per day (besides monthly ones). */
  receivedPerDay: number;
  /** Companies: the profit coefficient for provisional ISR payments. */
  profitCoefficient: number;
  /** The compliance opinion: most taxpayers are up to date. */
  compliant: boolean;
}

export const REGIMES: Record<string, string> = {
  '601': 'Régimen General de Ley Personas Morales',
  '605': 'Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios',
  '612': 'Régimen de las Personas Físicas con Actividades Empresariales y Profesionales',
  '626': 'Régimen Simplificado de Confianza',
};

const p = (code: string, unitCode: string, unitName: string, description: string, min: number, max: number, qty: [number, number], tax: number | null): Product => ({
  code, unitCode, unitName, description, min, max, qty, tax,
});

const SUPPLIER_KINDS: SupplierKind[] = [
  { label: 'SERVICIO GASOLINERO', products: [p('15101514', 'LTR', 'Litro', 'Gasolina Magna', 22.5, 24.9, [20, 55], 0.16)], weight: 5, usage: 'G03', forms: ['04', '28', '01'], ppd: 0 },
  { label: 'RESTAURANTE', products: [p('90101501', 'E48', 'Unidad de servicio', 'Consumo de alimentos', 250, 1800, [1, 1], 0.16)], weight: 4, usage: 'G03', forms: ['04', '28'], ppd: 0 },
  { label: 'SUPERMERCADOS', products: [p('50192100', 'H87', 'Pieza', 'Productos de despensa', 25, 250, [1, 8], 0), p('47131800', 'H87', 'Pieza', 'Artículos de limpieza', 30, 180, [1, 4], 0.16)], weight: 3, usage: 'S01', forms: ['04', '28'], ppd: 0 },
  { label: 'FARMACIAS', products: [p('51101500', 'H87', 'Pieza', 'Medicamentos', 45, 650, [1, 3], 0)], weight: 2, usage: 'S01', forms: ['04', '28', '01'], ppd: 0 },
  { label: 'CONSULTORIO', products: [p('85121800', 'E48', 'Unidad de servicio', 'Consulta médica', 600, 1800, [1, 1], null)], weight: 1.5, usage: 'D01', forms: ['03', '04'], ppd: 0, person: true },
  { label: 'PAPELERIA Y OFICINA', products: [p('44121600', 'H87', 'Pieza', 'Artículos de oficina', 15, 450, [1, 12], 0.16)], weight: 1.5, usage: 'G03', forms: ['04', '03'], ppd: 0.1 },
  { label: 'MENSAJERIA EXPRESS', products: [p('78102200', 'E48', 'Unidad de servicio', 'Servicio de mensajería y paquetería', 150, 2500, [1, 3], 0.16)], weight: 1, usage: 'G03', forms: ['03', '04'], ppd: 0.2 },
  { label: 'TELECOMUNICACIONES', products: [p('81161700', 'E48', 'Unidad de servicio', 'Servicio de internet y telefonía', 389, 899, [1, 1], 0.16)], weight: 0, usage: 'G03', forms: ['03'], ppd: 0, monthly: true },
];

const COMPANY_SUPPLIER_KINDS: SupplierKind[] = [
  { label: 'INMOBILIARIA', products: [p('80131500', 'E48', 'Unidad de servicio', 'Arrendamiento de oficina', 15000, 65000, [1, 1], 0.16)], weight: 0, usage: 'G03', forms: ['03'], ppd: 0.5, monthly: true },
  { label: 'SERVICIOS EN LA NUBE', products: [p('81112100', 'E48', 'Unidad de servicio', 'Servicios de hospedaje en la nube', 1500, 25000, [1, 1], 0.16)], weight: 0, usage: 'G03', forms: ['04'], ppd: 0, monthly: true },
  { label: 'DESPACHO CONTABLE', products: [p('84111500', 'E48', 'Unidad de servicio', 'Servicios contables', 4000, 18000, [1, 1], 0.16)], weight: 0, usage: 'G03', forms: ['03'], ppd: 0.6, monthly: true },
  { label: '', products: [], weight: 14, usage: 'G01', forms: ['03'], ppd: 0.6 },
];

const PERSON_SERVICES: Industry = {
  activity: 'Otros servicios profesionales, científicos y técnicos',
  products: [
    p('80101500', 'E48', 'Unidad de servicio', 'Servicios de consultoría de negocios', 3000, 35000, [1, 1], 0.16),
    p('81111500', 'HUR', 'Hora', 'Desarrollo de software', 450, 1500, [5, 40], 0.16),
    p('82101500', 'E48', 'Unidad de servicio', 'Diseño gráfico y publicidad', 2500, 18000, [1, 1], 0.16),
    p('86101700', 'HUR', 'Hora', 'Servicios de capacitación', 600, 1800, [4, 16], 0.16),
  ],
};

const INDUSTRIES: Industry[] = [
  {
    activity: 'Comercio al por mayor de abarrotes',
    products: [
      p('50192100', 'H87', 'Pieza', 'Abarrotes surtidos', 12, 180, [10, 400], 0),
      p('50202300', 'H87', 'Pieza', 'Bebidas no alcohólicas', 9, 35, [24, 480], 0.16),
      p('50161500', 'H87', 'Pieza', 'Chocolates y dulces', 8, 60, [20, 300], 0.16),
    ],
  },
  {
    activity: 'Servicios de consultoría en computación',
    products: [
      p('81111500', 'E48', 'Unidad de servicio', 'Desarrollo de software a la medida', 20000, 280000, [1, 1], 0.16),
      p('81112200', 'E48', 'Unidad de servicio', 'Soporte técnico mensual', 8000, 60000, [1, 1], 0.16),
      p('43232300', 'H87', 'Pieza', 'Licencia de software', 1200, 9000, [1, 25], 0.16),
    ],
  },
  {
    activity: 'Autotransporte local de carga general',
    products: [
      p('78101800', 'E48', 'Unidad de servicio', 'Flete terrestre', 4000, 60000, [1, 1], 0.16),
      p('78141500', 'E48', 'Unidad de servicio', 'Maniobras de carga y descarga', 800, 6000, [1, 1], 0.16),
    ],
  },
  {
    activity: 'Comercio al por mayor de materiales para la construcción',
    products: [
      p('30111601', 'H87', 'Pieza', 'Cemento gris bulto 50 kg', 220, 280, [10, 400], 0.16),
      p('30103600', 'KGM', 'Kilogramo', 'Varilla corrugada', 20, 30, [100, 3000], 0.16),
      p('30102200', 'H87', 'Pieza', 'Lámina galvanizada', 350, 900, [5, 120], 0.16),
    ],
  },
];

const TRADE_NAMES = ['LOS PINOS', 'DEL VALLE', 'EL ROBLE', 'SAN ANGEL', 'LAS FLORES', 'INSURGENTES', 'LA ESPERANZA', 'DEL BAJIO', 'SANTA FE', 'EL FARO'];

/** A fictional person who invoices (doctors bill as persons). */
function partyPerson(r: Rng): Party {
  const who = person(r, 'MX');
  const birth = { year: r.int(1960, 1998), month: r.int(1, 12), day: r.int(1, 28) };
  return { rfc: personRfc(r, who, birth), name: officialCase(who.display), regime: '612', postalCode: address(r, 'MX').postalCode };
}

function partyCompany(r: Rng, name = companyName(r, 'MX')): Party {
  const founded = { year: r.int(1985, 2019), month: r.int(1, 12), day: r.int(1, 28) };
  return { rfc: companyRfc(r, lettersOf(name, 3), founded), name, regime: '601', postalCode: address(r, 'MX').postalCode };
}

/** Parses the RFC's YYMMDD; undefined when it is not a calendar date. */
function rfcDate(rfc: string, letters: number, pivot: number): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(rfc.slice(letters, letters + 6));
  if (!m) return undefined;
  const yy = Number(m[1]);
  const year = yy <= pivot ? 2000 + yy : 1900 + yy;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const n = dayNumber(year, month, day);
  return ymd(n).day === day ? n : undefined;
}

/** An RFC as SAT writes it: 3 letters (company) or 4 (person), the date as YYMMDD, a 3-character homoclave. */
const RFC_SHAPE = /^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$/;

/**
 * The RFC a sandbox login stands for. The sandbox takes any username: one shaped like an RFC
 * (any case, accents ignored) is that taxpayer's RFC; an empty one is SAT's generic RFC; any other
 * username (`user_valid`, `mfa_user`…) stands for a taxpayer whose RFC is derived from it: a person
 * or a company, always the same one for the same username (ignoring case and surrounding spaces).
 */
export function taxpayerRfc(institution: InstitutionDefinition, username: string): string {
  const typed = officialCase(username.trim());
  if (typed === '') return 'XAXX010101000';
  if (RFC_SHAPE.test(typed)) return typed;
  const r = rng(rootSeed('fiscal-rfc', institution.name, username.trim().toLowerCase()), 1);
  if (r.chance(0.5)) {
    const founded = { year: r.int(1990, 2018), month: r.int(1, 12), day: r.int(1, 28) };
    return companyRfc(r, lettersOf(companyName(r, 'MX'), 3), founded);
  }
  const birth = { year: r.int(1965, 1998), month: r.int(1, 12), day: r.int(1, 28) };
  return personRfc(r, person(r, 'MX'), birth);
}

export function planTaxpayer(institution: InstitutionDefinition, credentials: Credentials): Taxpayer {
  const rfc = taxpayerRfc(institution, credentials.username ?? '');
  const seed = rootSeed('fiscal', institution.name, rfc.toLowerCase());
  const r = rng(seed, 1);
  const company = /^[A-ZÑ&]{3}\d/.test(rfc);
  const home = address(r, 'MX');

  let name: string;
  let who: Person | null = null;
  let curpValue: string | null = null;
  let nssValue: string | null = null;
  let birthDay: number | null = null;
  let startDay: number;
  if (company) {
    name = companyNameFor(r, rfc.slice(0, 3));
    startDay = rfcDate(rfc, 3, 30) ?? dayNumber(r.int(1990, 2018), r.int(1, 12), r.int(1, 28));
  } else {
    const sex = r.chance(0.5) ? 'H' : 'M';
    who = mexicanPersonMatching(r, rfc.slice(0, 4), sex);
    name = officialCase(who.display);
    birthDay = rfcDate(rfc, 4, 10) ?? dayNumber(r.int(1965, 1998), r.int(1, 12), r.int(1, 28));
    const birth = ymd(birthDay);
    const state = MX_STATES.find((s) => s.code === home.stateCode) ?? r.pick(MX_STATES);
    curpValue = curp(who, birth, sex, state.code, r);
    // Registered with SAT when they started working, around age 22.
    startDay = Math.max(birthDay + 22 * 365 + r.int(0, 4 * 365), dayNumber(2002, 1, 1));
    nssValue = nss(r, ymd(startDay).year, birth.year);
  }

  const industry = company ? r.pick(INDUSTRIES) : PERSON_SERVICES;
  const employed = !company && r.chance(0.7);
  const employer = employed
    ? {
        ...partyCompany(r),
        registration: `${r.chars(1, 'ABCDEFGHJKLMNPRSTUVWXYZ')}${r.digits(10)}`,
        startDay: Math.max(startDay, dayNumber(2016, 1, 1) + r.int(0, 5 * 365)),
        monthlyGross: r.int(18, 90) * 1000,
      }
    : null;

  const clients = Array.from({ length: company ? 12 : 5 }, () => partyCompany(r));
  const suppliers: Supplier[] = [];
  for (const kind of SUPPLIER_KINDS) {
    const count = kind.monthly ? 1 : kind.weight >= 3 ? 3 : 2;
    for (let i = 0; i < count; i++) {
      const party = kind.person ? partyPerson(r) : partyCompany(r, `${kind.label} ${r.pick(TRADE_NAMES)} SA DE CV`);
      suppliers.push({ party, kind, day: r.int(2, 27) });
    }
  }
  if (company) {
    for (const kind of COMPANY_SUPPLIER_KINDS) {
      const count = kind.monthly ? 1 : 4;
      for (let i = 0; i < count; i++) {
        // Wholesale suppliers sell what the company resells or uses.
        const products = kind.products.length > 0 ? kind.products : industry.products.map((x) => ({ ...x, min: x.min * 0.65, max: x.max * 0.75 }));
        const party = kind.label ? partyCompany(r, `${kind.label} ${r.pick(TRADE_NAMES)} SC`) : partyCompany(r);
        suppliers.push({ party, kind: { ...kind, products }, day: r.int(1, 10) });
      }
    }
  }

  const employees: Employee[] = company
    ? Array.from({ length: r.int(4, 14) }, (_, i) => {
        const who = person(r, 'MX');
        const birth = { year: r.int(1965, 2003), month: r.int(1, 12), day: r.int(1, 28) };
        const state = r.pick(MX_STATES);
        return {
          party: { rfc: personRfc(r, who, birth), name: officialCase(who.display), regime: '605', postalCode: address(r, 'MX').postalCode },
          curp: curp(who, birth, who.sex, state.code, r),
          nss: nss(r, Math.min(2023, birth.year + 20), birth.year),
          number: String(100 + i),
          startDay: Math.max(startDay, dayNumber(2012, 1, 1) + r.int(0, 10 * 365)),
          monthlyGross: r.int(9, 55) * 1000,
          stateCode: 'DIF',
        };
      })
    : [];

  const regimes = company
    ? [{ code: '601', name: REGIMES['601'], start: startDay }]
    : [
        ...(employer ? [{ code: '605', name: REGIMES['605'], start: startDay }] : []),
        { code: '612', name: REGIMES['612'], start: employer ? startDay + r.int(200, 2000) : startDay },
      ];

  return {
    seed,
    rfc,
    company,
    name,
    person: who,
    curp: curpValue,
    nss: nssValue,
    birthDay,
    startDay,
    address: home,
    email: company
      ? `facturacion@${name.toLowerCase().replace(/[^a-z]+/g, '').slice(0, 14)}.mx`
      : email(r, 'MX', who!),
    phone: phone(r, 'MX').replace(/\D/g, '').slice(-10),
    idCif: r.digits(11),
    party: { rfc, name, regime: company ? '601' : '612', postalCode: home.postalCode },
    regimes,
    employer,
    clients,
    suppliers,
    employees,
    industry,
    issuedPerDay: company ? r.float(1.5, 3.5) : r.float(0.05, 0.15),
    receivedPerDay: company ? r.float(2, 4) : r.float(0.3, 0.8),
    profitCoefficient: Math.round(r.float(0.08, 0.35) * 10000) / 10000,
    compliant: r.chance(0.85),
  };
}
