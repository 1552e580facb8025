/**
 * The OFB payloads the mapping reads: the `data` of each API answer, typed by hand from the
 * documents in `../spec/` with only the fields the mapping uses (plus the required ones, so a
 * spec-valid payload always fits). Names follow the documents' schema names.
 */

/** `{ amount: "1000.0400", currency: "BRL" }`: every OFB monetary value. */
export interface OfbAmount {
  amount: string;
  currency: string;
}

// ---- accounts-2.4.2.yml ----------------------------------------------------------------------

export type OfbAccountType = 'CONTA_DEPOSITO_A_VISTA' | 'CONTA_POUPANCA' | 'CONTA_PAGAMENTO_PRE_PAGA';

/** `AccountData`: one item of `GET /accounts`. */
export interface OfbAccountData {
  brandName: string;
  companyCnpj: string;
  type: OfbAccountType;
  compeCode: string;
  branchCode?: string;
  number: string;
  checkDigit: string;
  accountId: string;
}

/** `AccountIdentificationData`: `GET /accounts/{accountId}`. */
export interface OfbAccountIdentificationData {
  compeCode: string;
  branchCode?: string;
  number: string;
  checkDigit: string;
  type: OfbAccountType;
  subtype: 'INDIVIDUAL' | 'CONJUNTA_SIMPLES' | 'CONJUNTA_SOLIDARIA';
  currency: string;
}

/** `AccountBalancesData`: `GET /accounts/{accountId}/balances`. */
export interface OfbAccountBalancesData {
  availableAmount: OfbAmount;
  blockedAmount: OfbAmount;
  automaticallyInvestedAmount: OfbAmount;
  updateDateTime: string;
}

export type OfbCompletedAuthorisedPaymentType = 'TRANSACAO_EFETIVADA' | 'LANCAMENTO_FUTURO' | 'TRANSACAO_PROCESSANDO';
export type OfbCreditDebitType = 'CREDITO' | 'DEBITO';

/** `AccountTransactionsData`: items of `/transactions` and `/transactions-current`. */
export interface OfbAccountTransaction {
  /** Required by 2.4.2; optional here because older versions and some banks omit it on pending items. */
  transactionId?: string;
  completedAuthorisedPaymentType: OfbCompletedAuthorisedPaymentType;
  creditDebitType: OfbCreditDebitType;
  transactionName: string;
  type: string;
  transactionAmount: OfbAmount;
  transactionDateTime: string;
  partieCnpjCpf?: string;
  partiePersonType?: 'PESSOA_NATURAL' | 'PESSOA_JURIDICA';
  partieCompeCode?: string;
  partieBranchCode?: string;
  partieNumber?: string;
  partieCheckDigit?: string;
}

// ---- credit-cards-2.3.1.yml ------------------------------------------------------------------

/** `CreditCardAccountsData`: one item of `GET /accounts`. */
export interface OfbCardAccountData {
  creditCardAccountId: string;
  brandName: string;
  companyCnpj: string;
  name: string;
  productType: string;
  productAdditionalInfo?: string;
  creditCardNetwork: string;
  networkAdditionalInfo?: string;
}

/** `CreditCardsAccountsIdentificationData`: `GET /accounts/{creditCardAccountId}`. */
export interface OfbCardIdentificationData {
  name: string;
  productType: string;
  productAdditionalInfo?: string;
  creditCardNetwork: string;
  networkAdditionalInfo?: string;
  paymentMethod: { identificationNumber: string; isMultipleCreditCard: boolean }[];
}

/** `CreditCardAccountsLimitsData`: items of `GET /accounts/{creditCardAccountId}/limits`. */
export interface OfbCardLimit {
  creditLineLimitType: 'LIMITE_CREDITO_TOTAL' | 'LIMITE_CREDITO_MODALIDADE_OPERACAO';
  consolidationType: 'CONSOLIDADO' | 'INDIVIDUAL';
  identificationNumber: string;
  lineName?: string;
  isLimitFlexible: boolean;
  /** Required by the schema, but its amount is only mandatory when `isLimitFlexible` is false. */
  limitAmount?: Partial<OfbAmount> & { limitAmountReason?: string };
  usedAmount: OfbAmount;
  availableAmount?: Partial<OfbAmount>;
}

