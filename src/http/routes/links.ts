import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Links } from '../../links/service.js';
import { LinkIdParams, PatchLinkBody, RegisterLinkBody, ResumeBody, UpdateLinkBody } from '../../links/schema.js';
import { pageRequest } from '../../pagination.js';
import { toPage } from '../pagination.js';

/** /api/links/ — thin: validate with the schemas, call the service, answer. */
export const linkRoutes: FastifyPluginAsyncTypebox<{ links: Links }> = async (app, { links }) => {
  app.get('/api/links/', async (req) => {
    const query = req.query as Record<string, unknown>;
    const page = pageRequest(query);
    const { count, results } = await links.list(req.principal, query, page);
    return toPage(req, page, count, results);
  });

  app.post('/api/links/', { schema: { body: RegisterLinkBody } }, async (req, reply) => {
    reply.status(201);
    return links.register(req.principal, req.body);
  });

  app.patch('/api/links/', { schema: { body: ResumeBody } }, async (req) => links.resume(req.principal, req.body));

  app.get('/api/links/:id/', { schema: { params: LinkIdParams } }, async (req) => links.get(req.principal, req.params.id));

  app.put('/api/links/:id/', { schema: { params: LinkIdParams, body: UpdateLinkBody } }, async (req) =>
    links.update(req.principal, req.params.id, req.body),
  );

  app.patch('/api/links/:id/', { schema: { params: LinkIdParams, body: PatchLinkBody } }, async (req) =>
    links.patch(req.principal, req.params.id, req.body),
  );

  app.delete('/api/links/:id/', { schema: { params: LinkIdParams } }, async (req, reply) => {
    await links.destroy(req.principal, req.params.id);
    return reply.status(204).send();
  });
};
