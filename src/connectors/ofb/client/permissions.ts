/**
 * OFB data permissions for the product groups Vinculo exposes (Belvo's `fetch_resources`-like
 * groups). Each group maps to complete "agrupamentos" of consents-3.3.1 (`info` table, see
 * src/connectors/ofb/spec/consents-3.3.1.yml): the bank refuses an incomplete one with 422
 * COMBINACAO_PERMISSOES_INCORRETA, and RESOURCES_READ belongs to every group.
 *
 * Note the document's spelling `ADITTIONALINFO`: that permission covers the customers API's
 * qualifications and financial-relations endpoints (customers-2.2.1.yml `info`).
 */

export type OfbProductGroup = 'REGISTER' | 'ACCOUNTS' | 'CREDIT_CARDS';

export const OFB_GROUP_PERMISSIONS: Readonly<Record<OfbProductGroup, readonly string[]>> = Object.freeze({
  // "Dados Cadastrais PF" + "Informações complementares PF".
  REGISTER: ['CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ', 'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ'],
  // "Contas - Saldos", "Contas - Limites", "Contas - Extratos".
  ACCOUNTS: ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'ACCOUNTS_TRANSACTIONS_READ', 'ACCOUNTS_OVERDRAFT_LIMITS_READ'],
  // "Cartão - Limites", "Cartão - Transações", "Cartão - Faturas".
  CREDIT_CARDS: [
    'CREDIT_CARDS_ACCOUNTS_READ',
    'CREDIT_CARDS_ACCOUNTS_BILLS_READ',
    'CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ',
    'CREDIT_CARDS_ACCOUNTS_LIMITS_READ',
    'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ',
  ],
});

/** OAuth scopes of the resource APIs a permission list needs (consents-3.3.1 table, last column). */
export const OFB_DATA_SCOPES = ['accounts', 'credit-cards-accounts', 'customers', 'resources'] as const;

/**
 * The OFB permissions for the given groups: each group's permissions plus RESOURCES_READ, no
 * duplicates (the document forbids them), in a stable order.
 */
export function ofbPermissionsFor(groups: readonly OfbProductGroup[]): string[] {
  if (groups.length === 0) throw new TypeError('at least one product group is required');
  const out = new Set<string>();
  for (const g of groups) {
    const perms = OFB_GROUP_PERMISSIONS[g];
    if (!perms) throw new TypeError(`unknown product group ${String(g)}`);
    for (const p of perms) out.add(p);
  }
  out.add('RESOURCES_READ');
  return [...out];
}
