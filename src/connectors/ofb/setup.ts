/**
 * The Open Finance Brasil institutions of one server process: the operator's banks
 * (VINCULO_OFB_INSTITUTIONS, loaded and checked at start: a bad file stops the start with every
 * problem listed) and, with the sandbox institutions on, the mock bank `ofmockbank_br_retail`.
 *
 * The mock bank starts at its first use (the first consent, the first refresh of one of its links),
 * not at start-up: it loads oidc-provider and makes a CA, which most processes never need. It runs
 * in the process that started it on a local HTTPS port and lives as long as it. One bank per
 * database: the process that starts it records it in the store (`sandboxBank: 'start'`, with
 * `store`: sandbox/shared.ts), and the processes that never start one (`sandboxBank: 'reuse'`: a
 * `vinculo worker` on PostgreSQL) build their entry from that record, so they refresh the links it
 * authorised with the same client, at the same bank. Until a bank is recorded, or while it does
 * not answer, their calls fail as the institution being down (retried later; links stay valid).
 * One bank serves every tenant: the connector tells it each call's tenant now (its sandbox clock,
 * `x-vinculo-sandbox-now`), and it answers at that instant; tokens stay on real time.
 */
import type { Config } from '../../config.js';
import type { ConsentConnector } from '../connector.js';
import { assertDistinctInstitutions, derivedInstitutionId, loadOfbInstitutions, ofbInstitutionDefinition, type OfbInstitution } from './config/index.js';
import { createOfbConnector, type OfbSource } from './connector.js';
import type { MockBank } from './mock/bank.js';
import type { Faults } from './mock/resources/index.js';
import { BANK } from './mock/resources/bank.js';
import type { SandboxOfbBank } from './sandbox/index.js';
import { recordSandboxBank, sharedSandboxEntry, type SandboxBankStore } from './sandbox/shared.js';

export interface OfbInstitutions {
  /** null: no OFB institution in this process. */
  connector: ConsentConnector | null;
  /**
   * Test/sandbox support: the sandbox bank of this process once it has started (its consents,
   * `faults.revokeConsent`), else null. Never starts it.
   */
  sandboxBank(): Promise<MockBank | null>;
  /**
   * Test/sandbox support: the sandbox bank's data APIs' injected faults (a forced 423/429/5xx per
   * consent, with its Retry-After; latency; monthly limits) once it has started, else null.
   */
  sandboxFaults(): Promise<Faults | null>;
  close(): Promise<void>;
}

export interface OfbSetupOptions {
  /** Vinculo's callback URL for the sandbox bank, asked when the bank starts (the port is known by then). */
  redirectUri: () => string;
  /**
   * 'start' (default): this process starts the sandbox bank at its first use, and records it in
   * `store` when given. 'reuse': it never starts one; it uses the bank recorded in `store`
   * (required then) by the process that started it.
   */
  sandboxBank?: 'start' | 'reuse';
  /** Where the sandbox bank is recorded: the database's store, its vault, and who this process is. */
  store?: SandboxBankStore;
}

/** The sandbox bank's catalogue entry, known without starting it. */
const SANDBOX_CATALOGUE = {
  id: derivedInstitutionId(BANK.institution),
  name: BANK.institution,
  display_name: BANK.brandName,
  website: null,
  primary_color: '#0b6e4f',
  logo: null,
  icon_logo: null,
  text_logo: null,
};

export async function openOfbInstitutions(config: Config, options: OfbSetupOptions): Promise<OfbInstitutions> {
  const configured = config.ofbInstitutionsFile ? await loadOfbInstitutions(config.ofbInstitutionsFile) : [];
  const sources: OfbSource[] = configured.map((entry) => ({ definition: ofbInstitutionDefinition(entry), entry: async () => entry }));
  let sandbox: Promise<SandboxOfbBank> | null = null;
  if (config.sandboxInstitutions) {
    assertDistinctInstitutions([...configured, { ...SANDBOX_CATALOGUE, source: 'sandbox' }]);
    const definition = ofbInstitutionDefinition(SANDBOX_CATALOGUE);
    if (options.sandboxBank === 'reuse') {
      if (!options.store) throw new Error("sandboxBank: 'reuse' needs the store the bank is recorded in");
      // Never a bank of its own: the one the database's record names.
      sources.push({ definition, entry: sharedSandboxEntry(options.store), reload: true });
    } else {
      const store = options.store;
      const start = async (): Promise<SandboxOfbBank> => {
        const m = await import('./sandbox/index.js');
        const bank = await m.startSandboxOfbBank({ clock: () => new Date(), port: config.ofbSandboxPort, redirectUri: options.redirectUri() });
        try {
          if (store) await recordSandboxBank(store, bank.place, bank.material);
        } catch (err) {
          await bank.close().catch(() => {});
          throw err;
        }
        return bank;
      };
      sources.push({
        definition,
        entry: async () => {
          sandbox ??= start();
          sandbox.catch(() => (sandbox = null)); // a failed start is tried again at the next use
          return (await sandbox).entry;
        },
      });
    }
  }
  const started = async () => (sandbox ? await sandbox.catch(() => null) : null);
  const sandboxBank = async () => (await started())?.bank ?? null;
  const sandboxFaults = async () => (await started())?.faults ?? null;
  if (!sources.length) return { connector: null, sandboxBank, sandboxFaults, close: async () => {} };
  // Real time for tokens; consents, budgets and data follow each request's tenant clock.
  const connector = createOfbConnector(sources);
  return {
    connector,
    sandboxBank,
    sandboxFaults,
    async close() {
      await connector.close();
      if (sandbox) await (await sandbox.catch(() => null))?.close();
    },
  };
}
