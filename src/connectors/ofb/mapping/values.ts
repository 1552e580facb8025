/**
 * Value conversions shared by the mappings: OFB decimal strings to Belvo numbers, instants to
 * São Paulo calendar dates, and stable ids for items the bank sends without a usable one.
 */
import { createHash } from 'node:crypto';

/** A payload that cannot be mapped (a malformed amount or date): the bank broke its contract. */
export class OfbMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OfbMappingError';
  }
}

// Lenient on purpose: the documents say `^-?\d{1,15}\.\d{2,4}$`, but an amount without decimals
// or with more of them still has one exact meaning.
const AMOUNT_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Exact signed cents of an OFB amount string, rounded half away from zero on the first dropped
 * digit (`"0.0050"` → 1, `"-0.0050"` → -1, `"0.0049"` → 0). BigInt: 15 integer digits and 4
 * decimals do not fit a double exactly.
 */
export function amountCents(text: string): bigint {
  const m = AMOUNT_RE.exec(typeof text === 'string' ? text.trim() : '');
  if (!m) throw new OfbMappingError(`not an OFB amount: ${JSON.stringify(text)}`);
  const [, sign, int, frac = ''] = m;
  let cents = BigInt(int) * 100n + BigInt((frac + '00').slice(0, 2));
  if (frac.length > 2 && frac[2] >= '5') cents += 1n;
  return sign === '-' ? -cents : cents;
}

/** `"1234.56"` (or `"-0.50"`) of signed cents. */
export function centsText(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/**
 * The Belvo number of signed cents: the double nearest to the 2-decimal value (parsed from its
 * decimal text, so `0.1 + 0.2`-style drift never appears). Never `-0`.
 */
export function centsNumber(cents: bigint): number {
  return cents === 0n ? 0 : Number(centsText(cents));
}

/** An OFB amount string as a Belvo number rounded to 2 decimals (see `amountCents`). */
export function amountNumber(text: string): number {
  return centsNumber(amountCents(text));
}

/** `amountNumber` for optional amounts: null when the bank sent none. */
export function optionalAmount(value: { amount?: string } | undefined | null): number | null {
  return value?.amount === undefined ? null : amountNumber(value.amount);
}

/** Non-negative: Belvo transaction amounts carry no sign (the direction is `type`). */
export function absoluteAmount(text: string): number {
  const c = amountCents(text);
  return centsNumber(c < 0n ? -c : c);
}

// ---- dates ---------------------------------------------------------------------------------

// OFB instants are UTC; Belvo dates are the customer's calendar days. Intl (not a fixed UTC-3)
// so that dates from before 2019, when Brazil still had summer time, are right too.
const SAO_PAULO = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Sao_Paulo', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Milliseconds of an RFC 3339 instant; throws on garbage. */
export function instantMs(text: string): number {
  const ms = typeof text === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new OfbMappingError(`not an OFB date-time: ${JSON.stringify(text)}`);
  return ms;
}

/** `YYYY-MM-DD` in São Paulo of an instant (a Date or an RFC 3339 string). */
export function saoPauloDate(instant: Date | string): string {
  const ms = typeof instant === 'string' ? instantMs(instant) : instant.getTime();
  return SAO_PAULO.format(new Date(ms));
}

/** An RFC 3339 instant normalised to `toISOString()` form (milliseconds, `Z`). */
export function isoInstant(text: string): string {
  return new Date(instantMs(text)).toISOString();
}

/** A real `YYYY-MM-DD` calendar date, or null. */
export function calendarDate(text: string | undefined): string | null {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(text) ? text : null;
}

// ---- ids -----------------------------------------------------------------------------------

/** OFB ids and Belvo's `Transaction.internal_identification` share this pattern. */
export const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,99}$/;

/**
 * A stable id from the values that identify an item: the same parts always give the same id,
 * matching `ID_RE` (a prefix, a dash and 40 hex digits of SHA-256).
 */
export function stableId(prefix: string, parts: readonly (string | number | undefined | null)[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${prefix}-${digest.slice(0, 40)}`;
}

/** The first non-empty string, trimmed; null when there is none. */
export function text(...values: (string | undefined | null)[]): string | null {
  for (const v of values) if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return null;
}
