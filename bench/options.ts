/** Command-line and environment options shared by the benchmark scripts: `--name value`, `--name=value` or `ENV`. */

export function argValue(name: string): string | undefined {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1] ?? '';
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

export const flag = (name: string, envName: string): boolean =>
  process.argv.slice(2).includes(`--${name}`) || process.env[envName] === '1';

/** A number option in [min, max]; `integer` refuses fractions. */
export function num(name: string, envName: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = argValue(name) ?? process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  const kind = integer ? 'an integer' : 'a number';
  if (!(integer ? Number.isInteger(n) : Number.isFinite(n)) || n < min || n > max) {
    throw new Error(`--${name} / ${envName} must be ${kind} in ${min}..${max}`);
  }
  return n;
}

export const int = (name: string, envName: string, fallback: number, min: number, max: number): number =>
  num(name, envName, fallback, min, max, true);
