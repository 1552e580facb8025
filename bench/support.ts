/** What the benchmark scripts share: server children, CPU profiles, latency recording. */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';

/** Benchmarks load only this machine's loopback, never a remote host. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1') throw new Error(`refusing to load ${url}: only 127.0.0.1 is a target`);
}

/**
 * Reads a server child's stdout, one JSON message per line (other lines are echoed to stderr as
 * `[label stdout]`): every message goes to `onMessage`, and the promise resolves with the first
 * one `ready` accepts. Rejects if the child fails or exits first, or after `timeoutMs`.
 */
export function whenReady<T>(
  child: ChildProcess,
  label: string,
  timeoutMs: number,
  ready: (msg: any) => T | undefined,
  onMessage: (msg: any) => void = () => {},
): Promise<T> {
  return new Promise<T>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => rejectReady(new Error(`${label} not ready after ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rejectReady(new Error(`${label} exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      rejectReady(err);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: any;
      try {
        msg = JSON.parse(line);
      } catch {
        process.stderr.write(`[${label} stdout] ${line}\n`);
        return;
      }
      onMessage(msg);
      const value = ready(msg);
      if (value !== undefined) {
        clearTimeout(timer);
        resolveReady(value);
      }
    });
  });
}

/** A V8 CPU profile of this process, written to `path` on stop (open it in Chrome DevTools). */
export async function startCpuProfile(path: string, log: (m: string) => void): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    log(`CPU profile written to ${path}`);
  };
}

/** Per-request latencies of a load run (autocannon keeps only a histogram), grown as needed. */
export function latencyRecorder(initial = 1 << 14) {
  let values = new Float64Array(initial);
  let n = 0;
  return {
    add(ms: number): void {
      if (n === values.length) {
        const bigger = new Float64Array(values.length * 2);
        bigger.set(values);
        values = bigger;
      }
      values[n++] = ms;
    },
    sorted: (): Float64Array => values.slice(0, n).sort(),
  };
}
