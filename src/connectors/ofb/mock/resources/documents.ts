/**
 * Brazilian tax ids (CPF for people, CNPJ for companies) and the mock bank's calendar.
 *
 * The mock treats every CPF with valid check digits as a customer, so the check matters: a typo'd
 * CPF must not silently become another customer.
 */
import { cpfFromBase, hasValidCpfDigits } from '../../../../documents/cpf.js';
import type { Rng } from '../../../sandbox/data/random.js';

const CPF_PUNCTUATION = /[.\-\s]/g;

/** 11 digits (punctuation `.`/`-` and spaces tolerated, as a customer types them), a valid CPF. */
export function isValidCpf(cpf: string): boolean {
  return hasValidCpfDigits(cpf.replace(CPF_PUNCTUATION, ''));
}

/** The 11 plain digits of a valid CPF (throws otherwise). */
export function normalizeCpf(cpf: string): string {
  if (!isValidCpf(cpf)) throw new Error(`invalid CPF: ${cpf}`);
  return cpf.replace(CPF_PUNCTUATION, '');
}

export { cpfFromBase };

/** A random valid CPF (counterparties, procurators). */
export function randomCpf(r: Rng): string {
  let base = r.digits(9);
  if (/^(\d)\1{8}$/.test(base)) base = `1${base.slice(1, 8)}2`;
  return cpfFromBase(base);
}

function cnpjDigit(digits: string): number {
  const weights = digits.length === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * weights[i];
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

/** A valid CNPJ for an 8-digit root and 4-digit branch (`0001` = head office). */
export function cnpj(root8: string, branch4 = '0001'): string {
  const base = root8 + branch4;
  const d1 = cnpjDigit(base);
  return `${base}${d1}${cnpjDigit(base + d1)}`;
}

export function randomCnpj(r: Rng): string {
  return cnpj(r.digits(8));
}

export function isValidCnpj(value: string): boolean {
  return /^\d{14}$/.test(value) && cnpj(value.slice(0, 8), value.slice(8, 12)) === value;
}

// ---- calendar ----------------------------------------------------------------------------------
// Booking dates are Brazilian dates: Brazil has had no DST since 2019, so São Paulo is UTC-3
// all year and a fixed offset is exact.

export const DAY_MS = 86_400_000;
const BRT_OFFSET_MS = -3 * 3_600_000;

/** Day number (days since 1970-01-01) of the São Paulo date at instant `t`. */
export function localDay(t: Date | number): number {
  return Math.floor((+t + BRT_OFFSET_MS) / DAY_MS);
}

/** `YYYY-MM-DD` of a day number. */
export function ymd(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Day number of a `YYYY-MM-DD` (null when not a real date). */
export function parseYmd(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return null;
  return ms / DAY_MS;
}

/** The UTC instant of São Paulo local time `minuteOfDay` on `day`. */
export function localInstant(day: number, minuteOfDay: number, second = 0, ms = 0): Date {
  return new Date(day * DAY_MS + minuteOfDay * 60_000 + second * 1000 + ms - BRT_OFFSET_MS);
}

/** `{year, month (1-12), dom}` of a day number. */
export function dayParts(day: number): { year: number; month: number; dom: number } {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, dom: d.getUTCDate() };
}

/** Day number of (year, month 1-12, dom), clamping dom to the month's length. */
export function dayOf(year: number, month: number, dom: number): number {
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return Date.UTC(year, month - 1, Math.min(dom, last)) / DAY_MS;
}

/** `day` moved by `months` calendar months (day of month clamped: Mar 31 - 1 month = Feb 28/29). */
export function addMonths(day: number, months: number): number {
  const { year, month, dom } = dayParts(day);
  const m0 = year * 12 + (month - 1) + months;
  return dayOf(Math.floor(m0 / 12), (m0 % 12) + 1, dom);
}

/** Month index (year*12 + month-1) of a day: the key of monthly things. */
export function monthIndex(day: number): number {
  const { year, month } = dayParts(day);
  return year * 12 + month - 1;
}

/** RFC 3339 UTC without milliseconds, as `meta.requestDateTime` (maxLength 20) requires. */
export function isoSeconds(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Integer cents → `1234.56` (the documents' `^\d{1,15}\.\d{2,4}$`, `-` where negatives are allowed). */
export function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
