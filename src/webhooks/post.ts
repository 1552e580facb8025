import http from 'node:http';
import https from 'node:https';

/**
 * One webhook POST over keep-alive connections. Redirects are not followed (a 3xx is a failed
 * attempt: following one would hand the Authorization header to wherever it points).
 * @internal
 */

export interface PostOutcome {
  /** 2xx within the deadline. */
  ok: boolean;
  /** The response status, when one arrived in time. */
  statusCode: number | null;
  /**
   * Why it failed, short and safe to store and show: `timeout`, `connection_refused`,
   * `connection_reset`, `dns_error`, `tls_error`, `network_error`, or `HTTP <code>: <snippet>`
   * (at most SNIPPET_CHARS characters of the receiver's answer).
   */
  error: string | null;
}

const SNIPPET_BYTES = 256;
const SNIPPET_CHARS = 100;

export class Poster {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' }),
  };

  constructor(public timeoutMs: number) {}

  /** POSTs `body`; answers the outcome (never throws). */
  async post(url: URL, headers: Record<string, string>, body: string): Promise<PostOutcome> {
    const first = await this.once(url, headers, body);
    // A keep-alive connection the receiver closed just as we reused it: not the receiver's
    // answer, so try once more on a fresh connection (Node's documented pattern).
    if (first.retryable) return this.once(url, headers, body);
    return first;
  }

  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private once(url: URL, headers: Record<string, string>, body: string): Promise<PostOutcome & { retryable?: boolean }> {
    const payload = Buffer.from(body);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const done = (o: PostOutcome & { retryable?: boolean }) => {
        if (settled) return;
        settled = true;
        resolve(o);
      };
      const req = mod.request(url, {
        method: 'POST',
        agent: this.agents[url.protocol as 'http:' | 'https:'],
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      // One deadline for the whole exchange; past it the connection is dropped (a 2xx already
      // answered counts: only the rest of its body was late).
      let late: (() => void) | null = null;
      const timer = setTimeout(() => {
        if (late) late();
        else done({ ok: false, statusCode: null, error: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) => {
        done({ ok: false, statusCode: null, error: errorKind(err), retryable: req.reusedSocket && err.code === 'ECONNRESET' });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', () => {});
        if (status >= 200 && status < 300) {
          done({ ok: true, statusCode: status, error: null });
          // Drain the answer so the connection goes back to the pool.
          res.resume();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => done({ ok: false, statusCode: status, error: statusError(status, Buffer.concat(chunks)) });
        late = finish;
        res.on('data', (chunk: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(chunk.subarray(0, SNIPPET_BYTES - size));
          size += chunk.length;
          // Enough of it: don't read a large error page to the end.
          if (size > 64 * 1024) {
            finish();
            req.destroy();
          }
        });
        res.on('end', finish);
        res.on('close', finish);
      });
      req.end(payload);
    });
  }
}

function statusError(status: number, body: Buffer): string {
  const text = body
    .toString('utf8')
    .replace(/[\u0000-\u001f\u007f\ufffd]+/g, ' ')
    .trim();
  const snippet = text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
  return snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
}

/** A network error's kind (never its message, which can carry addresses or certificate details). */
function errorKind(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') return 'dns_error';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO/.test(code)) return 'tls_error';
  if (code === 'HPE_INVALID_CONSTANT' || code.startsWith('HPE_')) return 'invalid_response';
  return 'network_error';
}
