/**
 * ACCOUNTS: OFB deposit/savings/prepaid accounts (accounts-2.4.2) and credit-card accounts
 * (credit-cards-2.3.1) → Belvo `Account` records. See docs/open-finance-brasil.md for the table.
 */
import type { ExtractedRecord } from '../../connector.js';
import { cardBalance, creditData, totalLimit } from './bills.js';
import type { MappingContext, OfbAccounts, OfbAccountType, OfbCardAccount, OfbDepositAccount } from './types.js';
import { amountCents, centsNumber, text } from './values.js';

/**
 * Belvo has no prepaid category: a prepaid payment account (CONTA_PAGAMENTO_PRE_PAGA) is a
 * transactional account the customer pays from, so it is filed with checking accounts. An
 * account type newer than accounts-2.4.2 is UNCATEGORIZED rather than guessed.
 */
export const DEPOSIT_CATEGORY: Record<OfbAccountType, 'CHECKING_ACCOUNT' | 'SAVINGS_ACCOUNT'> = {
  CONTA_DEPOSITO_A_VISTA: 'CHECKING_ACCOUNT',
  CONTA_POUPANCA: 'SAVINGS_ACCOUNT',
  CONTA_PAGAMENTO_PRE_PAGA: 'CHECKING_ACCOUNT',
};

/** OFB gives deposit accounts no name: the product's Portuguese name stands in for it. */
const DEPOSIT_LABEL: Record<OfbAccountType, string> = {
  CONTA_DEPOSITO_A_VISTA: 'Conta Corrente',
  CONTA_POUPANCA: 'Conta Poupança',
  CONTA_PAGAMENTO_PRE_PAGA: 'Conta de Pagamento Pré-paga',
};

const institutionOf = (ctx: MappingContext) => ({ name: ctx.institution, type: 'bank' as const });

/** Fields every record has, whatever the kind (Belvo sends them as null where they do not apply). */
const EMPTY = { loan_data: null, funds_data: null, receivables_data: null, bank_product_id: null };

/** `45722-0`: Brazilian account number with its check digit, as Belvo's examples write it. */
export function accountNumber(number: string, checkDigit: string | undefined): string {
  return checkDigit && checkDigit.trim() ? `${number}-${checkDigit.trim()}` : number;
}

/** Belvo `balance` of a deposit account from OFB `/balances` (see the docs for why these sums). */
export function depositBalance(balances: OfbDepositAccount['balances']): { current: number | null; available: number | null } {
  if (!balances) return { current: null, available: null };
  const available = amountCents(balances.availableAmount.amount);
  const blocked = amountCents(balances.blockedAmount.amount);
  return { current: centsNumber(available + blocked), available: centsNumber(available) };
}

export function depositAccountRecord(input: OfbDepositAccount, ctx: MappingContext): ExtractedRecord {
  const { account, identification, balances } = input;
  // The identification detail is the bank's authoritative view; the list item repeats it.
  const type = identification?.type ?? account.type;
  const number = identification?.number ?? account.number;
  const checkDigit = identification?.checkDigit ?? account.checkDigit;
  const branch = text(identification?.branchCode, account.branchCode);
  const full = accountNumber(number, checkDigit);
  return {
    internal_identification: account.accountId,
    institution: institutionOf(ctx),
    category: DEPOSIT_CATEGORY[type] ?? 'UNCATEGORIZED',
    balance_type: 'ASSET',
    type,
    name: `${DEPOSIT_LABEL[type] ?? type} ${account.brandName}`.trim(),
    number: full,
    agency: branch,
    balance: depositBalance(balances),
    currency: text(identification?.currency, balances?.availableAmount.currency) ?? 'BRL',
    // Belvo documents AGENCY/ACCOUNT for Brazilian accounts; prepaid accounts may have no branch.
    public_identification_name: branch ? 'AGENCY/ACCOUNT' : 'ACCOUNT',
    public_identification_value: branch ? `${branch}/${full}` : full,
    last_accessed_at: ctx.collectedAt.toISOString(),
    credit_data: null,
    ...EMPTY,
  };
}

export function cardAccountRecord(input: OfbCardAccount, ctx: MappingContext): ExtractedRecord {
  const { account, identification, limits, bills } = input;
  const productType = identification?.productType ?? account.productType;
  const additional = text(identification?.productAdditionalInfo, account.productAdditionalInfo);
  const limit = totalLimit(limits);
  return {
    internal_identification: account.creditCardAccountId,
    institution: institutionOf(ctx),
    category: 'CREDIT_CARD',
    balance_type: 'LIABILITY',
    type: productType === 'OUTROS' && additional ? additional : productType,
    name: text(identification?.name, account.name),
    // The card's identification number: its last 4 digits for a person (first payment method).
    number: text(identification?.paymentMethod?.[0]?.identificationNumber),
    agency: null,
    balance: cardBalance(limits),
    currency: text(limit?.usedAmount.currency, limit?.limitAmount?.currency) ?? 'BRL',
    public_identification_name: null,
    public_identification_value: null,
    last_accessed_at: ctx.collectedAt.toISOString(),
    credit_data: creditData(limits, bills, ctx),
    ...EMPTY,
  };
}

/** Every account: deposit accounts first, then cards, each in the order given. */
export function mapAccounts(input: OfbAccounts, ctx: MappingContext): ExtractedRecord[] {
  return [...input.deposits.map((a) => depositAccountRecord(a, ctx)), ...input.cards.map((c) => cardAccountRecord(c, ctx))];
}
