import { fieldError, ValidationErrors, type VinculoError } from '../errors.js';
import type { FilterField, FilterOp, FilterSet } from './define.js';
import { FilterNode, type FilterValue } from './nodes.js';

const SUFFIX_OPS: ReadonlySet<string> = new Set<FilterOp>([
  'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'range', 'icontains', 'allin',
]);
/** Ops whose value is a comma-separated list. */
const LIST_OPS: ReadonlySet<FilterOp> = new Set<FilterOp>(['in', 'not_in', 'allin', 'range']);

/** A malformed value; becomes one `invalid` field error named after the query key. */
class BadValue extends Error {}

/**
 * Turns a request's query object into filter nodes. Keys that are not declared filters (or use
 * an op the field does not allow) and empty values are ignored, as django-filter does; every
 * malformed value is reported at once in one `ValidationErrors`.
 */
export function parseFilters(set: FilterSet, query: Record<string, unknown>): readonly FilterNode[] {
  const nodes: FilterNode[] = [];
  const errors: VinculoError[] = [];
  for (const [key, raw] of Object.entries(query)) {
    const target = resolveKey(set, key);
    const text = queryText(raw);
    if (!target || text === '') continue;
    try {
      nodes.push(FilterNode.create(target.name, target.field, target.op, parseValues(target.field, target.op, text)));
    } catch (err) {
      if (!(err instanceof BadValue)) throw err;
      errors.push(fieldError.invalid(key, err.message));
    }
  }
  if (errors.length) throw new ValidationErrors(errors);
  return Object.freeze(nodes);
}

/** `name` → eq, `name__op` → op. The whole key as a declared name wins, so names may contain `__`. */
function resolveKey(set: FilterSet, key: string) {
  // axios serialises arrays as `key[]=a&key[]=b`
  const stem = key.endsWith('[]') ? key.slice(0, -2) : key;
  let name = stem;
  let op: FilterOp = 'eq';
  if (!Object.hasOwn(set.fields, stem)) {
    const i = stem.lastIndexOf('__');
    if (i < 0 || !SUFFIX_OPS.has(stem.slice(i + 2))) return undefined;
    name = stem.slice(0, i);
    op = stem.slice(i + 2) as FilterOp;
  }
  const field = Object.hasOwn(set.fields, name) ? set.fields[name] : undefined;
  return field?.ops.includes(op) ? { name, field, op } : undefined;
}

/** A repeated key arrives as an array: treat it as one comma-separated list. */
function queryText(raw: unknown): string {
  if (Array.isArray(raw)) return raw.join(',');
  return typeof raw === 'string' ? raw : '';
}

function parseValues(field: Readonly<FilterField>, op: FilterOp, text: string): FilterValue[] {
  const items = LIST_OPS.has(op) ? text.split(',') : [text];
  if (op === 'range' && items.length !== 2) {
    throw new BadValue('Range requires exactly two values separated by a comma.');
  }
  if (items.includes('')) throw new BadValue('Enter a comma-separated list of values without empty items.');
  return items.map((item) => {
    if (field.choices && op !== 'icontains' && !field.choices.includes(item)) {
      throw new BadValue(`Select a valid choice. ${item} is not one of the available choices.`);
    }
    return parseValue(field.type, item);
  });
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseValue(type: FilterField['type'], s: string): FilterValue {
  switch (type) {
    case 'string':
      return s;
    case 'uuid': {
      if (!UUID.test(s)) throw new BadValue('Enter a valid UUID.');
      const hex = s.replaceAll('-', '').toLowerCase();
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case 'integer':
      if (!INTEGER.test(s) || !Number.isSafeInteger(Number(s))) throw new BadValue('Enter a whole number.');
      return Number(s);
    case 'number':
      // Kept as text so a numeric column compares it at full decimal precision.
      if (!NUMBER.test(s)) throw new BadValue('Enter a number.');
      if (!isRepresentable(s)) throw new BadValue('Ensure this value is a number within range.');
      return s;
    case 'date': {
      const t = parseInstant(s);
      if (!t) throw new BadValue('Enter a valid date.');
      return t.utcDay;
    }
    case 'datetime': {
      const t = parseInstant(s);
      if (!t) throw new BadValue('Enter a valid date/time.');
      return t.exact ?? Object.freeze({ start: `${t.utcDay}T00:00:00Z`, end: `${nextDay(t.utcDay)}T00:00:00Z` });
    }
  }
}

// Django's parse_datetime grammar: `T` or space, optional seconds and fraction, optional Z/±HH[:MM].
// A space also stands for `+` in the offset: an unencoded `+02:00` reaches us as ` 02:00`.
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:(Z)|([+\- ])(\d{2}):?(\d{2})?)?$/i;
const DAY_MS = 86_400_000;

/**
 * A bare date (`exact` undefined) or a timestamp (`exact` is its canonical ISO text, UTC when no
 * offset is given); `utcDay` is the UTC calendar date either way. Undefined if malformed.
 */
function parseInstant(s: string): { utcDay: string; exact?: string } | undefined {
  if (DATE.test(s)) return isCalendarDate(s) ? { utcDay: s } : undefined;
  const m = DATETIME.exec(s);
  if (!m) return undefined;
  const [, date, hh, mm, ss = '00', frac = '', , sign, oh, om = '00'] = m;
  if (!isCalendarDate(date) || +hh > 23 || +mm > 59 || +ss > 59 || (oh && (+oh > 23 || +om > 59))) return undefined;
  // Python allows offsets up to ±23:59, PostgreSQL only ±15:59: compare in UTC, computed here.
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (+oh * 60 + +om) : 0;
  const utc = new Date(Date.parse(`${date}T${hh}:${mm}:${ss}Z`) - offsetMin * 60_000);
  const year = utc.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  const text = `${String(year).padStart(4, '0')}${utc.toISOString().slice(-20, -5)}`;
  // Postgres keeps microseconds (Belvo timestamps have six digits), so pass the text, not a Date.
  return { utcDay: text.slice(0, 10), exact: `${text}${frac.slice(0, 7)}Z` };
}

/**
 * A decimal that a double holds without overflowing to infinity or underflowing to zero, so both
 * `numeric` and `double precision` columns take it (`1e999999` and `1e-999999` do not).
 */
function isRepresentable(s: string): boolean {
  const n = Number(s);
  return Number.isFinite(n) && (n !== 0 || !/[1-9]/.test(s.replace(/[eE].*$/, '')));
}

function isCalendarDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  // Date.parse rolls 02-30 over to March; the round trip catches it. Year 0 does not exist in Postgres.
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(s) && !s.startsWith('0000');
}

function nextDay(day: string): string {
  const t = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(t.getUTCFullYear()).padStart(4, '0')}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}
