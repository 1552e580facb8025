/**
 * Vault throughput: `npx tsx bench/vault.ts [ops]`. Seals with key A, then opens and re-wraps
 * those envelopes with a vault whose current key is B (A previous), i.e. the rotation path.
 */
import { randomBytes } from 'node:crypto';
import { Vault } from '../src/vault/index.js';
import type { Sealed } from '../src/store/schema.js';

const N = Number(process.argv[2] ?? 100_000);
const a = randomBytes(32);
const vaultA = new Vault({ current: a, previous: [] });
const vaultAB = new Vault({ current: randomBytes(32), previous: [a] });
// A typical credentials payload.
const creds = { username: 'ana.lopez@example.com', password: 'correct horse battery staple', token: '123456' };
const aad = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function time(label: string, fn: () => void) {
  const start = process.hrtime.bigint();
  fn();
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(8)} ${Math.round(N / s).toLocaleString('en-US').padStart(10)} /s  (${N} in ${s.toFixed(2)} s)`);
}

const sealed: Sealed[] = new Array(N);
time('seals', () => {
  for (let i = 0; i < N; i++) sealed[i] = vaultA.sealJson(creds, aad(i));
});
time('opens', () => {
  for (let i = 0; i < N; i++) vaultAB.openJson(sealed[i], aad(i));
});
time('rewraps', () => {
  for (let i = 0; i < N; i++) vaultAB.rewrap(sealed[i]);
});
