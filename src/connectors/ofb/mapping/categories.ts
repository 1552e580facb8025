/**
 * Belvo `category`/`subcategory` from the transaction type the bank itself assigns (accounts
 * `EnumTransactionTypes`, cards `EnumCreditCardTransactionType`). Only types whose purpose is
 * certain get one: a payment rail (PIX, TED, DOC, boleto, card) says how money moved, not what for,
 * so those stay null — as Belvo's own answer is null without its categorization product.
 */
import type { OfbCardTransaction, OfbCreditDebitType } from './types.js';

export interface Category {
  category: string | null;
  subcategory: string | null;
}

const NONE: Category = { category: null, subcategory: null };
const c = (category: string, subcategory: string | null = null): Category => ({ category, subcategory });

/** Deposit-account types (accounts-2.4.2) with a certain purpose; the rest map to null. */
export const DEPOSIT_TYPE_CATEGORIES: Readonly<Record<string, Category>> = {
  PACOTE_TARIFA_SERVICOS: c('Fees & Charges', 'Bank Fees'),
  TARIFA_SERVICOS_AVULSOS: c('Fees & Charges', 'Bank Fees'),
  SAQUE: c('Withdrawal & ATM'),
  DEPOSITO: c('Deposits'),
  ENCARGOS_JUROS_CHEQUE_ESPECIAL: c('Credits & Loans', 'Interest & Charges'),
  OPERACAO_CREDITO: c('Credits & Loans'),
  RENDIMENTO_APLIC_FINANCEIRA: c('Income & Payments', 'Interest'),
  RESGATE_APLIC_FINANCEIRA: c('Investments & Savings'),
};

/** Salary types are income only when money comes in (a payroll debit is the employer's side). */
const SALARY_TYPES = new Set(['FOLHA_PAGAMENTO', 'PORTABILIDADE_SALARIO']);

export function depositCategory(type: string, direction: OfbCreditDebitType): Category {
  if (SALARY_TYPES.has(type)) return direction === 'CREDITO' ? c('Income & Payments', 'Salary') : NONE;
  return DEPOSIT_TYPE_CATEGORIES[type] ?? NONE;
}

/** Card types (credit-cards-2.3.1): fees and contracted credit are certain; purchases are not. */
export function cardCategory(tx: Pick<OfbCardTransaction, 'transactionType' | 'otherCreditsType'>): Category {
  if (tx.transactionType === 'TARIFA') return c('Fees & Charges', 'Bank Fees');
  if (tx.transactionType === 'OPERACOES_CREDITO_CONTRATADAS_CARTAO') {
    return c('Credits & Loans', tx.otherCreditsType === 'PARCELAMENTO_FATURA' ? 'Instalment' : null);
  }
  return NONE;
}
