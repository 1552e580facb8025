import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { institutionFilters } from '../../institutions/filters.js';
import { Institution } from '../../institutions/schema.js';
import type { Institutions } from '../../institutions/service.js';
import { pageRequest } from '../../pagination.js';
import { toPage } from '../pagination.js';

/** /api/institutions/ — the read-only catalogue. */
export const institutionRoutes: FastifyPluginAsyncTypebox<{ institutions: Institutions }> = async (app, { institutions }) => {
  const list = { summary: 'List the institutions', list: { item: Institution, filters: institutionFilters } };
  app.get('/api/institutions/', { config: { doc: list } }, async (req) => {
    const query = req.query as Record<string, unknown>;
    const page = pageRequest(query);
    const { count, results } = await institutions.list(req.principal.tenantId, query, page);
    return toPage(req, page, count, results);
  });

  app.get(
    '/api/institutions/:id/',
    { schema: { params: Type.Object({ id: Type.String() }) }, config: { doc: { summary: 'Get an institution', responses: { 200: Institution } } } },
    async (req) => institutions.get(req.principal.tenantId, req.params.id),
  );
};
