/**
 * CPF check digits (Receita Federal "módulo 11"). The mock bank treats every CPF with valid
 * check digits as one of its customers, so tests can invent customers freely.
 */
export function isValidCpf(input: string): boolean {
  const cpf = input.replace(/[.\-\s]/g, '');
  if (!/^\d{11}$/.test(cpf)) return false;
  // 000.000.000-00, 111.111.111-11, ... pass the arithmetic but are not issued.
  if (/^(\d)\1{10}$/.test(cpf)) return false;
  const digits = [...cpf].map(Number);
  const check = (length: number): number => {
    let sum = 0;
    for (let i = 0; i < length; i += 1) sum += digits[i]! * (length + 1 - i);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  return check(9) === digits[9] && check(10) === digits[10];
}

/** Strips punctuation: "123.456.789-09" → "12345678909". */
export const normalizeCpf = (input: string): string => input.replace(/[.\-\s]/g, '');

/** Builds a valid CPF from any 9-digit base — for tests and fixtures. */
export function cpfFromBase(base: string): string {
  if (!/^\d{9}$/.test(base)) throw new TypeError('base must be 9 digits');
  const digits = [...base].map(Number);
  for (const length of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < length; i += 1) sum += digits[i]! * (length + 1 - i);
    const rest = (sum * 10) % 11;
    digits.push(rest === 10 ? 0 : rest);
  }
  return digits.join('');
}
