/**
 * Calendar arithmetic on integer day numbers (days since 1970-01-01, UTC) and month indexes
 * (year * 12 + month - 1). Integers make "the same day" an exact key for seeding generators and
 * avoid time-zone surprises: every sandbox date is a UTC calendar date.
 */

export const DAY_MS = 86_400_000;

export function dayNumber(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** The UTC calendar day `date` falls on. */
export function dayOf(date: Date): number {
  return Math.floor(date.getTime() / DAY_MS);
}

export interface YMD {
  year: number;
  month: number;
  day: number;
}

/**
 * Civil date of a day number, by Howard Hinnant's `civil_from_days` (integer arithmetic only): it
 * runs for every generated transaction, and allocating a Date each time dominated cold runs.
 */
export function ymd(day: number): YMD {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: d };
}

/** The year of a day number. */
export function yearOf(day: number): number {
  return ymd(day).year;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DD`. */
export function isoDate(day: number): string {
  const { year, month, day: d } = ymd(day);
  return `${year}-${pad2(month)}-${pad2(d)}`;
}

/** `YYYYMMDD`, for identifiers. */
export function compactDate(day: number): string {
  const { year, month, day: d } = ymd(day);
  return `${year}${pad2(month)}${pad2(d)}`;
}

/** `YYYY-MM-DDTHH:MM:SS.000Z` of `day` at `seconds` after midnight (like toISOString, without a Date). */
export function isoDateTime(day: number, seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${isoDate(day)}T${pad2(h)}:${pad2(m)}:${pad2(seconds % 60)}.000Z`;
}

/** Parses `YYYY-MM-DD`; undefined when malformed. */
export function parseIsoDate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const day = dayNumber(Number(m[1]), Number(m[2]), Number(m[3]));
  return Number.isFinite(day) ? day : undefined;
}

/** ISO-8601 timestamp of `day` at `seconds` after midnight UTC. */
export function isoTimestamp(day: number, seconds: number): string {
  return new Date(day * DAY_MS + seconds * 1000).toISOString();
}

/** Milliseconds since the epoch of `day` at `seconds` after midnight UTC. */
export function epochMs(day: number, seconds: number): number {
  return day * DAY_MS + seconds * 1000;
}

/** 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

/** The weekday on or before `day` (payrolls move to the previous business day). */
export function previousBusinessDay(day: number): number {
  while (isWeekend(day)) day--;
  return day;
}

export function monthIndex(year: number, month: number): number {
  return year * 12 + (month - 1);
}

export function monthOfDay(day: number): number {
  const { year, month } = ymd(day);
  return monthIndex(year, month);
}

export function monthYear(index: number): { year: number; month: number } {
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** Day number of day `dom` of month `index`, clamped to the month's length. */
export function dayInMonth(index: number, dom: number): number {
  const { year, month } = monthYear(index);
  return dayNumber(year, month, Math.min(dom, daysInMonth(index)));
}

export function monthStart(index: number): number {
  const { year, month } = monthYear(index);
  return dayNumber(year, month, 1);
}

export function monthEnd(index: number): number {
  return monthStart(index + 1) - 1;
}

export function daysInMonth(index: number): number {
  return monthStart(index + 1) - monthStart(index);
}

/** The same day `months` months later (clamped to the month's end). */
export function addMonths(day: number, months: number): number {
  const { year, month, day: d } = ymd(day);
  return dayInMonth(monthIndex(year, month) + months, d);
}

export const SPANISH_MONTHS = [
  'Enero', 'Febrero', 'Marzo', 'Abril', 'Mayo', 'Junio',
  'Julio', 'Agosto', 'Septiembre', 'Octubre', 'Noviembre', 'Diciembre',
];

export const SHORT_MONTHS_ES = ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'];
export const SHORT_MONTHS_PT = ['jan', 'fev', 'mar', 'abr', 'mai', 'jun', 'jul', 'ago', 'set', 'out', 'nov', 'dez'];

const PRICE_INDEX = Array.from({ length: 101 }, (_, i) => 1.045 ** (i + 2000 - 2024));

/**
 * Prices and salaries relative to 2024: ~4.5% a year, so generated amounts stay plausible in any
 * year the sandbox is run (the data must never look stale).
 */
export function priceIndex(day: number): number {
  const year = ymd(day).year;
  return PRICE_INDEX[year - 2000] ?? 1.045 ** (year - 2024);
}
