/**
 * One sandbox OFB bank per database: a process in 'start' mode records the bank it started in the
 * store (its client's key material sealed); a process in 'reuse' mode (`vinculo worker` on
 * PostgreSQL) never starts one and calls the recorded bank. No record, or a bank that does not
 * answer: the retryable "institution down", never a second bank.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freshStore } from '../../../../test/helpers/stores.js';
import { loadConfig } from '../../../config.js';
import { VinculoError } from '../../../errors.js';
import { openStore, type Store } from '../../../store/db.js';
import { findSandboxOfbBank } from '../../../store/queries/sandbox-ofb-bank.js';
import { Vault } from '../../../vault/index.js';
import type { InstitutionDefinition } from '../../connector.js';
import { cpfFromBase } from '../mock/resources/documents.js';
import { openOfbInstitutions, type OfbInstitutions } from '../setup.js';
import { SANDBOX_OFB_INSTITUTION } from './index.js';
import { sharedSandboxEntry } from './shared.js';

const CPF = cpfFromBase('529982247');
const config = loadConfig({ VINCULO_MASTER_KEY: randomBytes(32).toString('base64'), VINCULO_DATA_DIR: '/nonexistent-test-dir' });
const redirectUri = () => 'http://localhost:8000/ofb/callback';
const request = { document: CPF, permissions: ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'] as const, months: 12 as const };

function isInstitutionDown(err: unknown): boolean {
  return err instanceof VinculoError && err.code === 'institution_down' && err.retryable;
}

describe('the sandbox OFB bank shared through the store', () => {
  let store: Store;
  const vault = new Vault({ current: randomBytes(32), previous: [] });
  const opened: OfbInstitutions[] = [];
  let definition: InstitutionDefinition;

  before(async () => {
    store = await openStore(await freshStore('embedded'));
  });
  after(async () => {
    for (const o of opened) await o.close();
    await store?.close();
  });

  const open = async (mode: 'start' | 'reuse', owner: string) => {
    const o = await openOfbInstitutions(config, { redirectUri, sandboxBank: mode, store: { db: store.db, vault, owner } });
    opened.push(o);
    assert.ok(o.connector);
    const def = o.connector.institutions.find((i) => i.name === SANDBOX_OFB_INSTITUTION);
    assert.ok(def, 'the sandbox institution is listed');
    definition = def;
    return o;
  };

  it("'reuse' with no bank recorded: the entry and the connector answer institution_down (retryable); no bank starts", async () => {
    await assert.rejects(sharedSandboxEntry({ db: store.db, vault, owner: 'vinculo worker' })(), isInstitutionDown);
    const worker = await open('reuse', 'vinculo worker');
    await assert.rejects(worker.connector!.startConsent(definition, { ...request, permissions: [...request.permissions] }), isInstitutionDown);
    assert.equal(await worker.sandboxBank(), null, 'no bank of its own');
    assert.equal(await findSandboxOfbBank(store.db, SANDBOX_OFB_INSTITUTION), undefined);
  });

  it("'start' records its bank (secrets sealed); 'reuse' calls that very bank with the same client; once it is gone, institution_down again", async () => {
    const api = await open('start', 'vinculo server');
    await api.connector!.startConsent(definition, { ...request, permissions: [...request.permissions] });
    const bank = await api.sandboxBank();
    assert.ok(bank, 'the API process started the bank');
    const row = await findSandboxOfbBank(store.db, SANDBOX_OFB_INSTITUTION);
    assert.ok(row, 'the bank is recorded');
    assert.equal(row.discovery_url, `${bank.issuer}/.well-known/openid-configuration`);
    assert.equal(row.api_base_url, bank.baseUrl);
    assert.equal(row.client_id, bank.client.clientId);
    assert.equal(row.redirect_uri, redirectUri());
    assert.match(row.owner, new RegExp(`^vinculo server \\(pid ${process.pid} on .+\\)$`));
    assert.ok(!row.ciphertext.includes(bank.client.keyPem.slice(40, 80)), 'the transport key is sealed');

    const entry = sharedSandboxEntry({ db: store.db, vault, owner: 'vinculo worker' });
    const built = await entry();
    assert.equal(built.name, SANDBOX_OFB_INSTITUTION);
    assert.equal(built.client_id, bank.client.clientId);
    assert.equal(await entry(), built, 'the same entry while the record is unchanged');

    const worker = await open('reuse', 'vinculo worker');
    await worker.connector!.startConsent(definition, { ...request, permissions: [...request.permissions] });
    assert.equal(await worker.sandboxBank(), null, 'the worker started no bank');
    assert.equal(bank.consents.all().filter((c) => c.cpf === CPF).length, 2, "both consents were made at the API process's bank");

    // The bank's process went away, its record left behind: the bank does not answer.
    await api.close();
    await assert.rejects(worker.connector!.startConsent(definition, { ...request, permissions: [...request.permissions] }), isInstitutionDown);
  });
});
