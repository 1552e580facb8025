import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The real server (`node --import tsx src/main.ts`) and `vinculo worker` as child processes, for
 * tests that need what only a separate process shows: start-up and shutdown, and TCP behaviour that
 * an in-process client sharing the server's event loop never sees.
 */

const ROOT = new URL('../..', import.meta.url).pathname;

/** The test process's environment without anything that would choose the store or the keys. */
export const BASE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^(DATABASE_URL|VINCULO_.*|NODE_ENV|PORT|HOST|LOG_LEVEL|NODE_TEST_CONTEXT)$/.test(k),
  ),
);

export interface Server {
  child: ChildProcess;
  url: string;
  lines: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const servers = new Set<ChildProcess>();

/** Starts the server and resolves on its 'vinculo is ready' log line. */
export function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  return launch(['--import', 'tsx', 'src/main.ts'], 'vinculo is ready', true, { PORT: '0', ...env });
}

/**
 * Starts `vinculo worker` (bin/vinculo.js worker) and resolves on its 'vinculo worker is ready'
 * log line. `url` is where it serves its probes and metrics when `VINCULO_WORKER_PORT` is given
 * (`0`: any free port), else ''.
 */
export function startWorker(env: NodeJS.ProcessEnv): Promise<Server> {
  return launch(['bin/vinculo.js', 'worker'], 'vinculo worker is ready', env.VINCULO_WORKER_PORT !== undefined, env);
}

async function launch(args: string[], readyMessage: string, listens: boolean, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...BASE_ENV, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      servers.delete(child);
      resolve({ code, signal });
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines: string[] = [];
  let url = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${readyMessage}: not within 60 s\n${lines.join('\n')}\n${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      let entry: { msg?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      // The ready line carries the configured port (0 here); fastify's own line has the real one.
      const listening = /^Server listening at (http:\/\/\S+)$/.exec(entry.msg ?? '');
      if (listening) url = listening[1];
      if (entry.msg === readyMessage) {
        clearTimeout(timer);
        if (url || !listens) resolve();
        else reject(new Error(`ready but no 'Server listening at' line:\n${lines.join('\n')}`));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready\n${lines.join('\n')}\n${stderr}`));
    });
  });
  return { child, url, lines, stderr: () => stderr, exited };
}

/** SIGTERM, then the exit (SIGKILL if it does not come within 30 s). Servers and workers alike. */
export async function stopServer(server: Server) {
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    server.exited,
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 30_000))),
  ]);
  clearTimeout(timer);
  if (!result) {
    server.child.kill('SIGKILL');
    await server.exited;
    assert.fail(`server did not stop on SIGTERM within 30 s\n${server.lines.join('\n')}`);
  }
  return result;
}

/** SIGKILLs every server still running (and `others`), and waits for them to exit. */
export async function killChildren(others: Iterable<ChildProcess> = []): Promise<void> {
  const all = [...servers, ...others];
  for (const child of all) child.kill('SIGKILL');
  await Promise.all(
    all.map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('exit', resolve)))),
  );
}
