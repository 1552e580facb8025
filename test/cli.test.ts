import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BASE_ENV, killChildren, startServer, stopServer, type Server } from './helpers/server-process.js';

/**
 * The real `vinculo` command (bin/vinculo.js) and the real server (src/main.ts) as child
 * processes on one embedded data dir: keys, migrate, institutions, the development keyring and
 * its rotation, the single-process lock, and the start-up environment (bootstrap key, production
 * without a master key). Every CLI start opens PGlite (~1–4 s), so invocations are few and the
 * tests in this file build on each other, in order.
 */

const ROOT = new URL('..', import.meta.url).pathname;
const LONG = 120_000;


interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI runs this file starts (servers are tracked by the helper). */
const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vinculo-cli-'));
  tempDirs.push(dir);
  return dir;
}

function execNode(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...BASE_ENV, ...env }, timeout: 90_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        children.delete(child);
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    children.add(child);
  });
}

const describeRun = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const basic = (id: string, password: string) => `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}`;

describe('vinculo CLI and server processes (embedded store)', { timeout: 10 * 60_000 }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => execNode(['bin/vinculo.js', ...args], env);
  const keyringPath = () => join(dataDir, 'master-keys.json');
  const lockPath = () => join(dataDir, 'vinculo.lock');

  let defaultKey: { tenant: string; id: string; password: string };
  let acmeKey: { tenant: string; id: string; password: string };
  let plainKey: { id: string; password: string };
  let server: Server | undefined;
  const link: { id?: string; mfaLink?: string; mfaSession?: string; initialKeyring?: string } = {};
  const bootstrap = { id: 'cli-test-bootstrap-key', password: 'bootstrap-password-123' };

  before(() => {
    dataDir = tempDir();
    env = { VINCULO_DATA_DIR: dataDir };
  });

  after(async () => {
    await killChildren(children);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keys create --json prints exactly one JSON line {tenant, id, password}', { timeout: LONG }, async () => {
    const r = await cli('keys', 'create', '--json');
    assert.equal(r.code, 0, describeRun(r));
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, describeRun(r));
    defaultKey = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(defaultKey).sort(), ['id', 'password', 'tenant']);
    assert.equal(defaultKey.tenant, 'default');
    assert.match(defaultKey.id, /^[0-9a-f-]{36}$/);
    assert.ok(defaultKey.password.length >= 12);
    assert.ok(!existsSync(lockPath()), 'the CLI released the store lock on exit');
  });

  it('without VINCULO_MASTER_KEY a development keyring is generated, mode 0600', () => {
    const path = keyringPath();
    assert.ok(existsSync(path), 'master-keys.json in the data dir');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(Object.keys(file.keys).length, 1);
    assert.ok(file.keys[file.current]);
    link.initialKeyring = file.current;
  });

  it('keys create --tenant acme --json and plain keys create', { timeout: LONG }, async () => {
    const r = await cli('keys', 'create', '--tenant', 'acme', '--json');
    assert.equal(r.code, 0, describeRun(r));
    acmeKey = JSON.parse(r.stdout.trim());
    assert.deepEqual(Object.keys(acmeKey).sort(), ['id', 'password', 'tenant']);
    assert.equal(acmeKey.tenant, 'acme');
    assert.notEqual(acmeKey.id, defaultKey.id);

    const plain = await cli('keys', 'create');
    assert.equal(plain.code, 0, describeRun(plain));
    const id = /^id:\s+(\S+)$/m.exec(plain.stdout)?.[1];
    const password = /^password:\s+(\S+)$/m.exec(plain.stdout)?.[1];
    assert.ok(id && password, describeRun(plain));
    assert.match(plain.stdout, /^tenant:\s+default$/m);
    assert.match(plain.stdout, /shown only this once/);
    assert.throws(() => JSON.parse(plain.stdout), 'plain output is not JSON');
    plainKey = { id, password };
  });

  it('keys list shows every key with its tenant, active', { timeout: LONG }, async () => {
    const r = await cli('keys', 'list');
    assert.equal(r.code, 0, describeRun(r));
    const rows = new Map(r.stdout.split('\n').filter(Boolean).map((l) => [l.split('\t')[0], l.split('\t')]));
    assert.equal(rows.size, 3, describeRun(r));
    for (const [id, tenant] of [
      [defaultKey.id, 'default'],
      [acmeKey.id, 'acme'],
      [plainKey.id, 'default'],
    ]) {
      const row = rows.get(id);
      assert.ok(row, `${id} listed`);
      assert.equal(row[1], tenant);
      assert.ok(!Number.isNaN(Date.parse(row[2])), 'created is a timestamp');
      assert.equal(row[3], 'active');
    }
    assert.ok(!r.stdout.includes(defaultKey.password), 'passwords are never listed');
  });

  it('keys revoke: a known key exits 0, an unknown one does not', { timeout: LONG }, async () => {
    const ok = await cli('keys', 'revoke', plainKey.id);
    assert.equal(ok.code, 0, describeRun(ok));
    assert.match(ok.stdout, new RegExp(`revoked ${plainKey.id}`));
    const unknown = await cli('keys', 'revoke', '00000000-0000-0000-0000-000000000000');
    assert.notEqual(unknown.code, 0, describeRun(unknown));
    assert.match(unknown.stdout + unknown.stderr, /no active key/);
  });

  it('migrate exits 0 on an up-to-date store', { timeout: LONG }, async () => {
    const r = await cli('migrate');
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /already up to date|applied:/);
  });

  it('institutions list prints the sandbox catalogue', { timeout: LONG }, async () => {
    const r = await cli('institutions', 'list');
    assert.equal(r.code, 0, describeRun(r));
    const names = r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[1]);
    for (const name of ['erebor_mx_retail', 'tatooine_mx_fiscal', 'imss_mx_employment', 'gotham_mx_business']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
  });

  it('server with the bootstrap key: CLI keys authenticate over HTTP, the bootstrap pair too', { timeout: LONG }, async () => {
    server = await startServer({
      ...env,
      VINCULO_SECRET_KEY_ID: bootstrap.id,
      VINCULO_SECRET_KEY_PASSWORD: bootstrap.password,
    });
    const get = (path: string, id: string, password: string) =>
      fetch(`${server!.url}${path}`, { headers: { authorization: basic(id, password) } });

    assert.equal((await get('/api/', bootstrap.id, bootstrap.password)).status, 200);
    assert.equal((await get('/api/', bootstrap.id, 'not-the-bootstrap-password')).status, 401);

    const ok = await get('/api/links/', defaultKey.id, defaultKey.password);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { count: number }).count, 0);
    assert.equal((await get('/api/links/', acmeKey.id, acmeKey.password)).status, 200);
    assert.equal((await get('/api/links/', defaultKey.id, `${defaultKey.password}x`)).status, 401);
    assert.equal((await get('/api/links/', plainKey.id, plainKey.password)).status, 401, 'revoked by the CLI');

    // Sealed values for the rotation below: one link's credentials, one open MFA session.
    const post = (body: unknown) =>
      fetch(`${server!.url}/api/links/`, {
        method: 'POST',
        headers: { authorization: basic(defaultKey.id, defaultKey.password), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post({ institution: 'erebor_mx_retail', username: 'cli_user', password: 'pass_valid' });
    assert.equal(created.status, 201);
    link.id = ((await created.json()) as { id: string }).id;
    const mfa = await post({ institution: 'erebor_mx_retail', username: 'mfa_cli', password: 'pass_valid' });
    assert.equal(mfa.status, 428);
    const [challenge] = (await mfa.json()) as { session: string; link: string }[];
    link.mfaLink = challenge.link;
    link.mfaSession = challenge.session;
  });

  it('while the server holds the embedded store, the CLI stops with "in use" and changes nothing', { timeout: LONG }, async () => {
    assert.ok(server, 'server running');
    const keyringBefore = readFileSync(keyringPath(), 'utf8');
    for (const args of [['keys', 'list'], ['keys', 'rotate-master']]) {
      const r = await cli(...args);
      assert.notEqual(r.code, 0, describeRun(r));
      assert.match(r.stderr, /in use by another process/, describeRun(r));
      assert.match(r.stderr, new RegExp(`pid ${server.child.pid}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'a message, not a stack trace');
    }
    assert.equal(readFileSync(keyringPath(), 'utf8'), keyringBefore, 'a refused rotate-master leaves the keyring alone');
    assert.ok(existsSync(lockPath()), 'the server still holds its lock');
  });

  it('after SIGTERM the server exits 0, releases the store, and the CLI works again', { timeout: LONG }, async () => {
    const { code } = await stopServer(server!);
    server = undefined;
    assert.equal(code, 0);
    assert.ok(!existsSync(lockPath()), 'lock released');

    const r = await cli('keys', 'list');
    assert.equal(r.code, 0, describeRun(r));
    const status = new Map(r.stdout.split('\n').filter(Boolean).map((l) => [l.split('\t')[0], l.split('\t')]));
    assert.equal(status.get(plainKey.id)?.[3]?.startsWith('revoked '), true, describeRun(r));
    assert.ok(!Number.isNaN(Date.parse(status.get(plainKey.id)![3].slice('revoked '.length))));
    assert.equal(status.get(defaultKey.id)?.[3], 'active');
    assert.equal(status.get(acmeKey.id)?.[3], 'active');
    assert.deepEqual(status.get(bootstrap.id)?.slice(1, 2), ['default'], 'the bootstrap key was stored');
    assert.equal(status.get(bootstrap.id)?.[3], 'active');
  });

  it('keys rotate-master adds a key to the development keyring and re-wraps every sealed value', { timeout: LONG }, async () => {
    const r = await cli('keys', 'rotate-master');
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /re-wrapped 2 sealed value\(s\)/, 'the link credentials and the MFA session');
    const file = JSON.parse(readFileSync(keyringPath(), 'utf8'));
    assert.equal(Object.keys(file.keys).length, 2);
    assert.notEqual(file.current, link.initialKeyring);
    assert.ok(file.keys[link.initialKeyring!], 'the old key stays (opens anything written meanwhile)');
    assert.equal(statSync(keyringPath()).mode & 0o777, 0o600);

    // Prove the re-wrap: drop the old key, restart, and use what was sealed under it.
    delete file.keys[link.initialKeyring!];
    writeFileSync(keyringPath(), JSON.stringify(file), { mode: 0o600 });
    server = await startServer(env);
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${server!.url}${path}`, {
        method,
        headers: { authorization: basic(defaultKey.id, defaultKey.password), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const put = await call('PUT', `/api/links/${link.id}/`, { password: 'new-pass' });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as { status: string }).status, 'valid');
    const resumed = await call('PATCH', '/api/links/', { session: link.mfaSession, link: link.mfaLink, token: '123456' });
    assert.equal(resumed.status, 200, await resumed.clone().text());
    assert.equal(((await resumed.json()) as { status: string }).status, 'valid');
    assert.equal((await stopServer(server)).code, 0);
    server = undefined;
  });

  it('NODE_ENV=production without VINCULO_MASTER_KEY: the server and the CLI refuse to start', { timeout: LONG }, async () => {
    const dir = tempDir();
    const prodEnv = { VINCULO_DATA_DIR: dir, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1' };
    const srv = await execNode(['--import', 'tsx', 'src/main.ts'], prodEnv);
    assert.notEqual(srv.code, 0, describeRun(srv));
    assert.match(srv.stderr, /VINCULO_MASTER_KEY/, describeRun(srv));
    assert.doesNotMatch(srv.stdout, /vinculo is ready/);
    const cmd = await execNode(['bin/vinculo.js', 'keys', 'list'], prodEnv);
    assert.notEqual(cmd.code, 0, describeRun(cmd));
    assert.match(cmd.stderr, /VINCULO_MASTER_KEY/, describeRun(cmd));
    assert.ok(!existsSync(join(dir, 'master-keys.json')), 'no key generated in production');
    assert.ok(!existsSync(join(dir, 'pgdata')), 'refused before touching the store');
  });
});
