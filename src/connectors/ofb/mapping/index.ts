/**
 * Open Finance Brasil payloads → Belvo-shaped `ExtractedRecord`s: pure functions, no I/O.
 * The field-by-field rules and their reasons are in docs/open-finance-brasil.md.
 */
export { mapAccounts, DEPOSIT_CATEGORY } from './accounts.js';
export { mapBalances } from './balances.js';
export { mapTransactions, DEPOSIT_STATUS, DIRECTION, HASHED_ID_PREFIX } from './transactions.js';
export { mapOwners, splitName } from './owners.js';
export { depositCategory, cardCategory } from './categories.js';
export { amountNumber, amountCents, OfbMappingError } from './values.js';
export type * from './types.js';
