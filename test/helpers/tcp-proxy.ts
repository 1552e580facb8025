import net from 'node:net';

/**
 * A TCP proxy in front of a server (PostgreSQL) that can stop passing bytes, as a network
 * partition or a frozen database does: connections stay open, nothing answers. Tests and drills
 * use it instead of stopping the shared server.
 */
export interface TcpProxy {
  port: number;
  /**
   * Stops passing bytes both ways (open connections stay open; new ones are accepted but silent).
   * `drop`: the server's answers are lost, as in a partition that hits them on the way back
   * (requests still reach it), instead of held until `resume`.
   */
  pause(options?: { drop?: boolean }): void;
  /** Passes bytes again, including what was held meanwhile. */
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let paused = false;
  let drop = false;
  const discard = () => {};
  const link = ([a, b]: [net.Socket, net.Socket]) => {
    b.off('data', discard);
    a.unpipe(b);
    a.pipe(b);
    b.pipe(a);
  };
  const hold = ([client, upstream]: [net.Socket, net.Socket]) => {
    upstream.unpipe(client);
    if (drop) return void upstream.on('data', discard);
    client.unpipe(upstream);
    client.pause();
    upstream.pause();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (paused) hold(pair);
    else link(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause(options = {}) {
      paused = true;
      drop = options.drop ?? false;
      for (const pair of pairs) hold(pair);
    },
    resume() {
      paused = false;
      for (const pair of pairs) link(pair);
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
