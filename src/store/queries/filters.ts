import { sql, type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { FilterField, FilterOp } from '../../filters/define.js';
import { isDay, type FilterNode, type FilterValue } from '../../filters/nodes.js';

type EB = ExpressionBuilder<any, any>;
type Predicate = Expression<SqlBool>;

/**
 * ANDs the filters onto a select query, one `where` per node. Values are always bound
 * parameters. With a bare date on a datetime column, the date stands for its whole UTC day:
 * `created_at__lte=2024-01-31` compiles to `created_at < '2024-02-01T00:00:00Z'`.
 */
export function applyFilters<QB extends SelectQueryBuilder<any, any, any>>(qb: QB, nodes: readonly FilterNode[]): QB {
  let out: SelectQueryBuilder<any, any, any> = qb;
  for (const node of nodes) out = out.where((eb) => compileNode(eb, node));
  return out as QB;
}

function compileNode(eb: EB, { field, op, values }: FilterNode): Predicate {
  const col = typeof field.column === 'string' ? eb.ref(field.column) : field.column(eb);
  return compile(eb, col, field, op, values);
}

function compile(
  eb: EB,
  col: Expression<unknown>,
  field: FilterField,
  op: FilterOp,
  values: readonly FilterValue[],
): Predicate {
  if (op === 'not_in') {
    // Django's exclude() semantics: a NULL is not in any set, so the row is kept.
    return eb.or([eb(col, 'is', null), sql<SqlBool>`not (${compile(eb, col, field, 'in', values)})`]);
  }
  return field.shape === 'array' ? compileArray(col, op, values) : compileScalar(eb, col, op, values);
}

function compileArray(col: Expression<unknown>, op: FilterOp, values: readonly FilterValue[]): Predicate {
  // One parameter per element: PGlite and pg serialise a JS array parameter differently.
  const array = sql`ARRAY[${sql.join(values)}]::text[]`;
  switch (op) {
    case 'eq':
      return sql<SqlBool>`${values[0]} = ANY(${col})`;
    case 'in':
      return sql<SqlBool>`${col} && ${array}`;
    case 'allin':
      return sql<SqlBool>`${col} @> ${array}`;
    default:
      throw new Error(`op '${op}' is not defined for array filters`);
  }
}

function compileScalar(eb: EB, col: Expression<unknown>, op: FilterOp, values: readonly FilterValue[]): Predicate {
  const [v, w] = values;
  switch (op) {
    case 'eq':
      return isDay(v) ? eb.and([eb(col, '>=', v.start), eb(col, '<', v.end)]) : eb(col, '=', v);
    case 'in':
      return values.some(isDay)
        ? eb.or(values.map((x) => compileScalar(eb, col, 'eq', [x])))
        : eb(col, 'in', values as (string | number)[]);
    case 'gt':
      return isDay(v) ? eb(col, '>=', v.end) : eb(col, '>', v);
    case 'gte':
      return eb(col, '>=', isDay(v) ? v.start : v);
    case 'lt':
      return eb(col, '<', isDay(v) ? v.start : v);
    case 'lte':
      return isDay(v) ? eb(col, '<', v.end) : eb(col, '<=', v);
    case 'range':
      return eb.and([compileScalar(eb, col, 'gte', [v]), compileScalar(eb, col, 'lte', [w])]);
    case 'icontains':
      return eb(col, 'ilike', `%${String(v).replace(/[\\%_]/g, '\\$&')}%`);
    default:
      throw new Error(`op '${op}' is not defined for scalar filters`);
  }
}
