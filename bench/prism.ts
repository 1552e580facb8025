/**
 * The reference of issue 12's Detail target, measured in the same run as Vinculo: Prism mocking
 * Belvo's OpenAPI document (spec/belvo/belvo-openapi-1.35.0.yaml, the copy the tests validate
 * against), which is what a developer would run offline instead of Vinculo.
 *
 * Prism is not a dependency: `npm exec` fetches the pinned version on demand (into npm's cache,
 * once) and runs `prism mock` on a free loopback port. Its log goes to a temporary file, shown
 * when it fails to start. If it cannot run (no network, no npm), `startPrism` says why and the
 * benchmark leaves its column empty.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { freePort } from './support.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PRISM_VERSION = '5.16.0';

export interface Prism {
  url: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts Prism and waits until `probePath` answers 2xx with `headers` (the first start downloads
 * Prism: up to `timeoutMs`). Resolves with its URL, or with the reason it could not run.
 */
export async function startPrism(
  root: string,
  probePath: string,
  headers: Record<string, string>,
  timeoutMs = 240_000,
): Promise<Prism | { problem: string }> {
  const spec = join(root, 'spec/belvo/belvo-openapi-1.35.0.yaml');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vinculo-bench-prism-'));
  const logPath = join(dir, 'prism.log');
  const logFd = openSync(logPath, 'w');
  const args = ['exec', '--yes', '--no-audit', '--no-fund', `--package=@stoplight/prism-cli@${PRISM_VERSION}`, '--', 'prism', 'mock', '-h', '127.0.0.1', '-p', String(port), spec];
  // Its own process group: npm runs prism through a shell, and stopping must reach all of them.
  const child = spawn('npm', args, { cwd: dir, stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  let exited: string | null = null;
  const gone = new Promise<void>((res) => child.once('exit', (code, signal) => ((exited = `exited (code ${code}, signal ${signal})`), res())));
  child.once('error', (err) => (exited = `could not be spawned: ${err.message}`));
  const stop = async () => {
    if (exited === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000);
      await gone;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const tail = () => readFileSync(logPath, 'utf8').trim().split('\n').slice(-8).join('\n');

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited !== null) {
      const problem = `prism ${exited}: ${tail()}`;
      await stop();
      return { problem };
    }
    try {
      const res = await fetch(`${url}${probePath}`, { headers, signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      if (res.ok) return { url, stop };
      last = `${res.status} ${body.slice(0, 200)}`;
      if (res.status !== 404) break; // it answers, but not as the benchmark needs
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(500);
  }
  const problem = `prism did not answer ${probePath} with 2xx (${last}); log: ${tail()}`;
  await stop();
  return { problem };
}