/** `CreditCardAccountsBillsPayment`. */
export interface OfbBillPayment {
  valueType: string;
  paymentDate: string;
  paymentMode: string;
  amount: string;
  currency: string;
}

/** `CreditCardAccountsBillsData`: items of `GET /accounts/{creditCardAccountId}/bills` (closed bills only). */
export interface OfbCardBill {
  billId: string;
  dueDate: string;
  billTotalAmount: OfbAmount;
  billMinimumAmount: OfbAmount;
  isInstalment: boolean;
  financeCharges?: { type: string; amount: string; currency: string; additionalInfo?: string }[];
  payments: OfbBillPayment[];
}

/** `CreditCardAccountsTransaction`: card `/transactions`, `/transactions-current` and bill transactions. */
export interface OfbCardTransaction {
  transactionId?: string;
  identificationNumber: string;
  transactionName: string;
  /** Only for transactions of a closed bill. */
  billId?: string;
  creditDebitType: OfbCreditDebitType;
  transactionType: string;
  transactionalAdditionalInfo?: string;
  paymentType?: 'A_VISTA' | 'A_PRAZO';
  feeType?: string;
  feeTypeAdditionalInfo?: string;
  otherCreditsType?: string;
  otherCreditsAdditionalInfo?: string;
  chargeIdentificator?: number;
  chargeNumber?: number;
  /** The amount in BRL (converted for purchases abroad). */
  brazilianAmount: OfbAmount;
  /** The original amount, in the original currency. */
  amount: OfbAmount;
  transactionDateTime: string;
  /** `0001-01-01` (a dummy) while the transaction is not on a bill yet. */
  billPostDate: string;
  payeeMCC?: number;
}

// ---- customers-2.2.1.yml ---------------------------------------------------------------------

export interface OfbPostalAddress {
  isMain: boolean;
  address: string;
  additionalInfo?: string;
  districtName?: string;
  townName: string;
  ibgeTownCode?: string;
  countrySubDivision?: string;
  postCode: string;
  country: string;
  countryCode?: string;
}

export interface OfbPhone {
  isMain: boolean;
  type: string;
  additionalInfo?: string;
  countryCallingCode?: string;
  areaCode: string;
  number: string;
  phoneExtension?: string;
}

/** `PersonalIdentificationData`: items of `GET /personal/identifications`. */
export interface OfbPersonalIdentification {
  updateDateTime: string;
  personalId: string;
  brandName: string;
  civilName: string;
  socialName?: string;
  birthDate: string;
  documents: { cpfNumber?: string; passport?: { number: string; country: string; expirationDate?: string; issueDate?: string } };
  hasBrazilianNationality: boolean;
  contacts: { postalAddresses: OfbPostalAddress[]; phones: OfbPhone[]; emails: { isMain: boolean; email: string }[] };
  companiesCnpj: string[];
}

// ---- what a connector collected --------------------------------------------------------------

/** One deposit, savings or prepaid account and what was fetched about it (any part may be missing). */
export interface OfbDepositAccount {
  account: OfbAccountData;
  identification?: OfbAccountIdentificationData;
  balances?: OfbAccountBalancesData;
  /** `/transactions` items (all pages). */
  transactions?: OfbAccountTransaction[];
  /** `/transactions-current` items; may overlap `transactions` (the same item maps to one record). */
  transactionsCurrent?: OfbAccountTransaction[];
}

/** One credit-card account and what was fetched about it. */
export interface OfbCardAccount {
  account: OfbCardAccountData;
  identification?: OfbCardIdentificationData;
  limits?: OfbCardLimit[];
  /** Closed bills, any order. */
  bills?: OfbCardBill[];
  /** `/transactions` items (all pages). */
  transactions?: OfbCardTransaction[];
  /** `/transactions-current` items; may overlap the others. */
  transactionsCurrent?: OfbCardTransaction[];
  /** `/bills/{billId}/transactions` items of any bills; may overlap the others. */
  billTransactions?: OfbCardTransaction[];
}

export interface OfbAccounts {
  deposits: OfbDepositAccount[];
  cards: OfbCardAccount[];
}

/** What every mapping needs besides the payloads. */
export interface MappingContext {
  /** The institution as Belvo names it (`Account.institution.name`), e.g. `ofmockbank_br_retail`. */
  institution: string;
  /** When the data was fetched: `last_accessed_at`, `credit_data.collected_at`, the day balances are for. */
  collectedAt: Date;
}
