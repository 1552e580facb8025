/**
 * Readiness: whether this process should be sent traffic. It is when every check (the store, the
 * job queue) answers within `timeoutMs`, and until shutdown begins: `beginShutdown()` turns it
 * off before anything stops, so a load balancer stops sending requests while the process drains.
 * Liveness (/healthz) needs nothing from here: a process that can answer HTTP is alive.
 */

export type Check = () => Promise<unknown>;

export type Readiness =
  | { ready: true }
  /** `failed`: the checks that failed, or `shutting_down`; `errors`: why (for the log, never the answer). */
  | { ready: false; failed: string[]; errors: Record<string, string> };

export class Health {
  private shuttingDown = false;

  constructor(
    private readonly checks: Readonly<Record<string, Check>>,
    private readonly timeoutMs = 1000,
  ) {}

  /** From now on the process is not ready (idempotent). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get shutdownBegun(): boolean {
    return this.shuttingDown;
  }

  /** Runs every check at once, each bounded by the timeout. */
  async readiness(): Promise<Readiness> {
    if (this.shuttingDown) return { ready: false, failed: ['shutting_down'], errors: {} };
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => this.run(this.checks[name])));
    const errors: Record<string, string> = {};
    results.forEach((error, i) => {
      if (error !== null) errors[names[i]] = error;
    });
    const failed = Object.keys(errors);
    // Shutdown may have begun while the checks ran.
    if (this.shuttingDown) return { ready: false, failed: ['shutting_down'], errors };
    return failed.length ? { ready: false, failed, errors } : { ready: true };
  }

  /** null when the check answered in time, else why not. */
  private async run(check: Check): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.timeoutMs} ms`), this.timeoutMs);
    });
    try {
      return await Promise.race([
        (async () => {
          await check();
          return null;
        })(),
        timeout,
      ]);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  }
}
