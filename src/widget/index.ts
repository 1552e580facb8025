// Public surface of the Connect widget; everything else in this folder is internal.
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Institutions } from '../institutions/service.js';
import type { Links } from '../links/service.js';
import type { Database } from '../store/schema.js';
import type { Tenants } from '../tenants/service.js';
import type { Vault } from '../vault/index.js';
import { apiError } from '../errors.js';
import { ensureWidgetBuild, type WidgetBuild } from './build.js';
import { ConsentFlow } from './consent.js';
import { widgetRoutes } from './routes.js';
import { WidgetService } from './service.js';
import { widgetStatic } from './static.js';
import { SIGNING_PURPOSE, WidgetTokens } from './tokens.js';

export { WidgetService } from './service.js';
export { buildWidget, ensureWidgetBuild } from './build.js';
export { ConsentFlow } from './consent.js';

export function createWidgetService(deps: {
  db: Kysely<Database>;
  vault: Vault;
  tenants: Tenants;
  links: Links;
  institutions: Institutions;
}): WidgetService {
  const tokens = new WidgetTokens(deps.vault.deriveKeys(SIGNING_PURPOSE));
  const consents = new ConsentFlow(deps.db, deps.vault, deps.tenants, deps.links);
  return new WidgetService(deps.db, deps.tenants, deps.links, deps.institutions, tokens, consents);
}

/**
 * Everything the widget adds to the HTTP app: `POST /api/token/` (+ `/api/token/refresh/`), the
 * widget's API under /widget/api/, and (unless `page` is false) the page and scripts under
 * /widget/ (built on first use).
 */
export const widgetPlugin: FastifyPluginAsync<{ widget: WidgetService; tenants: Tenants; page?: boolean }> = async (app, options) => {
  await app.register(widgetRoutes, options);
  if (options.page === false) return;
  let build: WidgetBuild | null = null;
  try {
    build = await ensureWidgetBuild();
  } catch (err) {
    // The API must not go down with the page (e.g. a read-only install that was never built).
    app.log.error({ err }, 'the Connect widget page could not be built; run `npm run build`');
  }
  if (build) await app.register(widgetStatic, { build });
  else {
    app.get('/widget/*', async () => {
      throw apiError('unexpected_error', 'The Connect widget is not built on this server (npm run build)');
    });
  }
};
