/**
 * The mock bank's customer for a CPF: every valid CPF is a customer with one checking account and
 * one credit card; some also have a savings account and a second card. Everything is derived from
 * a seed hashed from the CPF, so the same CPF always yields the same ids, names and history;
 * dates are relative to the `now` given (history spans the 12 months before it).
 */
import { hashHex, rng, rootSeed, type Seed } from '../../../sandbox/data/random.js';
import { address, email, person } from '../../../sandbox/data/people.js';
import { BANK, EMPLOYERS } from './bank.js';
import { DAY_MS, dayParts, isoSeconds, localDay, money, normalizeCpf, randomCnpj, randomCpf } from './documents.js';
import { accountBalanceCents, accountTransactions, type AccountTransaction, type DepositAccountPlan } from './fixture-accounts.js';
import { billTransactions, cardBills, cardTransactions, cardUsedCents, type CardBill, type CardPlan, type CardTransaction, type CardTxFilter } from './fixture-cards.js';

const K_PLAN = 1;
const K_PERSON = 2;

export interface CustomerPlan {
  cpf: string;
  seed: Seed;
  accounts: DepositAccountPlan[];
  cards: CardPlan[];
}

const plans = new Map<string, CustomerPlan>();

/** The static part of a customer (no dates): memoised, it is a pure function of the CPF. */
export function planFor(cpfInput: string): CustomerPlan {
  const cpf = normalizeCpf(cpfInput);
  const cached = plans.get(cpf);
  if (cached) return cached;
  const seed = rootSeed('ofmockbank_br_retail', cpf);
  const r = rng(seed, K_PLAN);
  const id = (kind: string, i: number) => hashHex('ofmockbank', cpf, kind, i).slice(0, 32);
  const employer = { name: r.pick(EMPLOYERS), cnpj: randomCnpj(r) };
  const salaryCents = r.int(25, 150) * 10000;
  const accounts: DepositAccountPlan[] = [
    {
      index: 0,
      accountId: id('checking', 0),
      type: 'CONTA_DEPOSITO_A_VISTA',
      subtype: r.chance(0.85) ? 'INDIVIDUAL' : 'CONJUNTA_SOLIDARIA',
      branchCode: r.digits(4),
      number: r.digits(8),
      checkDigit: String(r.int(0, 9)),
      employer,
      salaryCents,
      overdraftCents: r.int(5, 50) * 10000,
    },
  ];
  if (r.chance(0.5)) {
    accounts.push({ ...accounts[0], index: 1, accountId: id('savings', 1), type: 'CONTA_POUPANCA', subtype: 'INDIVIDUAL', number: r.digits(9), checkDigit: String(r.int(0, 9)), overdraftCents: 0 });
  }
  const products = [
    { name: 'Cartao Mock Gold', productType: 'GOLD' },
    { name: 'Cartao Mock Platinum', productType: 'PLATINUM' },
    { name: 'Cartao Mock Internacional', productType: 'CLASSIC_INTERNACIONAL' },
  ];
  const cards: CardPlan[] = [];
  const cardCount = r.chance(0.3) ? 2 : 1;
  for (let i = 0; i < cardCount; i++) {
    const p = products[(r.int(0, 2) + i) % products.length];
    cards.push({
      index: i,
      creditCardAccountId: id('card', i),
      name: p.name,
      productType: p.productType,
      network: r.pick(['VISA', 'MASTERCARD', 'ELO'] as const),
      last4: r.digits(4),
      isMultipleCreditCard: r.chance(0.5),
      closeDom: r.int(1, 25),
      dueOffset: r.pick([7, 10]),
      limitCents: r.int(20, 300) * 10000,
    });
  }
  const plan = { cpf, seed, accounts, cards };
  plans.set(cpf, plan);
  return plan;
}

export interface AccountFixture {
  plan: DepositAccountPlan;
  /** `AccountData` (accounts list). */
  data: Record<string, unknown>;
  /** `AccountIdentificationData`. */
  identification: Record<string, unknown>;
  balances: Record<string, unknown>;
  /** `AccountOverdraftLimitsData`: empty object for accounts without a limit (as the spec says). */
  overdraftLimits: Record<string, unknown>;
  /** Transactions booked on São Paulo days [from, to] (`YYYY-MM-DD` day numbers), newest first. */
  transactions(fromDay: number, toDay: number): AccountTransaction[];
}

