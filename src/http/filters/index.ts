/**
 * @module
 * Belvo's Django-style list filters (`created_at__gte=…`, `status__in=a,b`), declared once per
 * resource with `defineFilters`, parsed from the query string into frozen nodes with
 * `parseFilters`, and compiled to Kysely `where` clauses with `applyFilters`.
 */
export { defineFilters, type FilterField, type FilterOp, type FilterSet, type FilterValueType } from './define.js';
export type { DayValue, FilterNode, FilterValue } from './nodes.js';
export { parseFilters } from './parse.js';
export { applyFilters } from './compile.js';
