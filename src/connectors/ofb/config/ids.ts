/**
 * Institution ids of OFB banks. Links and the store refer to an institution by id and name
 * (src/store/queries/institutions.ts upserts the catalogue on id), so an id must never change
 * for a name, and must not collide with a built-in institution's.
 *
 * Decision: an entry's id is its explicit `id` when the operator set one (any integer in
 * BUILT_IN_ID_LIMIT..MAX_INSTITUTION_ID, e.g. to reuse the id Belvo gives the same bank), else it
 * is derived from the name: DERIVED_ID_BASE + (first 4 bytes of SHA-256(name)) mod DERIVED_ID_SPAN.
 * Deriving needs no bookkeeping and gives the same id on every machine and restart; two names that
 * land on one id (about 1 in 10⁸ per pair) are reported at load time, and setting `id` on one of them
 * settles it. Built-in institutions stay below BUILT_IN_ID_LIMIT (a test holds the registry to it).
 */
import { createHash } from 'node:crypto';

export const DERIVED_ID_BASE = 600_000_000;
export const DERIVED_ID_SPAN = 100_000_000;

/** The id derived from an institution name (stable: depends on the name only). */
export function derivedInstitutionId(name: string): number {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  return DERIVED_ID_BASE + (digest.readUInt32BE(0) % DERIVED_ID_SPAN);
}

/** The id an entry gets: its explicit one, else the derived one. */
export function institutionIdOf(entry: { name: string; id?: number }): number {
  return entry.id ?? derivedInstitutionId(entry.name);
}
