import type { IncomingMessage } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The one way a Vinculo process makes its logger, so every process logs alike and never logs a
 * secret. No request or response body is ever logged; these paths are censored wherever a log
 * call meets them anyway.
 */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.password2', '*.token', '*.private_key', '*.certificate'];

/** Query parameters that carry bearer secrets: the hosted widget's `access_token`, refresh tokens. */
const SECRET_PARAM = /^(access_token|refresh|refresh_token|token|password|secret)$/i;

/** `url` with the value of every secret-bearing query parameter replaced (the path is kept as is). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed name is logged as sent: it is not one of ours.
      }
      return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** fastify's request fields, minus secrets in the URL (the widget page's token arrives in its query). */
function requestSerializer(req: IncomingMessage & { ip?: string; host?: string }) {
  return { method: req.method, url: redactUrl(req.url ?? ''), host: req.host, remoteAddress: req.ip };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { req: requestSerializer } };
  return destination ? pino(options, destination) : pino(options);
}
