import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Links } from '../../links/service.js';
import { linkFilters } from '../../links/filters.js';
import { Link, LinkIdParams, PatchLinkBody, RegisterLinkBody, ResumeBody, UpdateLinkBody } from '../../links/schema.js';
import { pageRequest } from '../../pagination.js';
import { sendPageJson } from '../pagination.js';

/** /api/links/ — thin: validate with the schemas, call the service, answer. */
export const linkRoutes: FastifyPluginAsyncTypebox<{ links: Links }> = async (app, { links }) => {
  app.get('/api/links/', { config: { doc: { summary: 'List links', list: { item: Link, filters: linkFilters } } } }, async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const page = pageRequest(query);
    const { count, results } = await links.list(req.principal, query, page);
    return sendPageJson(req, reply, page, count, results);
  });

  app.post(
    '/api/links/',
    {
      schema: { body: RegisterLinkBody },
      config: {
        doc: {
          summary: 'Register a link: log in at the institution',
          description: 'A 428 asks for an MFA token: send it with the session in `PATCH /api/links/`.',
          responses: { 201: Link },
          errors: [408, 428],
        },
      },
    },
    async (req, reply) => {
      reply.status(201);
      return links.register(req.principal, req.body);
    },
  );

  app.patch(
    '/api/links/',
    { schema: { body: ResumeBody }, config: { doc: { summary: "Resume a link's login with an MFA token", responses: { 200: Link }, errors: [404, 408, 428] } } },
    async (req) => links.resume(req.principal, req.body),
  );

  app.get('/api/links/:id/', { schema: { params: LinkIdParams }, config: { doc: { summary: 'Get a link', responses: { 200: Link } } } }, async (req) =>
    links.get(req.principal, req.params.id),
  );

  app.put(
    '/api/links/:id/',
    {
      schema: { params: LinkIdParams, body: UpdateLinkBody },
      config: { doc: { summary: "Update a link's credentials: log in again", responses: { 200: Link }, errors: [408, 428] } },
    },
    async (req) => links.update(req.principal, req.params.id, req.body),
  );

  app.patch(
    '/api/links/:id/',
    { schema: { params: LinkIdParams, body: PatchLinkBody }, config: { doc: { summary: "Change a link's options", responses: { 200: Link }, errors: [408, 428] } } },
    async (req) => links.patch(req.principal, req.params.id, req.body),
  );

  app.delete('/api/links/:id/', { schema: { params: LinkIdParams }, config: { doc: { summary: 'Delete a link and its data', responses: { 204: null } } } }, async (req, reply) => {
    await links.destroy(req.principal, req.params.id);
    return reply.status(204).send();
  });
};
