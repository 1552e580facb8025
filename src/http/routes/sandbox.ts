import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Sandbox } from '../../sandbox/service.js';

const LinkParams = Type.Object({ id: Type.String() });

/** /sandbox/… — the sandbox controls (see src/sandbox/service.ts); off with VINCULO_SANDBOX=false. */
export const sandboxRoutes: FastifyPluginAsyncTypebox<{ sandbox: Sandbox }> = async (app, { sandbox }) => {
  app.post('/sandbox/links/:id/refresh/', { schema: { params: LinkParams } }, async (req) => sandbox.refresh(req.principal, req.params.id));

  app.post('/sandbox/links/:id/reset_login/', { schema: { params: LinkParams } }, async (req) =>
    sandbox.control(req.principal, req.params.id, 'reset_login'),
  );

  app.post('/sandbox/links/:id/require_token/', { schema: { params: LinkParams } }, async (req) =>
    sandbox.control(req.principal, req.params.id, 'require_token'),
  );

  app.post(
    '/sandbox/links/:id/fire_webhook/',
    {
      schema: {
        params: LinkParams,
        body: Type.Object({
          webhook_type: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Z_]+$' }),
          webhook_code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_]+$' }),
        }),
      },
    },
    async (req, reply) => {
      reply.status(201);
      return sandbox.fireWebhook(req.principal, req.params.id, req.body.webhook_type, req.body.webhook_code);
    },
  );

  app.post(
    '/sandbox/institutions/:name/status/',
    {
      schema: {
        params: Type.Object({ name: Type.String() }),
        body: Type.Object({ status: Type.Enum(['healthy', 'down']) }),
      },
    },
    async (req) => sandbox.setInstitutionStatus(req.principal, req.params.name, req.body.status),
  );

  app.get('/sandbox/clock/', async (req) => sandbox.clockNow(req.principal));

  app.post(
    '/sandbox/clock/advance/',
    { schema: { body: Type.Object({ seconds: Type.Number({ minimum: 0, maximum: 5 * 366 * 86400 }) }) } },
    async (req) => sandbox.advance(req.principal, req.body.seconds),
  );
};
