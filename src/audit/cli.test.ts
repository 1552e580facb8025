import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config.js';
import { createVinculo } from '../server.js';
import { BASE_ENV } from '../../test/helpers/server-process.js';
import { freshStore, STORES } from '../../test/helpers/stores.js';

/**
 * `vinculo audit` as a child process, on each store: records made by a server (in this process,
 * closed before the CLI opens the store), then listed newest first, filtered by link, by time, by
 * tenant, limited, as tab-separated lines or JSON lines.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const MASTER_KEY = Buffer.alloc(32, 5).toString('base64');
const PASSWORD = 'audit-cli-pw-31c9';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

for (const store of STORES) {
  describe(`audit: CLI [${store}]`, { timeout: 180_000 }, () => {
    let env: NodeJS.ProcessEnv;
    let dataDir: string;
    const ids: { a?: string; b?: string; c?: string; mid?: Date } = {};
    const cli = (...args: string[]) =>
      new Promise<Run>((resolve) => {
        execFile(process.execPath, ['bin/vinculo.js', 'audit', ...args], { cwd: ROOT, env: { ...BASE_ENV, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: String(stdout), stderr: String(stderr) });
        });
      });
    const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    const lines = (r: Run) => r.stdout.split('\n').filter(Boolean);

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'vinculo-audit-cli-'));
      env = { VINCULO_DATA_DIR: dataDir, VINCULO_MASTER_KEY: MASTER_KEY };
      if (store === 'postgres') {
        const options = await freshStore('postgres');
        if (options.kind === 'postgres') env.DATABASE_URL = options.url;
      }
      // A server on that store makes the records, then closes (the embedded store is one process's).
      const v = await createVinculo({ config: loadConfig(env as Record<string, string>), workers: false, warn: () => {} });
      try {
        const acme = await v.services.tenants.createKey({ tenant: 'acme' });
        const globex = await v.services.tenants.createKey({ tenant: 'globex' });
        const call = async (key: { id: string; password: string }, method: string, url: string, body?: object) => {
          const res = await v.app.inject({
            method: method as 'GET',
            url,
            headers: {
              authorization: `Basic ${Buffer.from(`${key.id}:${key.password}`).toString('base64')}`,
              ...(body && { 'content-type': 'application/json' }),
            },
            payload: body && JSON.stringify(body),
          });
          return { status: res.statusCode, body: res.body ? res.json() : undefined };
        };
        const link = { institution: 'erebor_mx_retail', password: PASSWORD, access_mode: 'single' };
        ids.a = (await call(acme, 'POST', '/api/links/', { ...link, username: 'cli_a' })).body.id;
        ids.b = (await call(acme, 'POST', '/api/links/', { ...link, username: 'cli_b' })).body.id;
        assert.equal((await call(acme, 'PUT', `/api/links/${ids.a}/`, { password: `${PASSWORD}-2` })).status, 200);
        await sleep(50);
        ids.mid = new Date();
        await sleep(50);
        assert.equal((await call(acme, 'PUT', `/api/links/${ids.a}/`, { password: 'wrong' })).status, 400);
        assert.equal((await call(acme, 'DELETE', `/api/links/${ids.b}/`)).status, 204);
        ids.c = (await call(globex, 'POST', '/api/links/', { ...link, username: 'cli_c' })).body.id;
      } finally {
        await v.close();
      }
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it('--json: every record, newest first, one JSON object per line', async () => {
      const r = await cli('--json');
      assert.equal(r.code, 0, show(r));
      const all = lines(r).map((l) => JSON.parse(l));
      assert.deepEqual(
        all.map((x) => [x.tenant, x.action, x.link_id, x.outcome]),
        [
          ['globex', 'register', ids.c, 'success'],
          ['acme', 'delete', ids.b, 'success'],
          ['acme', 'update', ids.a, 'login_error'],
          ['acme', 'update', ids.a, 'success'],
          ['acme', 'register', ids.b, 'success'],
          ['acme', 'register', ids.a, 'success'],
          ['globex', 'key_create', null, 'success'],
          ['acme', 'key_create', null, 'success'],
        ],
      );
      assert.deepEqual(Object.keys(all[0]), ['at', 'tenant', 'actor', 'action', 'link_id', 'key_id', 'outcome', 'request_id']);
      assert.match(all[0].request_id, /^[0-9a-f]{32}$/);
      assert.equal(all[7].request_id, null);
      assert.ok(!r.stdout.includes(PASSWORD), 'no credential');
    });

    it('--link ID: that link’s records, as tab-separated lines', async () => {
      const r = await cli('--link', ids.a!);
      assert.equal(r.code, 0, show(r));
      const rows = lines(r).map((l) => l.split('\t'));
      assert.deepEqual(
        rows.map((x) => [x[1], x[3], x[4], x[5], x[6]]),
        [
          ['acme', 'update', ids.a, '-', 'login_error'],
          ['acme', 'update', ids.a, '-', 'success'],
          ['acme', 'register', ids.a, '-', 'success'],
        ],
      );
      for (const row of rows) {
        assert.equal(row.length, 8);
        assert.ok(!Number.isNaN(Date.parse(row[0])));
        assert.match(row[7], /^[0-9a-f]{32}$/);
      }
    });

    it('--since DATE: only what happened from then on; with --tenant and --limit', async () => {
      const r = await cli('--since', ids.mid!.toISOString(), '--json');
      assert.equal(r.code, 0, show(r));
      assert.deepEqual(
        lines(r).map((l) => JSON.parse(l)).map((x) => [x.action, x.link_id]),
        [
          ['register', ids.c],
          ['delete', ids.b],
          ['update', ids.a],
        ],
      );
      const limited = await cli('--tenant', 'acme', '--limit', '2', '--json');
      assert.equal(limited.code, 0, show(limited));
      assert.deepEqual(
        lines(limited).map((l) => JSON.parse(l)).map((x) => [x.tenant, x.action, x.link_id]),
        [
          ['acme', 'delete', ids.b],
          ['acme', 'update', ids.a],
        ],
      );
    });

    it('a bad --since or --limit is refused', async () => {
      const r = await cli('--since', 'last tuesday');
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, /--since needs a date/);
      const l = await cli('--limit', '0');
      assert.notEqual(l.code, 0, show(l));
      assert.match(l.stderr, /--limit/);
    });
  });
}
