import type { DeliveryRow, EndpointRow } from '../store/queries/webhooks.js';
import type { Delivery, DeliveryStatus, Endpoint } from './schema.js';

/** Stored rows as the API answers them (src/webhooks/schema.ts). */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toEndpointJson(row: EndpointRow): Endpoint {
  return { id: row.id, url: row.url, has_authorization: row.has_authorization, created_at: row.created_at.toISOString() };
}

export function toDeliveryJson(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    endpoint_id: row.endpoint_id,
    url: row.url,
    webhook_type: row.webhook_type,
    webhook_code: row.webhook_code,
    link_id: row.link_id,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    // Rows written before answers' bodies stopped being kept had `HTTP 500: <the body>`.
    last_error: row.last_error?.replace(/^(HTTP \d+):[^]*$/, '$1') ?? null,
    next_attempt_at: iso(row.next_attempt_at),
    delivered_at: iso(row.delivered_at),
    created_at: row.created_at.toISOString(),
  };
}
