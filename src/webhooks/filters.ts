import { defineFilters } from '../filters/index.js';
import { DELIVERY_STATUSES } from './schema.js';

/** What `GET /api/webhooks/deliveries/` can filter on. The tenant scope is added by the store. */
export const deliveryFilters = defineFilters({
  link_id: { column: 'webhook_events.link_id', type: 'uuid', ops: ['eq', 'in'] },
  webhook_code: { column: 'webhook_events.webhook_code', type: 'string', ops: ['eq', 'in'] },
  webhook_type: { column: 'webhook_events.webhook_type', type: 'string', ops: ['eq', 'in'] },
  webhook_id: { column: 'webhook_events.id', type: 'string', ops: ['eq', 'in'] },
  endpoint_id: { column: 'webhook_deliveries.endpoint_id', type: 'uuid', ops: ['eq', 'in'] },
  status: { column: 'webhook_deliveries.status', type: 'string', ops: ['eq', 'in'], choices: DELIVERY_STATUSES },
  created_at: { column: 'webhook_deliveries.created_at', type: 'datetime', ops: ['eq', 'gt', 'gte', 'lt', 'lte', 'range'] },
});
