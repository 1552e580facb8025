import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeStores } from '../../test/helpers/harness.js';
import { waitFor } from '../../test/helpers/receiver.js';
import { systemClock } from '../clock.js';
import type { Queue } from '../jobs/jobs.js';
import { Webhooks, type WebhookEvent } from './index.js';

/**
 * The workers' wake-up for new deliveries comes after the commit that makes their jobs visible,
 * never before (a worker woken before finds nothing and sleeps until its next poll). The case that
 * once broke it: an emit within the wake-up's debounce window does not NOTIFY in its transaction;
 * its deliveries were announced at the end of the window even while that transaction was still
 * open. A Webhooks of its own on the harness's store, with a queue that only records wake-ups
 * (the NOTIFY → listener → wake path is the real one); on PostgreSQL each wake-up looks, from
 * another connection, whether the emitted event is visible yet.
 */

const WINDOW_MS = 1000;

describeStores('webhooks: the wake-up follows the commit', (h) => {
  let webhooks: Webhooks;
  let tenantId: string;
  /** What each wake-up saw: is the awaited event committed (true while none is awaited)? */
  const probes: Promise<boolean>[] = [];
  let awaited: string | null = null;

  const db = () => h().vinculo.store.db;
  const visible = async (webhookId: string) =>
    (await db().selectFrom('webhook_events').select('id').where('id', '=', webhookId).execute()).length === 1;
  const event = (code: string): WebhookEvent => ({
    tenantId, linkId: null, externalId: null, webhookType: 'LINK', webhookCode: code, processType: 'recurrent_update', data: {}, at: new Date(),
  });

  before(async () => {
    const c = await h().newClient();
    assert.equal((await c.request('POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/hooks' })).status, 201);
    tenantId = (await db().selectFrom('tenants').select('id').where('name', '=', c.tenant).executeTakeFirstOrThrow()).id;
    const recording = {
      defineJob: () => recording,
      sendMany: async (_name: string, payloads: readonly unknown[]) => payloads.map(() => randomUUID()),
      wake: () => probes.push(awaited === null ? Promise.resolve(true) : visible(awaited)),
    };
    const services = h().vinculo.services;
    webhooks = new Webhooks({
      store: h().vinculo.store, vault: services.vault, clock: systemClock, targetPolicy: services.webhooks.policy, wakeDebounceMs: WINDOW_MS,
    });
    webhooks.registerJobs(recording as unknown as Queue);
    await webhooks.start();
    // On PostgreSQL the listener wakes the workers once it listens (for what committed before):
    // not the first emit's wake-up, which the test waits for.
    probes.length = 0;
  });
  after(() => webhooks?.stop());

  it('an emit debounced in a transaction held open past the window wakes the workers only once it has committed', async () => {
    // The first emit NOTIFYs in its transaction; its wake-up comes at its commit and opens the window.
    await db().transaction().execute((tx) => webhooks.emit(tx, event('first')));
    await waitFor('the first wake-up', () => probes.length > 0);
    probes.length = 0;

    // The second, within the window, leaves its wake-up for later; its transaction outlasts the window.
    await db().transaction().execute(async (tx) => {
      awaited = await webhooks.emit(tx, event('second'));
      await sleep(WINDOW_MS + 500);
    });
    await waitFor('a wake-up for the second', () => probes.length > 0);
    assert.deepEqual(await Promise.all(probes), probes.map(() => true), 'every wake-up came after the commit');
  });
});
