import { sql, type Expression, type ExpressionBuilder } from 'kysely';
import { defineFilters, type FilterField, type FilterOp } from '../filters/index.js';

/**
 * What each link-data list can be filtered by: Belvo's lists, from the spec's query parameters.
 * Queries alias the resource table `r` and, for transactions and balances, its account `account`
 * (see src/store/queries/link-data.ts). Fields of the Belvo object live in the `data` jsonb.
 */

type Cast = 'numeric' | 'date' | 'timestamptz' | 'text';
type Column = (eb: ExpressionBuilder<any, any>) => Expression<unknown>;

/** `alias.data -> a -> ... ->> last`, cast: a field of the stored Belvo object. */
function json(alias: 'r' | 'account', path: string, cast: Cast = 'text'): Column {
  const keys = path.split('.');
  const last = keys.pop()!;
  const walk = sql.join(
    keys.map((k) => sql`${sql.lit(k)}`),
    sql` -> `,
  );
  const expr = keys.length
    ? sql`${sql.ref(`${alias}.data`)} -> ${walk} ->> ${sql.lit(last)}`
    : sql`${sql.ref(`${alias}.data`)} ->> ${sql.lit(last)}`;
  return () => (cast === 'text' ? sql`(${expr})` : sql`(${expr})::${sql.raw(cast)}`);
}

const EQ_IN: readonly FilterOp[] = ['eq', 'in'];
const COMPARE: readonly FilterOp[] = ['eq', 'gt', 'gte', 'lt', 'lte', 'range'];

const id = { column: 'r.id', type: 'uuid', ops: EQ_IN } as const satisfies FilterField;
const link = { column: 'r.link_id', type: 'uuid', ops: EQ_IN } as const satisfies FilterField;
const createdAt = { column: 'r.created_at', type: 'datetime', ops: COMPARE } as const satisfies FilterField;
const collectedAt = { column: 'r.collected_at', type: 'datetime', ops: COMPARE } as const satisfies FilterField;
const amount = (column: Column, ops: readonly FilterOp[] = COMPARE): FilterField => ({ column, type: 'number', ops });
const text = (column: Column | string, ops: readonly FilterOp[] = EQ_IN, choices?: readonly string[]): FilterField => ({
  column,
  type: 'string',
  ops,
  ...(choices && { choices }),
});

export const ACCOUNT_CATEGORIES = [
  'CHECKING_ACCOUNT',
  'CREDIT_CARD',
  'INVESTMENT_ACCOUNT',
  'LOAN_ACCOUNT',
  'PENSION_FUND_ACCOUNT',
  'RECEIVABLES_ACCOUNT',
  'SAVINGS_ACCOUNT',
  'UNCATEGORIZED',
] as const;
export const FLOW_TYPES = ['INFLOW', 'OUTFLOW'] as const;

export const accountFilters = defineFilters({
  id,
  link,
  created_at: createdAt,
  balance__available: amount(json('r', 'balance.available', 'numeric')),
  balance__current: amount(json('r', 'balance.current', 'numeric')),
  category: text(json('r', 'category'), EQ_IN, ACCOUNT_CATEGORIES),
  currency: text(json('r', 'currency')),
  institution: text(json('r', 'institution.name')),
  name: text(json('r', 'name'), ['eq', 'icontains']),
  number: text(json('r', 'number')),
  public_identification_name: text(json('r', 'public_identification_name'), ['eq']),
  public_identification_value: text(json('r', 'public_identification_value'), ['eq']),
  type: text(json('r', 'type'), ['eq']),
});

export const transactionFilters = defineFilters({
  link,
  account: { column: 'r.account_id', type: 'uuid', ops: EQ_IN },
  account__balance__available: amount(json('account', 'balance.available', 'numeric'), ['lt', 'lte', 'range']),
  account__balance__current: amount(json('account', 'balance.current', 'numeric'), ['gt', 'gte', 'lt', 'lte', 'range']),
  account_type: text(json('account', 'type')),
  accounting_date: { column: json('r', 'accounting_date', 'timestamptz'), type: 'datetime', ops: COMPARE },
  amount: amount(json('r', 'amount', 'numeric')),
  collected_at: collectedAt,
  created_at: createdAt,
  credit_card_data__bill_name: text(json('r', 'credit_card_data.bill_name'), ['in']),
  currency: text(json('r', 'currency')),
  reference: text(json('r', 'reference')),
  status: text(json('r', 'status'), EQ_IN, ['PENDING', 'PROCESSED', 'UNCATEGORIZED']),
  type: text(json('r', 'type'), EQ_IN, FLOW_TYPES),
  value_date: { column: 'r.record_date', type: 'date', ops: COMPARE },
});

export const ownerFilters = defineFilters({
  id,
  link,
  created_at: createdAt,
  email: text(json('r', 'email'), ['eq']),
  display_name: text(json('r', 'display_name'), ['icontains']),
});

export const balanceFilters = defineFilters({
  id,
  link,
  account: { column: 'r.account_id', type: 'uuid', ops: EQ_IN },
  account__type: text(json('account', 'type')),
  balance: amount(json('r', 'balance', 'numeric')),
  currency: text(json('r', 'currency')),
  institution: text(json('account', 'institution.name')),
  value_date: { column: 'r.record_date', type: 'date', ops: COMPARE },
});

export const invoiceFilters = defineFilters({
  id,
  link,
  created_at: createdAt,
  invoice_date: { column: 'r.record_date', type: 'date', ops: COMPARE },
  invoice_identification: text(json('r', 'invoice_identification')),
  status: text(json('r', 'status')),
  total_amount: amount(json('r', 'total_amount', 'numeric')),
  type: text(json('r', 'type'), EQ_IN, FLOW_TYPES),
});

export const taxReturnFilters = defineFilters({
  id,
  link,
  created_at: createdAt,
  ejercicio: { column: json('r', 'informacion_general.ejercicio', 'numeric'), type: 'integer', ops: COMPARE },
  tipo_declaracion: text(json('r', 'informacion_general.tipo_declaracion')),
});

/** Tax status, tax compliance status and employment records: by link, id and date stored. */
export const linkObjectFilters = defineFilters({ id, link, created_at: createdAt });
