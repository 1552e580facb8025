import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, type Resolved, type TargetPolicy } from './target-policy.js';

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
   * Why it failed, short and safe to store and show: `target_not_allowed`, `timeout`,
   * `connection_refused`, `connection_reset`, `dns_error`, `tls_error`, `network_error`, or
   * `HTTP <code>`. Never any of the receiver's answer: stored and shown to the tenant, it would
   * let a webhook URL read whatever it points at.
   */
  error: string | null;
}

export class Poster {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' }),
  };

  constructor(
    public timeoutMs: number,
    private readonly policy: TargetPolicy,
  ) {}

  /**
   * POSTs `body` if the target policy allows `url` now (its DNS may have changed since it was
   * registered), to the addresses it checked; answers the outcome (never throws).
   */
  async post(url: URL, headers: Record<string, string>, body: string): Promise<PostOutcome> {
    const target = await this.policy.decide(url);
    if (!target.allowed) return { ok: false, statusCode: null, error: target.reason === 'dns' ? 'dns_error' : 'target_not_allowed' };
    const first = await this.once(url, headers, body, target.addresses);
    // A keep-alive connection the receiver closed just as we reused it: not the receiver's
    // answer, so try once more on a fresh connection (Node's documented pattern).
    if (first.retryable) return this.once(url, headers, body, target.addresses);
    return first;
  }

  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  private once(url: URL, headers: Record<string, string>, body: string, addresses: readonly Resolved[]): Promise<PostOutcome & { retryable?: boolean }> {
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
        // Connect only to the checked addresses; Host, SNI and the certificate check keep the name.
        lookup: pinnedLookup(addresses),
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      // One deadline for the whole exchange; past it the connection is dropped.
      const timer = setTimeout(() => {
        done({ ok: false, statusCode: null, error: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) => {
        done({ ok: false, statusCode: null, error: errorKind(err), retryable: req.reusedSocket && err.code === 'ECONNRESET' });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', () => {});
        const ok = status >= 200 && status < 300;
        done({ ok, statusCode: status, error: ok ? null : `HTTP ${status}` });
        // Drain the answer unread so the connection goes back to the pool (the deadline above
        // still drops one that streams for too long).
        res.resume();
      });
      req.end(payload);
    });
  }
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
