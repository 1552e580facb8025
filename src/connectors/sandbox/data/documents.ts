/**
 * Identifiers with their real check digits (CLABE, card numbers, CPF, CURP, NSS), so client code
 * that validates them (as production code should) accepts the sandbox's values.
 */
import { cpfFromBase, formatCpf, hasValidCpfDigits } from '../../../documents/cpf.js';
import type { Rng } from './random.js';

/** Mexican CLABE: 17 digits (bank 3, branch 3, account 11) plus a weighted mod-10 check digit. */
export function clabe(bank: string, branch: string, account: string): string {
  const body = `${bank}${branch}${account}`;
  if (!/^\d{17}$/.test(body)) throw new Error(`bad CLABE body ${body}`);
  const weights = [3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (Number(body[i]) * weights[i % 3]) % 10;
  return body + String((10 - (sum % 10)) % 10);
}

/** Luhn check digit of a digit string (cards, IMSS NSS). */
export function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // Doubling starts from the rightmost digit of the body (it sits next to the check digit).
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function luhnValid(number: string): boolean {
  return /^\d+$/.test(number) && luhnDigit(number.slice(0, -1)) === number.slice(-1);
}

/** A 16-digit Luhn-valid card number with the given issuer prefix. */
export function cardNumber(r: Rng, prefix: string): string {
  const body = prefix + r.digits(15 - prefix.length);
  return body + luhnDigit(body);
}

/** Brazilian CPF (11 digits, two mod-11 check digits), formatted `000.000.000-00`. */
export function cpf(r: Rng): string {
  const digits = r.digits(9);
  return formatCpf(cpfFromBase(digits));
}

/** True when `text` (formatted or bare) is a CPF with valid check digits and not all equal. */
export function cpfValid(text: string): boolean {
  return hasValidCpfDigits(text.replace(/[.\-\s]/g, ''));
}

const CURP_ALPHABET = '0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ';

/** The CURP's 18th character: weighted sum of the first 17 over RENAPO's alphabet, mod 10. */
export function curpCheckDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Math.max(0, CURP_ALPHABET.indexOf(first17[i])) * (18 - i);
  return String((10 - (sum % 10)) % 10);
}

/** Mexican states as CURP codes, with the name IMSS and SAT print. */
export const MX_STATES: readonly { code: string; name: string }[] = [
  { code: 'AS', name: 'AGUASCALIENTES' },
  { code: 'BC', name: 'BAJA CALIFORNIA' },
  { code: 'BS', name: 'BAJA CALIFORNIA SUR' },
  { code: 'CC', name: 'CAMPECHE' },
  { code: 'CL', name: 'COAHUILA' },
  { code: 'CM', name: 'COLIMA' },
  { code: 'CS', name: 'CHIAPAS' },
  { code: 'CH', name: 'CHIHUAHUA' },
  { code: 'DF', name: 'CIUDAD DE MEXICO' },
  { code: 'DG', name: 'DURANGO' },
  { code: 'GT', name: 'GUANAJUATO' },
  { code: 'GR', name: 'GUERRERO' },
  { code: 'HG', name: 'HIDALGO' },
  { code: 'JC', name: 'JALISCO' },
  { code: 'MC', name: 'ESTADO DE MEXICO' },
  { code: 'MN', name: 'MICHOACAN' },
  { code: 'MS', name: 'MORELOS' },
  { code: 'NT', name: 'NAYARIT' },
  { code: 'NL', name: 'NUEVO LEON' },
  { code: 'OC', name: 'OAXACA' },
  { code: 'PL', name: 'PUEBLA' },
  { code: 'QT', name: 'QUERETARO' },
  { code: 'QR', name: 'QUINTANA ROO' },
  { code: 'SP', name: 'SAN LUIS POTOSI' },
  { code: 'SL', name: 'SINALOA' },
  { code: 'SR', name: 'SONORA' },
  { code: 'TC', name: 'TABASCO' },
  { code: 'TS', name: 'TAMAULIPAS' },
  { code: 'TL', name: 'TLAXCALA' },
  { code: 'VZ', name: 'VERACRUZ' },
  { code: 'YN', name: 'YUCATAN' },
  { code: 'ZS', name: 'ZACATECAS' },
];

