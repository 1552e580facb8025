/**
 * Deterministic randomness for the sandbox data. Nothing here reads the clock or `Math.random`:
 * the same seed always yields the same sequence, so an end user's data is a pure function of
 * (institution, username, calendar).
 *
 * - `rootSeed` hashes strings once with SHA-256 (institution + username), giving 128 bits.
 * - `Rng` is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): tiny, fast and good
 *   enough for fake data; the four 32-bit words of the seed are its whole state.
 * - `rng(seed, ...keys)` derives an independent generator from integer keys (account salt, day
 *   number, record kind...) with a few integer mixing rounds instead of another SHA-256, so a year
 *   of daily generators costs microseconds. That is what lets an extraction generate only the
 *   days of its window: day D's generator never depends on any other day.
 */
import { createHash } from 'node:crypto';

/** 128 bits of seed, as four unsigned 32-bit words. */
export type Seed = readonly [number, number, number, number];

/** SHA-256 of the parts (JSON-encoded so ['ab','c'] and ['a','bc'] differ), first 128 bits. */
export function rootSeed(...parts: (string | number)[]): Seed {
  const digest = createHash('sha256').update(JSON.stringify(['vinculo-sandbox-data', ...parts])).digest();
  return [digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)];
}

/** Hex digest of the parts; for identifiers that must look random but be stable. */
export function hashHex(...parts: (string | number)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a short string, for turning labels into integer keys. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A generator for `seed` specialised by up to five integer keys (order matters). Fixed arity
 * rather than rest parameters: it runs once per account per day, and cold (not yet optimised)
 * code pays for every allocation.
 */
export function rng(seed: Seed, k1: number, k2 = 0, k3 = 0, k4 = 0, k5 = 0): Rng {
  let a = seed[0];
  let b = seed[1];
  let c = seed[2];
  let d = seed[3];
  const keys = [k1, k2, k3, k4, k5];
  for (let i = 0; i < 5; i++) {
    const k = keys[i] | 0; // keys are day numbers, indexes and small labels: all fit 32 bits
    a = fmix32(a ^ Math.imul(k, 0x9e3779b1) ^ i);
    b = fmix32(b ^ Math.imul(k ^ a, 0x85ebca77));
    c = fmix32(c ^ Math.imul(k ^ b, 0xc2b2ae3d));
    d = fmix32(d ^ Math.imul(k ^ c, 0x27d4eb2f));
  }
  // The mixing above already spreads every key bit over the state; 4 warm-up rounds suffice.
  return new Rng(a, b, c, d, 4);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number, warmup = 12) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0 || 1;
    // sfc32 needs a few rounds to decorrelate similar seeds.
    for (let i = 0; i < warmup; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 0x100000000;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Uniform float in [min, max). */
  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight; `weight` must be positive for at least one item. */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    let total = 0;
    for (const item of items) total += weight(item);
    let r = this.next() * total;
    for (const item of items) {
      r -= weight(item);
      if (r < 0) return item;
    }
    return items[items.length - 1];
  }

  /** A Poisson-distributed count (Knuth's method; fine for the small means used here). */
  poisson(mean: number): number {
    // Inverse CDF: one uniform draw whatever the outcome (Knuth's method needs k + 1).
    const u = this.next();
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    while (u > cdf && k < 100) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }

  /** A string of `n` decimal digits (leading zeros allowed). */
  digits(n: number): string {
    // Up to 9 digits per draw (10^9 < 2^32); one draw per chunk keeps cold runs fast.
    let out = '';
    while (n > 0) {
      const k = Math.min(n, 9);
      out += String(Math.floor(this.next() * 10 ** k)).padStart(k, '0');
      n -= k;
    }
    return out;
  }

  /** `n` characters from `alphabet`. */
  chars(n: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }

  /** A fresh generator derived from this one (for sub-records whose count may change). */
  fork(key: number): Rng {
    return rng([this.u32(), this.u32(), this.u32(), this.u32()], key);
  }
}
