import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { findSandboxOfbBank } from '../src/store/queries/sandbox-ofb-bank.js';
import { type Harness, startHarness, TEST_MASTER_KEY } from './helpers/harness.js';
import { OFB_INSTITUTION, ofbSuite } from './helpers/ofb.js';
import { killChildren, startWorker, stopServer, type Server } from './helpers/server-process.js';
import { describePostgres } from './helpers/stores.js';

/**
 * One sandbox OFB bank per database: the API runs in this process with its workers off (as
 * `VINCULO_WORKERS=false npm start`), and a real `vinculo worker` process beside it on the same
 * PostgreSQL runs every job. The consent is made at the bank the API process started; the worker
 * starts no bank of its own but refreshes at the recorded one, so the link stays valid and its
 * refresh stores the days that passed on the tenant's clock.
 */

const CPF = cpfFromBase('604117223');

describePostgres('the sandbox OFB bank with a separate `vinculo worker` [postgres]', () => {
  let h: Harness;
  let worker: Server;
  before(async () => {
    h = await startHarness('postgres', {}, { workers: false });
    await h.listen();
    worker = await startWorker({ DATABASE_URL: h.vinculo.store.url!, VINCULO_MASTER_KEY: TEST_MASTER_KEY, VINCULO_JOB_POLL_SECONDS: '0.5' });
  });
  after(async () => {
    if (worker) await stopServer(worker).catch(() => {});
    await killChildren();
    await h?.close();
  });
  const s = ofbSuite(() => h);

  it("a consent made through the API is loaded and refreshed by the worker, at the API process's bank: the link stays valid", async () => {
    const link = await s.consentedLink(CPF);
    const bank = await s.bank();
    const row = await findSandboxOfbBank(h.vinculo.store.db, OFB_INSTITUTION);
    assert.ok(row, 'the API process recorded its bank');
    assert.equal(row.api_base_url, bank.baseUrl);
    assert.match(row.owner, new RegExp(`^vinculo server \\(pid ${process.pid} on `));

    await s.firstLoad(link);
    await s.refreshAtNextSlot(link);
    // Both ran in the worker (this process runs no jobs), which is still running.
    assert.equal(worker.child.exitCode, null);
    const res = await s.c.request('GET', `/api/links/${link}/`);
    assert.equal(res.body.status, 'valid');
    // Still the one bank: the worker's calls reached it with the consent the API made.
    assert.equal((await s.consentsOf(CPF)).at(-1)?.status, 'AUTHORISED');
    assert.equal((await findSandboxOfbBank(h.vinculo.store.db, OFB_INSTITUTION))?.api_base_url, bank.baseUrl, 'no other bank was recorded');
  });
});