export interface CardFixture {
  plan: CardPlan;
  data: Record<string, unknown>;
  identification: Record<string, unknown>;
  limits: Record<string, unknown>[];
  bills: (CardBill & { cycle: number })[];
  transactions(fromDay: number, toDay: number, filter?: CardTxFilter): CardTransaction[];
  billTransactions(billId: string, filter?: CardTxFilter & { fromDay?: number; toDay?: number }): CardTransaction[] | null;
}

export interface CustomerFixture {
  cpf: string;
  now: Date;
  identification: Record<string, unknown>;
  qualification: Record<string, unknown>;
  financialRelation: Record<string, unknown>;
  accounts: AccountFixture[];
  cards: CardFixture[];
  resources: { resourceId: string; type: 'ACCOUNT' | 'CREDIT_CARD_ACCOUNT'; status: 'AVAILABLE' }[];
}

/** The customer as the bank sees it at `clock` (a Date or a clock function). */
export function fixtureFor(cpf: string, clock: Date | (() => Date)): CustomerFixture {
  const now = typeof clock === 'function' ? clock() : clock;
  const plan = planFor(cpf);
  const today = localDay(now);
  const hasSavings = plan.accounts.some((a) => a.type === 'CONTA_POUPANCA');
  const updated = isoSeconds(new Date((today - 3) * DAY_MS + 12 * 3_600_000));
  const accounts = plan.accounts.map((a): AccountFixture => {
    const common = { compeCode: BANK.compeCode, branchCode: a.branchCode, number: a.number, checkDigit: a.checkDigit };
    const balance = accountBalanceCents(plan.cpf, plan.seed, a, hasSavings, now);
    return {
      plan: a,
      data: { brandName: BANK.brandName, companyCnpj: BANK.companyCnpj, type: a.type, ...common, accountId: a.accountId },
      identification: { ...common, type: a.type, subtype: a.subtype, currency: 'BRL' },
      balances: {
        availableAmount: { amount: money(balance), currency: 'BRL' },
        blockedAmount: { amount: money(0), currency: 'BRL' },
        automaticallyInvestedAmount: { amount: money(0), currency: 'BRL' },
        updateDateTime: isoSeconds(now),
      },
      overdraftLimits:
        a.overdraftCents > 0
          ? {
              overdraftContractedLimit: { amount: money(a.overdraftCents), currency: 'BRL' },
              overdraftUsedLimit: { amount: money(Math.min(a.overdraftCents, Math.max(0, -balance))), currency: 'BRL' },
              unarrangedOverdraftAmount: { amount: money(Math.max(0, -balance - a.overdraftCents)), currency: 'BRL' },
            }
          : {},
      transactions: (fromDay, toDay) => accountTransactions(plan.cpf, plan.seed, a, hasSavings, fromDay, toDay, now),
    };
  });
  const cards = plan.cards.map((c): CardFixture => {
    const used = cardUsedCents(plan.seed, c, now);
    const bills = cardBills(plan.cpf, plan.seed, c, now);
    const withdrawal = Math.round(c.limitCents * 0.2);
    return {
      plan: c,
      data: { creditCardAccountId: c.creditCardAccountId, brandName: BANK.brandName, companyCnpj: BANK.companyCnpj, name: c.name, productType: c.productType, creditCardNetwork: c.network },
      identification: { name: c.name, productType: c.productType, creditCardNetwork: c.network, paymentMethod: [{ identificationNumber: c.last4, isMultipleCreditCard: c.isMultipleCreditCard }] },
      limits: [
        {
          creditLineLimitType: 'LIMITE_CREDITO_TOTAL',
          consolidationType: 'CONSOLIDADO',
          identificationNumber: c.last4,
          isLimitFlexible: false,
          limitAmount: { amount: money(c.limitCents), currency: 'BRL' },
          usedAmount: { amount: money(used), currency: 'BRL' },
          availableAmount: { amount: money(c.limitCents - used), currency: 'BRL' },
        },
        {
          creditLineLimitType: 'LIMITE_CREDITO_MODALIDADE_OPERACAO',
          consolidationType: 'CONSOLIDADO',
          identificationNumber: c.last4,
          lineName: 'SAQUE_CREDITO_BRASIL',
          isLimitFlexible: false,
          limitAmount: { amount: money(withdrawal), currency: 'BRL' },
          usedAmount: { amount: money(0), currency: 'BRL' },
          availableAmount: { amount: money(Math.max(0, Math.min(withdrawal, c.limitCents - used))), currency: 'BRL' },
        },
      ],
      bills,
      transactions: (fromDay, toDay, filter) => cardTransactions(plan.cpf, plan.seed, c, fromDay, toDay, now, filter),
      billTransactions: (billId, filter) => {
        const bill = bills.find((b) => b.billId === billId);
        return bill ? billTransactions(plan.cpf, plan.seed, c, bill.cycle, now, filter) : null;
      },
    };
  });
  return {
    cpf: plan.cpf,
    now,
    ...customerData(plan, today, updated),
    accounts,
    cards,
    resources: [
      ...plan.accounts.map((a) => ({ resourceId: a.accountId, type: 'ACCOUNT' as const, status: 'AVAILABLE' as const })),
      ...plan.cards.map((c) => ({ resourceId: c.creditCardAccountId, type: 'CREDIT_CARD_ACCOUNT' as const, status: 'AVAILABLE' as const })),
    ],
  };
}

