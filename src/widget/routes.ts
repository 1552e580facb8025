import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseBasicAuth } from '../http/auth.js';
import { apiError } from '../errors.js';
import type { Tenants } from '../tenants/service.js';
import { consentCallbackRoutes } from './consent.js';
import {
  ConsentStartBody,
  InstitutionsQuery,
  LinkIdParams,
  RefreshBody,
  TokenBody,
  TokenPair,
  WidgetRegisterBody,
  WidgetResumeBody,
  WidgetUpdateBody,
} from './schema.js';
import type { WidgetContext, WidgetService } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    widget: WidgetContext;
  }
}

/**
 * The token endpoints (Basic auth or the key pair in the body) and the widget page's own API
 * under /widget/api/ (Bearer access token). Thin: validate, call the service, answer.
 */
export const widgetRoutes: FastifyPluginAsyncTypebox<{ widget: WidgetService; tenants: Tenants }> = async (app, { widget, tenants }) => {
  // Authenticate before validating, as every other route does (a wrong key is a 401, whatever the body).
  app.post(
    '/api/token/',
    {
      schema: { body: TokenBody },
      config: {
        doc: {
          summary: 'Issue a Connect widget access token',
          description: 'The secret key pair comes as Basic auth, or as `id` and `password` in the body.',
          auth: 'basic-or-body',
          responses: { 200: TokenPair },
        },
      },
      preValidation: async (req) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const inBody = typeof body.id === 'string' && typeof body.password === 'string';
        const pair = inBody ? { id: body.id as string, password: body.password as string } : parseBasicAuth(req.headers.authorization);
        const principal = pair && (await tenants.authenticate(pair.id, pair.password, req.ip));
        if (!principal) throw apiError('authentication_failed');
        req.principal = principal;
      },
    },
    async (req) => widget.issue(req.principal, req.body),
  );

  const refresh = { summary: 'Exchange a refresh token for a new token pair', auth: 'none', responses: { 200: TokenPair } } as const;
  app.post('/api/token/refresh/', { schema: { body: RefreshBody }, config: { doc: refresh } }, async (req) => widget.refresh(req.body.refresh));

  await app.register(async (scope) => {
    const api = scope.withTypeProvider<TypeBoxTypeProvider>();
    api.addHook('onRequest', async (req) => {
      req.widget = await widget.authenticate(req.headers.authorization, req.id);
    });
    api.get('/widget/api/session/', async (req) => widget.sessionInfo(req.widget));
    api.get('/widget/api/institutions/', { schema: { querystring: InstitutionsQuery } }, async (req) =>
      widget.listInstitutions(req.widget, req.query),
    );
    api.post('/widget/api/links/', { schema: { body: WidgetRegisterBody } }, async (req, reply) => {
      reply.status(201);
      return widget.register(req.widget, req.body);
    });
    api.patch('/widget/api/links/', { schema: { body: WidgetResumeBody } }, async (req) => widget.resume(req.widget, req.body));
    api.get('/widget/api/links/:id/', { schema: { params: LinkIdParams } }, async (req) => widget.getLink(req.widget, req.params.id));
    api.put('/widget/api/links/:id/', { schema: { params: LinkIdParams, body: WidgetUpdateBody } }, async (req) =>
      widget.update(req.widget, req.params.id, req.body),
    );
    api.post('/widget/api/links/:id/reconnect/', { schema: { params: LinkIdParams } }, async (req) =>
      widget.reconnect(req.widget, req.params.id),
    );
    // Open Finance institutions: start the consent at the bank (src/widget/consent.ts).
    api.post('/widget/api/consents/', { schema: { body: ConsentStartBody } }, async (req, reply) => {
      reply.status(201);
      return widget.consents.start(req.widget, req.body);
    });
  });

  // The bank's redirect back (public: the OAuth state is what identifies the consent).
  await app.register(consentCallbackRoutes, { widget });
};
