import type { FilterField, FilterOp } from './define.js';

/**
 * A bare date (`YYYY-MM-DD`) given for a datetime field: the whole UTC day as the half-open
 * interval [start, end), both ISO-8601 instants.
 */
export interface DayValue {
  readonly start: string;
  readonly end: string;
}

/**
 * A parsed value, ready to be a bound parameter: a string (string, uuid, number, date and exact
 * datetime values, in canonical text form so numeric and microsecond precision survive), a
 * number (integer values) or a `DayValue`.
 */
export type FilterValue = string | number | DayValue;

/** One parsed filter parameter, e.g. `created_at__range=…`. Immutable. */
export interface FilterNode {
  readonly kind: 'filter';
  /** The declared filter name (without op suffix). */
  readonly name: string;
  readonly field: Readonly<FilterField>;
  readonly op: FilterOp;
  /** One value for scalar ops, two for `range`, one or more for `in`/`not_in`/`allin`. */
  readonly values: readonly FilterValue[];
}

/** @internal */
export const FilterNode = Object.freeze({
  create(name: string, field: Readonly<FilterField>, op: FilterOp, values: readonly FilterValue[]): FilterNode {
    return Object.freeze({ kind: 'filter', name, field, op, values: Object.freeze([...values]) });
  },
});

export function isDay(v: FilterValue): v is DayValue {
  return typeof v === 'object';
}
