import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshStore, STORES } from '../../test/helpers/stores.js';
import { openStore, type Store } from '../store/db.js';
import { createJobQueue, type JobQueue } from './queue.js';

/** `batchSize`: a worker fetches several jobs at once and runs them concurrently; one failure fails the batch. */

type Jobs = { batched: { key: string; fail?: boolean } };

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const kind of STORES) {
  describe(`job queue batches [${kind}]`, { timeout: 60_000 }, () => {
    let store: Store;
    let queue: JobQueue<Jobs>;
    const runs: { key: string; retryCount: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const errors: string[] = [];

    before(async () => {
      store = await openStore(await freshStore(kind));
      queue = createJobQueue<Jobs>(store, { pollSeconds: 0.5, cron: false, onError: (err) => errors.push((err as Error).message) });
      queue.defineJob(
        'batched',
        async (job) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(100);
          inFlight--;
          runs.push({ key: job.data.key, retryCount: job.retryCount });
          if (job.data.fail && job.retryCount === 0) throw new Error(`${job.data.key} failed once`);
        },
        { batchSize: 4, concurrency: 1, retryLimit: 1, retryDelay: 1 },
      );
      await queue.start();
    });
    after(async () => {
      await queue?.stop();
      await store?.close();
    });

    it('rejects a bad batchSize', () => {
      assert.throws(() => createJobQueue<Jobs>(store).defineJob('batched', async () => {}, { batchSize: 0 }), /batchSize/);
    });

    it('one worker runs a batch concurrently and completes each job', async () => {
      const ids: (string | null)[] = [];
      for (const key of ['a', 'b', 'c', 'd']) ids.push(await queue.send('batched', { key }, { db: store.db }));
      queue.wake('batched');
      await waitFor('all four completed', async () => {
        const states = await Promise.all(ids.map((id) => queue.getJob('batched', id!)));
        return states.every((j) => j?.state === 'completed');
      });
      assert.equal(maxInFlight, 4);
      assert.deepEqual(runs.map((r) => r.key).sort(), ['a', 'b', 'c', 'd']);
    });

    it('a throwing handler fails its whole batch: every job of it runs again', async () => {
      runs.length = 0;
      const ids: (string | null)[] = [];
      for (const [key, fail] of [['e', false], ['f', true]] as const) ids.push(await queue.send('batched', { key, fail }, { db: store.db }));
      queue.wake('batched');
      await waitFor('both completed', async () => {
        const states = await Promise.all(ids.map((id) => queue.getJob('batched', id!)));
        return states.every((j) => j?.state === 'completed');
      });
      assert.deepEqual(runs.filter((r) => r.retryCount === 0).map((r) => r.key).sort(), ['e', 'f']);
      assert.deepEqual(runs.filter((r) => r.retryCount === 1).map((r) => r.key).sort(), ['e', 'f']);
      assert.deepEqual(errors, ['f failed once']);
    });
  });
}
