/**
 * Who a sandbox bank user is: the accounts they hold, their income, bills and owners. This is
 * the static part of the data (a function of institution + username only); `bank-ledger.ts` turns
 * it into dated transactions.
 */
import type { Credentials, InstitutionDefinition } from '../../connector.js';
import { dayNumber, monthOfDay } from './calendar.js';
import {
  MX_STATES,
  cardNumber,
  clabe,
  companyRfc,
  cpf,
  cpfValid,
  curp,
  lettersOf,
} from './documents.js';
import { formatCpf } from '../../../documents/cpf.js';
import { BILLS, BUSINESS_SUPPLIERS, MERCHANTS, type Bill, type Merchant } from './merchants.js';
import { address, companyName, email, person, phone, type Country } from './people.js';
import { fnv1a, hashHex, rng, rootSeed, type Rng, type Seed } from './random.js';

/** Keys that separate the generators of different concerns. */
export const K = {
  profile: 1,
  account: 2,
  day: 3,
  period: 4,
  opening: 5,
  owner: 6,
  loan: 7,
} as const;

export type AccountKind = 'checking' | 'savings' | 'credit' | 'loan' | 'investment';

export interface LoanPlan {
  /** Amount received, in currency units. */
  principal: number;
  /** Installments per contract. */
  term: number;
  /** Monthly interest rate (fraction). */
  monthlyRate: number;
  /** Installment in cents. */
  installment: number;
  /** Month index of the first contract's disbursement. Contracts renew back to back (a revolving line). */
  firstMonth: number;
  /** Day of month of disbursements and installments. */
  day: number;
  loanType: string;
  yearlyRate: number;
  fee: number;
}

export interface AccountPlan {
  index: number;
  kind: AccountKind;
  /** internal_identification: stable, upper-case hex. */
  id: string;
  openedDay: number;
  /** Periods (statements) start on this day of month: 1, or the day after a card's cut. */
  anchor: number;
  /** Typical balance in currency units at 2024 prices (assets). */
  level: number;
  category: 'CHECKING_ACCOUNT' | 'SAVINGS_ACCOUNT' | 'CREDIT_CARD' | 'LOAN_ACCOUNT' | 'INVESTMENT_ACCOUNT';
  balanceType: 'ASSET' | 'LIABILITY';
  type: string;
  name: string;
  number: string;
  publicName: string | null;
  publicValue: string | null;
  /** Last four digits, printed in transfer and card-payment descriptions. */
  last4: string;
  /** Mean card purchases a day (credit cards). */
  intensity: number;
  /**
   * Multiplier on catalogue prices so that everyday spending on this account is a plausible share
   * of the user's income, whatever their income and how often they buy.
   */
  scale: number;
  creditLimit: number;
  cutDay: number;
  /** Yearly interest (credit cards) or yield (savings, investments), percent. */
  rate: number;
  /** A monthly account-keeping fee in currency units, or 0. */
  monthlyFee: number;
  loan?: LoanPlan;
}

export interface OwnerPlan {
  id: string;
  displayName: string;
  email: string;
  phone: string;
  address: string;
  documentType: string;
  documentNumber: string;
}

export interface ScheduledBill {
  bill: Bill;
  day: number;
  /** Index of the paying account. */
  account: number;
  /** For bimonthly bills: which month parity pays. */
  parity: number;
}

export interface BankPlan {
  institution: InstitutionDefinition;
  seed: Seed;
  country: Country;
  business: boolean;
  /** Belvo's sandbox user `bnk100`: the "full" dataset. */
  full: boolean;
  currency: 'MXN' | 'COP' | 'BRL';
  /** Local currency units per Mexican peso, for amounts defined once (salaries, rent...). */
  fx: number;
  /** Amounts are multiples of this many cents (COP: 100 pesos). */
  unit: number;
  /** Net monthly income (retail) or revenue (business) in currency units, 2024 prices. */
  income: number;
  employer: string;
  /** Mean checking-account purchases a day. */
  intensity: number;
  rent: { amount: number; day: number } | null;
  bills: ScheduledBill[];
  contacts: string[];
  clients: string[];
  accounts: AccountPlan[];
  owners: OwnerPlan[];
}

