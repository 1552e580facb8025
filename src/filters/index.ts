/**
 * @module
 * Belvo's Django-style list filters (`created_at__gte=…`, `status__in=a,b`), declared once per
 * resource with `defineFilters`, parsed from the query string into frozen nodes with
 * `parseFilters`. The store compiles them to SQL (src/store/queries/filters.ts).
 */
export { defineFilters, type FilterField, type FilterOp, type FilterSet, type FilterValueType } from './define.js';
export type { DayValue, FilterNode, FilterValue } from './nodes.js';
export { parseFilters } from './parse.js';