/** Upper-case, accents removed (Ñ kept), as RENAPO and SAT write names. */
export function officialCase(text: string): string {
  return text
    .toUpperCase()
    .replace(/Ñ/g, '\u0000')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\u0000/g, 'Ñ');
}

const VOWELS = 'AEIOU';

/** First vowel after the first letter (CURP/RFC position 2). */
export function firstInnerVowel(word: string): string {
  const w = officialCase(word);
  for (let i = 1; i < w.length; i++) if (VOWELS.includes(w[i])) return w[i];
  return 'X';
}

/** First consonant after the first letter (CURP positions 14-16). */
export function firstInnerConsonant(word: string): string {
  const w = officialCase(word);
  for (let i = 1; i < w.length; i++) if (/[A-ZÑ]/.test(w[i]) && !VOWELS.includes(w[i])) return w[i] === 'Ñ' ? 'X' : w[i];
  return 'X';
}

export interface PersonName {
  first: string;
  paternal: string;
  maternal: string;
}

/** The four letters RFC and CURP both start with. */
export function nameKey(name: PersonName): string {
  const p = officialCase(name.paternal);
  return `${p[0]}${firstInnerVowel(p)}${officialCase(name.maternal)[0]}${officialCase(name.first)[0]}`;
}

const yymmdd = (year: number, month: number, day: number) =>
  `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;

/** RFC of a person: name key, birth date, a 3-character homoclave (random here; SAT derives it). */
export function personRfc(r: Rng, name: PersonName, birth: { year: number; month: number; day: number }): string {
  return `${nameKey(name)}${yymmdd(birth.year, birth.month, birth.day)}${r.chars(2, 'ABCDEFGHJKLMNPRSTUVWXYZ123456789')}${r.chars(1, 'A0123456789')}`;
}

/** RFC of a company: 3 letters, incorporation date, homoclave. */
export function companyRfc(r: Rng, letters: string, founded: { year: number; month: number; day: number }): string {
  return `${letters}${yymmdd(founded.year, founded.month, founded.day)}${r.chars(2, 'ABCDEFGHJKLMNPRSTUVWXYZ123456789')}${r.chars(1, 'A0123456789')}`;
}

/** A CURP consistent with the name, birth date, sex and state, with a valid check digit. */
export function curp(
  name: PersonName,
  birth: { year: number; month: number; day: number },
  sex: 'H' | 'M',
  stateCode: string,
  r: Rng,
): string {
  const inner =
    firstInnerConsonant(name.paternal) + firstInnerConsonant(name.maternal) + firstInnerConsonant(name.first);
  // The 17th character tells the century: a digit before 2000, a letter from 2000 on.
  const homoclave = birth.year < 2000 ? String(r.int(0, 9)) : r.pick(['A', 'B', 'C', 'D']);
  const first17 = `${nameKey(name)}${yymmdd(birth.year, birth.month, birth.day)}${sex}${stateCode}${inner}${homoclave}`;
  return first17 + curpCheckDigit(first17);
}

/**
 * IMSS social security number: subdelegation (2), year of first registration (2), birth year (2),
 * sequence (4) and a Luhn check digit.
 */
export function nss(r: Rng, registrationYear: number, birthYear: number): string {
  const body = `${r.digits(2)}${String(registrationYear % 100).padStart(2, '0')}${String(birthYear % 100).padStart(2, '0')}${r.digits(4)}`;
  return body + luhnDigit(body);
}

/** A canonical-looking RFC of a counterparty that has none of its own (3 letters from its name). */
export function lettersOf(name: string, n: number): string {
  const words = officialCase(name)
    .replace(/[^A-ZÑ& ]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 2 && !['DEL', 'LOS', 'LAS', 'SA', 'CV', 'SAPI', 'RL', 'SC'].includes(w));
  let out = words.map((w) => w[0]).join('');
  if (out.length < n) out += (words[0] ?? 'XXX').slice(1);
  return (out + 'XXX').slice(0, n);
}
