/**
 * Work an API call starts and answers before it is done (the async transactions retrieve), run
 * in this process. Shutdown waits for it, so a stopping server never cuts a retrieval off halfway.
 * The scheduler issue moves this work onto the durable job queue.
 */
export class InlineTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown, name: string) => void) {}

  run(name: string, task: () => Promise<unknown>): void {
    const p: Promise<void> = task()
      .then(() => undefined)
      .catch((err) => this.onError(err, name))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once every task started so far (and any they start) has ended. */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
