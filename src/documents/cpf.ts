/**
 * Brazilian CPF numbers: 11 digits, the last two check digits (Receita Federal's mod 11). The one
 * implementation for the widget page (bundled for the browser: no Node imports here), the server
 * (token options, consent start), the sandbox connectors' data and the OFB mock bank.
 */

/** The digits of a CPF typed with or without its punctuation (`123.456.789-09`); null otherwise. */
export function cpfDigits(value: string): string | null {
  const trimmed = value.trim();
  if (!/^(\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2})$/.test(trimmed)) return null;
  return trimmed.replace(/\D/g, '');
}

/** The two check digits of a CPF's first nine digits. */
export function cpfCheckDigits(nine: string): string {
  const digit = (digits: string) => {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (digits.length + 1 - i);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  const first = digit(nine);
  return `${first}${digit(nine + first)}`;
}

/** True for 11 plain digits whose check digits match, not all equal (111.111.111-11 is no CPF). */
export function hasValidCpfDigits(eleven: string): boolean {
  return /^\d{11}$/.test(eleven) && !/^(\d)\1{10}$/.test(eleven) && cpfCheckDigits(eleven.slice(0, 9)) === eleven.slice(9);
}

/** The valid CPF whose first nine digits are `nine` (tests and sandboxes invent people with it). */
export function cpfFromBase(nine: string): string {
  if (!/^\d{9}$/.test(nine)) throw new TypeError('base must be 9 digits');
  return nine + cpfCheckDigits(nine);
}

/** True for a well-formed CPF (`cpfDigits`) whose check digits match. */
export function isValidCpf(value: string): boolean {
  const digits = cpfDigits(value);
  return digits !== null && hasValidCpfDigits(digits);
}

/** `12345678909` → `123.456.789-09`. */
export function formatCpf(digits: string): string {
  return digits.length === 11 ? `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6, 9)}-${digits.slice(9)}` : digits;
}
