import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RESOURCE_DEFINITIONS } from '../../resources/definitions.js';
import { ObjectIdParams, ResumeRetrievalBody, type RetrieveBody } from '../../resources/schema.js';
import type { LinkData, RetrieveResult } from '../../resources/service.js';
import { pageRequest } from '../../pagination.js';
import { toPage } from '../pagination.js';

/** Belvo's header for a background retrieval; the value is matched exactly, as Belvo does. */
const REQUEST_MODE = 'x-belvo-request-mode';

const status = (r: RetrieveResult) => (r.kind === 'accepted' ? 202 : r.saved ? 201 : 200);

/** /api/accounts/, /api/transactions/, ... — the same five routes for every link-data resource. */
export const resourceRoutes: FastifyPluginAsyncTypebox<{ data: LinkData }> = async (app, { data }) => {
  for (const def of RESOURCE_DEFINITIONS) {
    const collection = `/api/${def.path}/`;
    const item = `/api/${def.path}/:id/`;

    app.get(collection, async (req) => {
      const query = req.query as Record<string, unknown>;
      const page = pageRequest(query);
      const { count, results } = await data.list(req.principal, def, query, page);
      return toPage(req, page, count, results);
    });

    app.post(collection, { schema: { body: def.body } }, async (req, reply) => {
      const async = def.name === 'TRANSACTIONS' && req.headers[REQUEST_MODE] === 'async';
      const result = await data.retrieve(req.principal, def, req.body as RetrieveBody, { async, requestId: req.id });
      return reply.status(status(result)).send(result.body);
    });

    app.patch(collection, { schema: { body: ResumeRetrievalBody } }, async (req, reply) => {
      const result = await data.resume(req.principal, def, req.body);
      return reply.status(status(result)).send(result.body);
    });

    app.get(item, { schema: { params: ObjectIdParams } }, async (req) => data.get(req.principal, def, req.params.id));

    app.delete(item, { schema: { params: ObjectIdParams } }, async (req, reply) => {
      await data.destroy(req.principal, def, req.params.id);
      return reply.status(204).send();
    });
  }
};
