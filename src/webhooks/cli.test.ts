import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freshStore, STORES } from '../../test/helpers/stores.js';

/**
 * `vinculo webhooks create|list|delete` as a child process, on the PostgreSQL store when one is
 * reachable (several CLI processes can share it), else on an embedded data dir.
 */

const ROOT = new URL('../..', import.meta.url).pathname;
const BASE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|VINCULO_.*|NODE_ENV|PORT|HOST|LOG_LEVEL|NODE_TEST_CONTEXT)$/.test(k)),
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('webhooks: CLI', { timeout: 120_000 }, () => {
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  const cli = (...args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(process.execPath, ['bin/vinculo.js', ...args], { cwd: ROOT, env: { ...BASE_ENV, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vinculo-webhooks-cli-'));
    env = { VINCULO_DATA_DIR: dataDir, VINCULO_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') };
    if (STORES.includes('postgres')) {
      const store = await freshStore('postgres');
      if (store.kind === 'postgres') env.DATABASE_URL = store.url;
    }
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates (secret once, --json), lists, deletes; an unknown tenant or a bad URL is refused', async () => {
    const key = await cli('keys', 'create', '--tenant', 'acme', '--json');
    assert.equal(key.code, 0, show(key));

    const created = await cli('webhooks', 'create', 'https://example.com/hooks', '--tenant', 'acme', '--authorization', 'Bearer cli-s3cret', '--json');
    assert.equal(created.code, 0, show(created));
    const e = JSON.parse(created.stdout);
    assert.equal(e.tenant, 'acme');
    assert.equal(e.url, 'https://example.com/hooks');
    assert.match(e.secret, /^whsec_/);
    assert.match(e.id, /^[0-9a-f-]{36}$/);

    const plain = await cli('webhooks', 'create', 'http://127.0.0.1:8080/x', '--tenant', 'acme');
    assert.equal(plain.code, 0, show(plain));
    assert.match(plain.stdout, /secret: whsec_/);
    assert.match(plain.stdout, /shown only this once/);

    const list = await cli('webhooks', 'list', '--tenant', 'acme');
    assert.equal(list.code, 0, show(list));
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines.some((l) => l.startsWith(`${e.id}\tacme\thttps://example.com/hooks\t`) && l.endsWith('\tauthorization')));
    assert.ok(!list.stdout.includes('whsec_'));
    assert.ok(!list.stdout.includes('cli-s3cret'));
    assert.equal((await cli('webhooks', 'list', '--tenant', 'nobody')).stdout, '');

    const noTenant = await cli('webhooks', 'create', 'https://example.com/x', '--tenant', 'nobody');
    assert.equal(noTenant.code, 1, show(noTenant));
    assert.match(noTenant.stderr, /no tenant nobody/);
    const badUrl = await cli('webhooks', 'create', 'ftp://example.com/x', '--tenant', 'acme');
    assert.equal(badUrl.code, 1, show(badUrl));
    assert.match(badUrl.stderr, /url: Enter a valid absolute http/);

    const del = await cli('webhooks', 'delete', e.id);
    assert.equal(del.code, 0, show(del));
    assert.equal(del.stdout.trim(), `deleted ${e.id}`);
    const again = await cli('webhooks', 'delete', e.id);
    assert.equal(again.code, 1, show(again));
    assert.equal((await cli('webhooks', 'list')).stdout.trim().split('\n').length, 1);
  });
});
