import type { Expression, ExpressionBuilder } from 'kysely';

/** How a query-string value is parsed (and so which SQL type it is compared as). */
export type FilterValueType = 'string' | 'uuid' | 'integer' | 'number' | 'date' | 'datetime';

/** Operators, named by their query-key suffix (`eq` has no suffix). */
export type FilterOp = 'eq' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'range' | 'icontains' | 'allin';

/** One filterable field of a resource: what it maps to and how it may be filtered. */
export interface FilterField {
  /**
   * Column reference on the queried table (e.g. 'links.created_at'), or a function building a
   * Kysely expression (for JSON paths).
   */
  column: string | ((eb: ExpressionBuilder<any, any>) => Expression<unknown>);
  type: FilterValueType;
  /**
   * 'array': the column is text[]; `eq` means "array contains the value", `in` means overlap,
   * `not_in` no overlap, `allin` contains all.
   */
  shape?: 'scalar' | 'array';
  ops: readonly FilterOp[];
  /** Allowed values (e.g. status enums); any other value is a 400 `invalid`. */
  choices?: readonly string[];
}

/** A resource's filter table, frozen. Build it with `defineFilters`. */
export interface FilterSet {
  readonly fields: Readonly<Record<string, Readonly<FilterField>>>;
}

/** Query keys that belong to pagination/projection, so no filter may take their name. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['page', 'page_size', 'fields', 'omit']);

// Ops that only make sense for one shape/type; a mismatch is a programming error caught at startup.
const SCALAR_ONLY: readonly FilterOp[] = ['gt', 'gte', 'lt', 'lte', 'range', 'icontains'];

/**
 * Declares what a resource may be filtered by. Filter names are the query-key stems and may
 * contain `__` (`balance__available`); the op suffix is appended to them (`balance__available__gte`).
 */
export function defineFilters<T extends Record<string, FilterField>>(fields: T): FilterSet {
  const frozen: Record<string, Readonly<FilterField>> = {};
  for (const [name, f] of Object.entries(fields)) {
    const array = f.shape === 'array';
    const bad = f.ops.find(
      (op) =>
        (array && SCALAR_ONLY.includes(op)) ||
        (!array && op === 'allin') ||
        (op === 'icontains' && f.type !== 'string'),
    );
    if (RESERVED_KEYS.has(name)) throw new Error(`filter name '${name}' is a reserved query key`);
    if (bad) throw new Error(`filter '${name}': op '${bad}' does not fit a ${f.shape ?? 'scalar'} ${f.type} field`);
    frozen[name] = Object.freeze({
      ...f,
      ops: Object.freeze([...f.ops]),
      ...(f.choices && { choices: Object.freeze([...f.choices]) }),
    });
  }
  return Object.freeze({ fields: Object.freeze(frozen) });
}
