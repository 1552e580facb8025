import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreatedEndpoint, CreateEndpointBody, Delivery, deliveryFilters, Endpoint, IdParams, type Webhooks } from '../../webhooks/index.js';
import { pageRequest } from '../../pagination.js';
import { toPage } from '../pagination.js';

/** /api/webhooks/ — endpoints and deliveries; thin: validate, call the service, answer. */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: Webhooks }> = async (app, { webhooks }) => {
  app.get('/api/webhooks/', { config: { doc: { summary: 'List webhook endpoints', list: { item: Endpoint } } } }, async (req) => {
    const page = pageRequest(req.query as Record<string, unknown>);
    const { count, results } = await webhooks.listEndpoints(req.principal.tenantId, page);
    return toPage(req, page, count, results);
  });

  const create = { summary: 'Add a webhook endpoint (its signing secret is shown only here)', responses: { 201: CreatedEndpoint } };
  app.post('/api/webhooks/', { schema: { body: CreateEndpointBody }, config: { doc: create } }, async (req, reply) => {
    reply.status(201);
    return webhooks.createEndpoint(req.principal.tenantId, req.body);
  });

  const remove = { summary: 'Delete a webhook endpoint and its deliveries', responses: { 204: null } };
  app.delete('/api/webhooks/:id/', { schema: { params: IdParams }, config: { doc: remove } }, async (req, reply) => {
    await webhooks.deleteEndpoint(req.principal.tenantId, req.params.id);
    return reply.status(204).send();
  });

  const deliveries = { summary: 'List webhook deliveries', list: { item: Delivery, filters: deliveryFilters } };
  app.get('/api/webhooks/deliveries/', { config: { doc: deliveries } }, async (req) => {
    const query = req.query as Record<string, unknown>;
    const page = pageRequest(query);
    const { count, results } = await webhooks.listDeliveries(req.principal.tenantId, query, page);
    return toPage(req, page, count, results);
  });

  const redeliver = { summary: 'Send a delivery again now (429 past a few per endpoint per minute)', responses: { 202: Delivery } };
  app.post('/api/webhooks/deliveries/:id/redeliver/', { schema: { params: IdParams }, config: { doc: redeliver } }, async (req, reply) => {
    reply.status(202);
    return webhooks.redeliver(req.principal.tenantId, req.params.id);
  });
};