/** Registration data (customers API): identification, qualification, financial relation. */
function customerData(plan: CustomerPlan, today: number, updated: string) {
  const r = rng(plan.seed, K_PERSON);
  const who = person(r, 'BR');
  const home = address(r, 'BR');
  const { year } = dayParts(today);
  const birthYear = year - r.int(20, 70);
  const birthDate = `${birthYear}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
  const sinceYear = year - r.int(1, 12);
  const since = `${sinceYear}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}T12:00:00Z`;
  const mother = person(r, 'BR', 'M');
  const checking = plan.accounts[0];
  const identification = {
    updateDateTime: updated,
    personalId: hashHex('ofmockbank-person', plan.cpf).slice(0, 32),
    brandName: BANK.brandName,
    civilName: who.display,
    birthDate,
    maritalStatusCode: r.pick(['SOLTEIRO', 'CASADO', 'DIVORCIADO', 'UNIAO_ESTAVEL']),
    sex: who.sex === 'H' ? 'MASCULINO' : 'FEMININO',
    companiesCnpj: [BANK.companyCnpj],
    documents: { cpfNumber: plan.cpf },
    otherDocuments: [{ type: 'RG', number: r.digits(9), checkDigit: String(r.int(0, 9)), additionalInfo: 'SSP' }],
    hasBrazilianNationality: true,
    filiation: [{ type: 'MAE', civilName: mother.display }],
    contacts: {
      postalAddresses: [
        {
          isMain: true,
          address: `${home.street}, ${home.exterior}`,
          ...(home.interior ? { additionalInfo: home.interior.slice(0, 30) } : {}),
          districtName: home.neighbourhood,
          townName: home.city,
          countrySubDivision: home.stateCode,
          postCode: home.postalCode.replace(/\D/g, ''),
          country: 'Brasil',
          countryCode: 'BRA',
        },
      ],
      phones: [{ isMain: true, type: 'MOVEL', countryCallingCode: '55', areaCode: r.pick(['11', '21', '31', '41', '51', '61']), number: `9${r.digits(8)}` }],
      emails: [{ isMain: true, email: email(r, 'BR', who) }],
    },
  };
  const qualification = {
    updateDateTime: updated,
    companyCnpj: BANK.companyCnpj,
    occupationCode: 'OUTRO',
    occupationDescription: 'Empregado do setor privado',
    informedIncome: { frequency: 'MENSAL', amount: { amount: money(checking.salaryCents), currency: 'BRL' }, date: `${sinceYear}-01-15` },
    informedPatrimony: { amount: { amount: money(r.int(10, 900) * 100000), currency: 'BRL' }, year: year - 1 },
  };
  const productsServicesType = [
    ...new Set([...plan.accounts.map((a) => a.type as string), ...(plan.cards.length ? ['CARTAO_CREDITO'] : [])]),
  ];
  const financialRelation = {
    updateDateTime: updated,
    startDate: since,
    productsServicesType,
    procurators: checking.subtype === 'INDIVIDUAL' ? [] : [{ type: 'PROCURADOR', cpfNumber: randomCpf(r), civilName: person(r, 'BR').display }],
    accounts: plan.accounts.map((a) => ({ compeCode: BANK.compeCode, branchCode: a.branchCode, number: a.number, checkDigit: a.checkDigit, type: a.type, subtype: a.subtype })),
  };
  return { identification, qualification, financialRelation };
}
