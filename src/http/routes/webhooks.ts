import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateEndpointBody, IdParams, type Webhooks } from '../../webhooks/index.js';
import { pageRequest } from '../../pagination.js';
import { toPage } from '../pagination.js';

/** /api/webhooks/ — endpoints and deliveries; thin: validate, call the service, answer. */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: Webhooks }> = async (app, { webhooks }) => {
  app.get('/api/webhooks/', async (req) => {
    const page = pageRequest(req.query as Record<string, unknown>);
    const { count, results } = await webhooks.listEndpoints(req.principal.tenantId, page);
    return toPage(req, page, count, results);
  });

  app.post('/api/webhooks/', { schema: { body: CreateEndpointBody } }, async (req, reply) => {
    reply.status(201);
    return webhooks.createEndpoint(req.principal.tenantId, req.body);
  });

  app.delete('/api/webhooks/:id/', { schema: { params: IdParams } }, async (req, reply) => {
    await webhooks.deleteEndpoint(req.principal.tenantId, req.params.id);
    return reply.status(204).send();
  });

  app.get('/api/webhooks/deliveries/', async (req) => {
    const query = req.query as Record<string, unknown>;
    const page = pageRequest(query);
    const { count, results } = await webhooks.listDeliveries(req.principal.tenantId, query, page);
    return toPage(req, page, count, results);
  });

  app.post('/api/webhooks/deliveries/:id/redeliver/', { schema: { params: IdParams } }, async (req, reply) => {
    reply.status(202);
    return webhooks.redeliver(req.principal.tenantId, req.params.id);
  });
};
