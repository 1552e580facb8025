/**
 * One sandbox OFB bank per database. The process that starts the bank (an API process, or the
 * only process of an embedded store) records where it runs and its client's key material in the
 * store (`sandbox_ofb_bank`, the secrets sealed by the vault); a process that never starts one
 * (`vinculo worker` on PostgreSQL) builds its runtime entry from that record, so its refreshes
 * reach the bank that authorised the consents, with the same client.
 *
 * No oidc-provider here: a worker imports this module, never ./index.ts.
 */
import type { JsonWebKey } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { InstitutionDownError } from '../../../errors.js';
import type { Database } from '../../../store/schema.js';
import { findSandboxOfbBank, upsertSandboxOfbBank } from '../../../store/queries/sandbox-ofb-bank.js';
import type { Vault } from '../../../vault/index.js';
import { createOfbInstitution, type OfbInstitution, type OfbInstitutionMaterial, type OfbInstitutionSettings } from '../config/index.js';
import { BANK } from '../mock/resources/bank.js';

/** The store the record lives in, and who this process is (`vinculo server`, `vinculo worker`). */
export interface SandboxBankStore {
  db: Kysely<Database>;
  vault: Vault;
  owner: string;
}

/** The non-secret settings of the sandbox bank's entry that change with each start. */
export interface SandboxBankPlace {
  discovery_url: string;
  api_base_url: string;
  client_id: string;
  redirect_uri: string;
}

/** The sandbox bank's client key material: what the vault seals. */
export interface SandboxBankMaterial extends OfbInstitutionMaterial {
  signingKey: JsonWebKey;
  encryptionKey: JsonWebKey;
  ca: string;
}

/** The runtime entry of the sandbox bank, as an operator's file entry would give it. */
export function sandboxBankEntry(place: SandboxBankPlace, material: SandboxBankMaterial): OfbInstitution {
  const settings: OfbInstitutionSettings = {
    name: BANK.institution,
    display_name: BANK.brandName,
    logo: null,
    ...place,
    brand: BANK.brandName,
  };
  return createOfbInstitution(settings, material, { source: 'sandbox' });
}

/** Binds the sealed material to the institution and the bank it was made for. */
const materialAad = (institution: string, discoveryUrl: string) => `sandbox_ofb_bank:${institution}:${discoveryUrl}`;

/** This process, as the record names it. */
export const processDescription = (owner: string) => `${owner} (pid ${process.pid} on ${hostname()})`;

/** Records the bank this process just started: the record every other process reuses. */
export async function recordSandboxBank(
  store: SandboxBankStore,
  place: SandboxBankPlace,
  material: SandboxBankMaterial,
  startedAt = new Date(),
): Promise<void> {
  const institution = BANK.institution;
  await upsertSandboxOfbBank(store.db, {
    institution,
    ...place,
    ...store.vault.sealJson(material, materialAad(institution, place.discovery_url)),
    owner: processDescription(store.owner),
    started_at: startedAt,
  });
}

/** How long a process trusts the record it read before reading it again (a restarted bank moves). */
const RECHECK_MS = 2_000;

/**
 * The `entry()` of a process that reuses the database's sandbox bank: the entry built from the
 * record, the same object while the record is unchanged (the connector keeps its client), a new one
 * once another bank replaced it. No record yet: InstitutionDownError (retryable: a refresh is tried
 * again later and the link stays valid); a bank that does not answer fails the calls to it the
 * same way. Never starts a bank.
 */
export function sharedSandboxEntry(store: SandboxBankStore): () => Promise<OfbInstitution> {
  let held: { version: string; entry: OfbInstitution; readAt: number } | null = null;
  return async () => {
    if (held && Date.now() - held.readAt < RECHECK_MS) return held.entry;
    const row = await findSandboxOfbBank(store.db, BANK.institution);
    if (!row) throw new InstitutionDownError();
    const version = `${row.started_at.toISOString()} ${row.owner} ${row.discovery_url} ${row.key_id} ${row.ciphertext.slice(0, 32)}`;
    if (held?.version !== version) {
      const material = store.vault.openJson<SandboxBankMaterial>(row, materialAad(row.institution, row.discovery_url));
      const place = { discovery_url: row.discovery_url, api_base_url: row.api_base_url, client_id: row.client_id, redirect_uri: row.redirect_uri };
      held = { version, entry: sandboxBankEntry(place, material), readAt: Date.now() };
    } else {
      held.readAt = Date.now();
    }
    return held.entry;
  };
}
