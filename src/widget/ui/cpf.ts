/**
 * Brazilian CPF numbers: 11 digits, the last two check digits (mod 11). Shared by the widget page
 * (checked as the user types) and the server (token options, consent start), so both agree.
 */

/** The digits of a CPF typed with or without its punctuation (`123.456.789-09`); null otherwise. */
export function cpfDigits(value: string): string | null {
  const trimmed = value.trim();
  if (!/^(\d{11}|\d{3}\.\d{3}\.\d{3}-\d{2})$/.test(trimmed)) return null;
  return trimmed.replace(/\D/g, '');
}

function checkDigit(digits: string, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Number(digits[i]) * (length + 1 - i);
  const rest = (sum * 10) % 11;
  return rest === 10 ? 0 : rest;
}

/** True for a well-formed CPF whose check digits match; repeated digits (111.111.111-11) are not CPFs. */
export function isValidCpf(value: string): boolean {
  const digits = cpfDigits(value);
  if (!digits || /^(\d)\1{10}$/.test(digits)) return false;
  return checkDigit(digits, 9) === Number(digits[9]) && checkDigit(digits, 10) === Number(digits[10]);
}

/** `12345678909` → `123.456.789-09`. */
export function formatCpf(digits: string): string {
  return digits.length === 11 ? `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6, 9)}-${digits.slice(9)}` : digits;
}
