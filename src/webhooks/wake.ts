import pg from 'pg';
import type { Store } from '../store/db.js';

/**
 * Listens for the store's commit-time notifications on `channel` and calls `onNotify` with the
 * payload. A transaction that writes deliveries NOTIFYs; PostgreSQL delivers it only once the
 * transaction commits (and never if it rolls back), to every listening process. This is how an
 * emit's delivery jobs start within milliseconds of its commit instead of at the workers' next
 * poll, without the emitting code having to do anything after its commit.
 *
 * - PostgreSQL: one dedicated connection, reconnecting after a second if it drops (jobs are
 *   still found by polling meanwhile).
 * - Embedded: PGlite's own listener; LISTEN runs inside the pool's turn, never inside somebody
 *   else's transaction on the single connection.
 * @internal
 */
export class CommitListener {
  private client?: pg.Client;
  private listening = false;
  private unlisten?: () => Promise<void>;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  }

  async start(): Promise<void> {
    if (this.store.kind === 'embedded') {
      const pglite = this.store.pglite!;
      this.unlisten = await this.store.db.connection().execute(async () => {
        const off = await pglite.listen(this.channel, (payload) => this.onNotify(payload));
        return () => this.store.db.connection().execute(() => off());
      });
      return;
    }
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.store.url, application_name: 'vinculo-webhooks' });
    client.on('notification', (msg) => this.onNotify(msg.payload ?? ''));
    client.on('error', (err) => {
      if (this.client === client) this.listening = false;
      if (this.stopped) return;
      this.onError(err);
      client.end().catch(() => {});
      if (this.client === client) this.reconnectSoon();
    });
    this.client = client;
    this.listening = false;
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.listening = true;
      // Anything committed while we were not listening is found by this wake-up.
      this.onNotify('');
    } catch (err) {
      if (this.stopped) return;
      this.onError(err);
      client.end().catch(() => {});
      this.reconnectSoon();
    }
  }

  /**
   * PostgreSQL: resolves once every notification committed before this call has been handed to
   * `onNotify` (a round trip on the listening connection: the server sends pending notifications
   * before it answers). Rejects when not listening. Embedded: at once (PGlite delivers them with
   * the committing statement's answer).
   */
  async caughtUp(): Promise<void> {
    if (this.store.kind === 'embedded') return;
    if (!this.listening || !this.client) throw new Error('not listening');
    await this.client.query('select 1');
  }

  private reconnectSoon(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.unlisten?.().catch(() => {});
    await this.client?.end().catch(() => {});
  }
}
