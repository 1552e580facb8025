import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { apiError } from '../errors.js';
import type { WidgetBuild } from './build.js';

/**
 * Serves the built widget: the hosted page at /widget/, its assets, and Belvo's embed script at
 * /widget/belvo-widget-1-stable.js. Files are read once into memory (they are small).
 */

/**
 * The page is framed by clients' sites (the embed script), so `frame-ancestors *`; everything
 * else is locked to this origin. Logos may come from anywhere (https or data: images). No
 * referrer: the hosted page's URL carries the access token.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: http: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  'frame-ancestors *',
].join('; ');

export const widgetStatic: FastifyPluginAsync<{ build: WidgetBuild }> = async (app, { build }) => {
  const read = (name: string) => readFileSync(join(build.dir, name));
  const page = read('index.html');
  // A Map: a plain object would answer `__proto__`, `constructor` or `toString` with its prototype's members.
  const assets = new Map<string, { body: Buffer; type: string }>([
    ['widget.js', { body: read('widget.js'), type: 'text/javascript; charset=utf-8' }],
    ['widget.css', { body: read('widget.css'), type: 'text/css; charset=utf-8' }],
  ]);
  const embed = read('belvo-widget-1-stable.js');

  // The hosted page's URL carries the access token (Belvo's contract): keep it out of the request log lines.
  app.get('/widget/', { logLevel: 'warn' }, async (_req, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(page),
  );

  app.get<{ Params: { name: string } }>('/widget/assets/:name', async (req, reply) => {
    const asset = assets.get(req.params.name);
    if (!asset) throw apiError('not_found');
    return reply
      .header('content-type', asset.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  });

  // Loaded by <script src> from the client's pages on other origins.
  app.get('/widget/belvo-widget-1-stable.js', async (_req, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff')
      .send(embed),
  );
};
