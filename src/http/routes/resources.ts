import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RESOURCE_DEFINITIONS } from '../../resources/definitions.js';
import { AcceptedRetrieval, OBJECT_SCHEMAS, ObjectIdParams, ResumeRetrievalBody, type RetrieveBody } from '../../resources/schema.js';
import type { LinkData, RetrieveResult } from '../../resources/service.js';
import { pageRequest } from '../../pagination.js';
import type { RouteDoc } from '../openapi.js';
import { sendPageJson } from '../pagination.js';

/** Belvo's header for a background retrieval; the value is matched exactly, as Belvo does. */
const REQUEST_MODE = 'x-belvo-request-mode';

const status = (r: RetrieveResult) => (r.kind === 'accepted' ? 202 : r.saved ? 201 : 200);

const RETRIEVED = '201: retrieved and saved; 200: retrieved, not saved (`save_data: false`). A 428 asks for an MFA token: send it with the session in a PATCH on the same collection.';

/** /api/accounts/, /api/transactions/, ... — the same five routes for every link-data resource. */
export const resourceRoutes: FastifyPluginAsyncTypebox<{ data: LinkData }> = async (app, { data }) => {
  for (const def of RESOURCE_DEFINITIONS) {
    const collection = `/api/${def.path}/`;
    const item = `/api/${def.path}/:id/`;
    const object = OBJECT_SCHEMAS[def.name];
    const retrieved = def.single ? object : Type.Array(object);
    const background = def.name === 'TRANSACTIONS';

    const list = { summary: `List stored ${def.path}`, list: { item: object, filters: def.filters, required: def.requiredFilters } };
    app.get(collection, { config: { doc: list } }, async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      const page = pageRequest(query);
      const { count, results } = await data.list(req.principal, def, query, page);
      return sendPageJson(req, reply, page, count, results);
    });

    const retrieve: RouteDoc = {
      summary: `Retrieve ${def.path} from the institution`,
      description: background ? `${RETRIEVED} 202 (\`X-Belvo-Request-Mode: async\`): accepted, the outcome comes by webhook.` : RETRIEVED,
      responses: background ? { 200: retrieved, 201: retrieved, 202: AcceptedRetrieval } : { 200: retrieved, 201: retrieved },
      ...(background && {
        headers: { 'X-Belvo-Request-Mode': { description: '`async`: answer 202 at once; the outcome comes by webhook.', schema: Type.Enum(['async']) } },
      }),
      errors: [408, 428],
    };
    app.post(collection, { schema: { body: def.body }, config: { doc: retrieve } }, async (req, reply) => {
      const async = background && req.headers[REQUEST_MODE] === 'async';
      const result = await data.retrieve(req.principal, def, req.body as RetrieveBody, { async, requestId: req.id });
      return reply.status(status(result)).send(result.body);
    });

    const resume: RouteDoc = { summary: `Resume a retrieval of ${def.path} with an MFA token`, description: RETRIEVED, responses: { 200: retrieved, 201: retrieved }, errors: [404, 408, 428] };
    app.patch(collection, { schema: { body: ResumeRetrievalBody }, config: { doc: resume } }, async (req, reply) => {
      const result = await data.resume(req.principal, def, req.body);
      return reply.status(status(result)).send(result.body);
    });

    const get = { summary: `Get a stored object of ${def.path}`, responses: { 200: object } };
    app.get(item, { schema: { params: ObjectIdParams }, config: { doc: get } }, async (req) => data.get(req.principal, def, req.params.id));

    const destroy = { summary: `Delete a stored object of ${def.path}`, responses: { 204: null } };
    app.delete(item, { schema: { params: ObjectIdParams }, config: { doc: destroy } }, async (req, reply) => {
      await data.destroy(req.principal, def, req.params.id);
      return reply.status(204).send();
    });
  }
};