const FX: Record<Country, { currency: 'MXN' | 'COP' | 'BRL'; fx: number; unit: number }> = {
  MX: { currency: 'MXN', fx: 1, unit: 1 },
  CO: { currency: 'COP', fx: 230, unit: 10_000 },
  BR: { currency: 'BRL', fx: 0.29, unit: 1 },
};

/** The username that gets Belvo's "full" sandbox dataset. */
export const FULL_DATASET_USER = 'bnk100';

export function normaliseUsername(credentials: Credentials): string {
  return (credentials.username ?? '').trim().toLowerCase();
}

export function countryOf(institution: InstitutionDefinition): Country {
  const c = institution.country_codes[0];
  return c === 'CO' || c === 'BR' ? c : 'MX';
}

/** The brand as printed on products: "Erebor" for `erebor_mx_retail`. */
function brandOf(institution: InstitutionDefinition): string {
  const word = institution.name.split('_')[0] ?? 'banco';
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Builds the plan. Pure: the same institution and credentials always give the same plan. */
export function planBank(institution: InstitutionDefinition, credentials: Credentials): BankPlan {
  const username = normaliseUsername(credentials);
  const seed = rootSeed('bank', institution.name, username);
  const r = rng(seed, K.profile);
  const country = countryOf(institution);
  const business = institution.name.endsWith('_business');
  const full = username === FULL_DATASET_USER;
  const { currency, fx, unit } = FX[country];

  // Income in pesos first, then local currency: the catalogue of amounts is defined once.
  const incomeMx = business ? (full ? 1_800_000 : r.int(300, 3000) * 1000) : full ? 120_000 : r.int(14, 70) * 1000;
  const income = incomeMx * fx;
  const employer = companyName(r, country);
  const intensity = business ? 0 : full ? 2.2 : r.float(0.8, 2.0);

  const contacts = Array.from({ length: 6 }, () => person(r, country).display);
  const clients = Array.from({ length: 8 }, () => companyName(r, country));

  const accounts = planAccounts(r, seed, institution, country, business, full, income, fx, unit, intensity);
  const checking = accounts[0];
  const cards = accounts.filter((a) => a.kind === 'credit');

  // Recurring bills: each either on the checking account (domiciled) or on a card.
  const bills: ScheduledBill[] = [];
  if (!business) {
    for (const bill of BILLS[country]) {
      if (!full && !r.chance(0.55)) continue;
      const onCard = bill.channel === 'c' && cards.length > 0;
      bills.push({
        bill,
        day: r.int(2, 27),
        account: onCard ? r.pick(cards).index : checking.index,
        parity: r.int(0, 1),
      });
    }
  }
  const rent = !business && (full || r.chance(0.6)) ? { amount: Math.round(income * r.float(0.18, 0.3)), day: r.int(1, 5) } : null;

  return {
    institution,
    seed,
    country,
    business,
    full,
    currency,
    fx,
    unit,
    income,
    employer,
    intensity,
    rent,
    bills,
    contacts,
    clients,
    accounts,
    owners: planOwners(seed, institution, country, business, full, credentials),
  };
}

const PRODUCTS: Record<Country, Record<AccountKind, { type: string; names: string[] }>> = {
  MX: {
    checking: { type: 'Cuentas de efectivo', names: ['Cuenta Perfiles', 'Cuenta Libretón', 'Cuenta Nómina', 'Cuenta Digital'] },
    savings: { type: 'Cuentas de ahorro', names: ['Cuenta de Ahorro', 'Ahorro Plus', 'Mi Ahorro'] },
    credit: { type: 'Tarjetas de crédito', names: ['Oro', 'Platinum', 'Clásica', 'Azul'] },
    loan: { type: 'Créditos', names: ['Crédito Personal', 'Crédito de Nómina'] },
    investment: { type: 'Inversiones', names: ['Inversión a Plazo', 'Pagaré Digital'] },
  },
  CO: {
    checking: { type: 'Cuentas', names: ['Cuenta Corriente', 'Cuenta Corriente Plus'] },
    savings: { type: 'Cuentas', names: ['Cuenta de Ahorros', 'Cuenta de Ahorros Nómina'] },
    credit: { type: 'Tarjetas de crédito', names: ['Visa Clásica', 'Mastercard Oro', 'Visa Platinum'] },
    loan: { type: 'Créditos', names: ['Crédito de Libre Inversión', 'Crédito de Libranza'] },
    investment: { type: 'Inversiones', names: ['CDT Digital', 'Fondo de Inversión'] },
  },
  BR: {
    checking: { type: 'Contas', names: ['Conta Corrente', 'Conta Digital'] },
    savings: { type: 'Contas', names: ['Poupança', 'Poupança Fácil'] },
    credit: { type: 'Cartões de crédito', names: ['Gold', 'Platinum', 'Internacional'] },
    loan: { type: 'Empréstimos', names: ['Empréstimo Pessoal', 'Crédito Consignado'] },
    investment: { type: 'Investimentos', names: ['CDB Liquidez Diária', 'Fundo DI'] },
  },
};

const BUSINESS_PRODUCTS: Partial<Record<AccountKind, string>> = {
  checking: 'Cuenta Empresarial',
  credit: 'Tarjeta Empresarial',
  loan: 'Crédito PyME',
  investment: 'Inversión Empresarial',
};

const CATEGORY: Record<AccountKind, AccountPlan['category']> = {
  checking: 'CHECKING_ACCOUNT',
  savings: 'SAVINGS_ACCOUNT',
  credit: 'CREDIT_CARD',
  loan: 'LOAN_ACCOUNT',
  investment: 'INVESTMENT_ACCOUNT',
};

function planAccounts(
  r: Rng,
  seed: Seed,
  institution: InstitutionDefinition,
  country: Country,
  business: boolean,
  full: boolean,
  income: number,
  fx: number,
  unit: number,
  debitIntensity: number,
): AccountPlan[] {
  let kinds: AccountKind[];
  if (full) kinds = ['checking', 'savings', 'credit', 'credit', 'loan', 'investment'];
  else if (business) {
    kinds = ['checking'];
    if (r.chance(0.7)) kinds.push('credit');
    if (r.chance(0.5)) kinds.push('loan');
    if (r.chance(0.4)) kinds.push('investment');
    if (kinds.length === 1) kinds.push('credit');
  } else {
    kinds = ['checking'];
    if (r.chance(0.7)) kinds.push('savings');
    if (r.chance(0.8)) kinds.push('credit');
    if (r.chance(0.25)) kinds.push('credit');
    if (r.chance(0.35)) kinds.push('loan');
    if (r.chance(0.2)) kinds.push('investment');
    if (kinds.length === 1) kinds.push(r.chance(0.5) ? 'savings' : 'credit');
  }

  const brand = brandOf(institution);
  const bankCode = String(600 + (fnv1a(institution.name) % 300)).padStart(3, '0');
  const agency = String(1000 + (fnv1a(institution.name + 'agency') % 8000));
  // Fixed dates (not relative to `now`): the history must not move when the clock does.
  const firstOpened = dayNumber(2014, 1, 1) + r.int(0, 6 * 365);
  const catalogue = business ? BUSINESS_SUPPLIERS : MERCHANTS[country];
  const cardCount = kinds.filter((k) => k === 'credit').length;
  // Shares of income spent on everyday purchases, before rent, bills and installments.
  const cardTarget = (income * (business ? 0.08 : 0.3)) / Math.max(1, cardCount);
  const debitTarget = income * 0.22;

  return kinds.map((kind, index): AccountPlan => {
    const a = rng(seed, K.account, index);
    const id = hashHex('account', institution.name, seed[0], seed[1], index).slice(0, 16).toUpperCase();
    const openedDay = index === 0 ? firstOpened : Math.min(firstOpened + a.int(30, 3 * 365), dayNumber(2021, 12, 31));
    const products = PRODUCTS[country][kind];
    const productName = business && BUSINESS_PRODUCTS[kind] ? BUSINESS_PRODUCTS[kind]! : a.pick(products.names);
    const base: AccountPlan = {
      index,
      kind,
      id,
      openedDay,
      anchor: 1,
      level: 0,
      category: CATEGORY[kind],
      balanceType: kind === 'credit' || kind === 'loan' ? 'LIABILITY' : 'ASSET',
      type: products.type,
      name: productName,
      number: '',
      publicName: null,
      publicValue: null,
      last4: '',
      intensity: 0,
      scale: 1,
      creditLimit: 0,
      cutDay: 0,
      rate: 0,
      monthlyFee: 0,
    };

    if (kind === 'credit') {
      const pan = cardNumber(a, a.pick(['4152', '5204', '4931', '5579']));
      const intensity = full ? a.float(1.1, 1.5) : business ? a.float(0.5, 1.5) : a.float(0.5, 1.6);
      const scale = spendScale(catalogue, 'c', intensity, cardTarget);
      const step = { MX: 5000, CO: 500_000, BR: 500 }[country];
      return {
        ...base,
        name: business ? `${brand} ${productName}` : `${brand} ${productName}`,
        number: `************${pan.slice(-4)}`,
        publicName: 'CREDIT_CARD_NUMBER',
        publicValue: `${pan.slice(0, 4)} **** **** ${pan.slice(-4)}`,
        last4: pan.slice(-4),
        anchor: 0, // set below from the cut day
        intensity,
        scale,
        // Room for a full cycle on top of the unpaid statement, with margin.
        creditLimit: Math.ceil((cardTarget * 3.2) / step) * step,
        cutDay: a.int(3, 26),
        rate: Math.round(a.float(28, 68) * 100) / 100,
      };
    }

    // Bank accounts get numbers in the country's format.
    let number: string;
    let publicName: string;
    let publicValue: string;
    if (country === 'MX') {
      number = a.digits(10);
      publicName = kind === 'loan' ? 'ACCOUNT_NUMBER' : 'CLABE';
      publicValue = kind === 'loan' ? `${a.digits(8)}${number}` : clabe(bankCode, a.digits(3), `0${number}`);
    } else if (country === 'CO') {
      number = a.digits(11);
      publicName = 'ACCOUNT_NUMBER';
      publicValue = number;
    } else {
      const body = String(a.int(10000, 99999999));
      number = `${body}-${a.int(0, 9)}`;
      publicName = kind === 'loan' ? 'CONTRACT_NUMBER' : 'AGENCY/ACCOUNT';
      publicValue = kind === 'loan' ? `${agency}${body}` : `${agency}/${number}`;
    }
    const last4 = number.replace(/\D/g, '').slice(-4);
    const currencyTag = FX[country].currency;
    const name =
      country === 'MX' && kind !== 'loan' ? `${productName} - ${currencyTag}-${number.slice(-3)}` : productName;
    const common = { ...base, name, number, publicName, publicValue, last4 };

    switch (kind) {
      case 'checking':
        return {
          ...common,
          level: roundTo(income * (business ? a.float(0.4, 0.9) : a.float(0.8, 1.6)), unit),
          scale: business ? 1 : spendScale(catalogue, 'd', debitIntensity * 0.9, debitTarget),
          monthlyFee: a.chance(0.3) ? roundTo((business ? 350 : 99) * fx, unit) : 0,
        };
      case 'savings':
        return { ...common, level: roundTo(income * a.float(1, 6), unit), rate: Math.round(a.float(2.5, 9) * 100) / 100 };
      case 'investment':
        return { ...common, level: roundTo(income * a.float(3, 12), unit), rate: Math.round(a.float(7, 11) * 100) / 100 };
      case 'loan': {
        const term = a.pick([24, 36, 48, 60]);
        const yearlyRate = Math.round(a.float(business ? 14 : 18, business ? 24 : 38) * 100) / 100;
        const monthlyRate = yearlyRate / 100 / 12;
        const principal = roundTo(income * a.float(business ? 1 : 2, business ? 4 : 8), 100_000 * Math.max(1, unit / 100));
        const installment = roundCents((principal * 100 * monthlyRate) / (1 - (1 + monthlyRate) ** -term), unit);
        return {
          ...common,
          loan: {
            principal,
            term,
            monthlyRate,
            installment,
            // The month after opening, so the first disbursement never predates the account.
            firstMonth: monthOfDay(openedDay) + 1,
            day: a.int(1, 28),
            loanType: business ? 'Crédito PyME' : productName,
            yearlyRate,
            fee: a.chance(0.5) ? roundTo(principal * 0.02, unit) : 0,
          },
        };
      }
    }
  }).map((account) => (account.kind === 'credit' ? { ...account, anchor: account.cutDay + 1 } : account));
}

/** Rounds currency units to a multiple of `unit` cents, returning currency units. */
export function roundTo(units: number, unit: number): number {
  return (Math.round((units * 100) / unit) * unit) / 100;
}

/** Rounds cents to a multiple of `unit` cents. */
export function roundCents(cents: number, unit: number): number {
  return Math.round(cents / unit) * unit;
}

const CO_DOCUMENT_TYPES: Record<string, string> = { '001': 'CC', '002': 'CE', '003': 'PA', '020': 'NIT' };

function planOwners(
  seed: Seed,
  institution: InstitutionDefinition,
  country: Country,
  business: boolean,
  full: boolean,
  credentials: Credentials,
): OwnerPlan[] {
  const r = rng(seed, K.owner);
  const count = business ? 1 : full || r.chance(0.2) ? 2 : 1;
  const username = (credentials.username ?? '').trim();
  const owners: OwnerPlan[] = [];
  for (let i = 0; i < count; i++) {
    const id = hashHex('owner', institution.name, seed[0], seed[2], i).slice(0, 12);
    const home = address(r, country);
    if (business) {
      const name = companyName(r, country);
      const rfc = companyRfc(r, lettersOf(name, 3), { year: r.int(1995, 2018), month: r.int(1, 12), day: r.int(1, 28) });
      owners.push({
        id,
        displayName: name,
        email: `contacto@${name.toLowerCase().replace(/[^a-z]+/g, '').slice(0, 16)}.com.mx`,
        phone: phone(r, country),
        address: home.line,
        documentType: 'RFC',
        documentNumber: rfc,
      });
      continue;
    }
    const p = person(r, country);
    let documentType: string;
    let documentNumber: string;
    if (country === 'MX') {
      const birth = { year: r.int(1960, 2002), month: r.int(1, 12), day: r.int(1, 28) };
      const state = MX_STATES.find((s) => s.code === home.stateCode) ?? r.pick(MX_STATES);
      documentType = 'CURP';
      documentNumber = curp(p, birth, p.sex, state.code, r);
    } else if (country === 'CO') {
      // The primary owner is the person who logged in: reuse the document they typed.
      const typed = i === 0 ? CO_DOCUMENT_TYPES[credentials.username_type ?? ''] : undefined;
      documentType = typed ?? 'CC';
      documentNumber = typed && /^[0-9A-Za-z]{5,12}$/.test(username) ? username : String(r.int(10_000_000, 1_099_999_999));
    } else {
      documentType = 'CPF';
      documentNumber = i === 0 && cpfValid(username) ? formatCpf(username.replace(/\D/g, '')) : cpf(r);
    }
    owners.push({
      id,
      displayName: p.display,
      email: email(r, country, p),
      phone: phone(r, country),
      address: home.line,
      documentType,
      documentNumber,
    });
  }
  return owners;
}

/**
 * The price multiplier that makes `intensity` purchases a day from `catalogue` cost about
 * `monthlyTarget` a month. Purchase amounts are skewed (min + (max - min) * u^1.7), whose mean is
 * min + (max - min) / 2.7. Clamped so prices stay recognisable.
 */
function spendScale(catalogue: readonly Merchant[], channel: 'd' | 'c', intensity: number, monthlyTarget: number): number {
  const usable = catalogue.filter((m) => m.channel === channel || m.channel === 'b');
  const weight = usable.reduce((s, m) => s + m.weight, 0);
  const mean = usable.reduce((s, m) => s + m.weight * (m.min + (m.max - m.min) / 2.7), 0) / weight;
  const expected = 30.4 * intensity * 1.07 * mean;
  return Math.min(2.5, Math.max(0.35, monthlyTarget / expected));
}
