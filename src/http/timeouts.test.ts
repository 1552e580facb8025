import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { describeStores } from '../../test/helpers/harness.js';

/**
 * A client that trickles its request (a byte every half second) is cut off once
 * VINCULO_REQUEST_TIMEOUT_SECONDS has passed, with a 408, and cannot hold a connection (or a
 * shutdown) open; a client that sends its request at once is answered as usual.
 */
describeStores(
  'server timeouts',
  (h) => {
    it('a trickled body is cut off with 408 after the request timeout; a prompt one is answered', async () => {
      const { port } = new URL(h().baseUrl);
      const c = await h().newClient();
      const auth = Buffer.from(`${c.id}:${c.password}`).toString('base64');
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (d) => (received += d.toString()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`POST /api/links/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${auth}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`);
      let sent = 1;
      const trickle = setInterval(() => {
        if (!socket.destroyed && sent < 199) socket.write(' ', () => sent++);
      }, 500);
      // 200 bytes at 2 a second would take 100 s; the server must end it long before.
      const cutOff = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
      clearInterval(trickle);
      socket.destroy();
      assert.ok(cutOff, `the connection was still open after 30 s (${sent} bytes sent)`);
      assert.ok(sent < 199, 'cut off before the body was complete');
      assert.match(received, /^HTTP\/1\.1 408/);

      const prompt = await fetch(`${h().baseUrl}/api/institutions/`);
      assert.equal(prompt.status, 401);
    });
  },
  { env: { VINCULO_REQUEST_TIMEOUT_SECONDS: '2' }, listen: true },
);
