/**
 * Stopping a process without losing work: named steps run in order (stop accepting, finish what
 * was accepted, stop the workers, close the store), within a hard deadline. A second signal or
 * the deadline ends it early; the caller then exits non-zero, naming the step that was cut off
 * and the ones that never ran, so an operator knows what to look at.
 */
export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export type ShutdownResult = { completed: true } | { completed: false; reason: 'deadline' | 'signal'; cutOff: string; skipped: string[] };

export async function runShutdown(steps: readonly ShutdownStep[], options: { deadlineMs: number; interrupted: Promise<unknown> }): Promise<ShutdownResult> {
  let current = 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), options.deadlineMs);
    timer.unref();
  });
  const sequence = (async () => {
    for (; current < steps.length; current++) await steps[current]!.run();
    return 'done' as const;
  })();
  try {
    const outcome = await Promise.race([sequence, deadline, options.interrupted.then(() => 'signal' as const)]);
    if (outcome === 'done') return { completed: true };
    return { completed: false, reason: outcome, cutOff: steps[current]?.name ?? 'exit', skipped: steps.slice(current + 1).map((s) => s.name) };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the first of `signals` received; the same signal again resolves `again`. */
export function onSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): { first: Promise<NodeJS.Signals>; again: Promise<NodeJS.Signals> } {
  let seen = false;
  let resolveFirst!: (s: NodeJS.Signals) => void;
  let resolveAgain!: (s: NodeJS.Signals) => void;
  const first = new Promise<NodeJS.Signals>((r) => (resolveFirst = r));
  const again = new Promise<NodeJS.Signals>((r) => (resolveAgain = r));
  for (const signal of signals) {
    process.on(signal, () => {
      if (seen) resolveAgain(signal);
      else {
        seen = true;
        resolveFirst(signal);
      }
    });
  }
  return { first, again };
}

/** Logs how the shutdown ended; returns the exit code (0 only when every step finished). */
export function reportShutdown(logger: { info(o: object, m: string): void; error(o: object, m: string): void }, result: ShutdownResult): number {
  if (result.completed) {
    logger.info({}, 'shut down cleanly');
    return 0;
  }
  const why = result.reason === 'deadline' ? 'the shutdown deadline passed' : 'a second signal arrived';
  logger.error({ cut_off: result.cutOff, skipped: result.skipped }, `shutdown cut off: ${why} during "${result.cutOff}"`);
  return 1;
}
