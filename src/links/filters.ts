import { defineFilters } from '../filters/index.js';
import { ACCESS_MODES, REFRESH_RATES } from './schema.js';
import { LINK_STATUSES } from './status.js';

/** What `GET /api/links/` can filter on (Belvo's list). The tenant scope is added by the store. */
export const linkFilters = defineFilters({
  id: { column: 'links.id', type: 'uuid', ops: ['eq', 'in'] },
  institution: { column: 'links.institution', type: 'string', ops: ['eq', 'in'] },
  institution_user_id: { column: 'links.institution_user_id', type: 'string', ops: ['eq', 'in'] },
  external_id: { column: 'links.external_id', type: 'string', ops: ['eq', 'in'] },
  access_mode: { column: 'links.access_mode', type: 'string', ops: ['eq', 'in'], choices: ACCESS_MODES },
  refresh_rate: { column: 'links.refresh_rate', type: 'string', ops: ['eq', 'in'], choices: REFRESH_RATES },
  status: { column: 'links.status', type: 'string', ops: ['eq', 'in'], choices: LINK_STATUSES },
  created_by: { column: 'links.created_by', type: 'uuid', ops: ['eq', 'in', 'not_in'] },
  created_at: { column: 'links.created_at', type: 'datetime', ops: ['eq', 'gt', 'gte', 'lt', 'lte', 'range'] },
});
