import { Type, type Static } from 'typebox';
import type { DeliveryRow } from '../store/queries/webhooks.js';

/** Request and response shapes of the Webhooks API, declared once (types derive from them). */

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const CreateEndpointBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  /** Sent verbatim as the `Authorization` header of every delivery (e.g. `Bearer …`). */
  authorization: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
});
export type CreateEndpointBody = Static<typeof CreateEndpointBody>;

export const IdParams = Type.Object({ id: Type.String() });

/** An endpoint as listed: never its secret nor its Authorization value. */
export interface Endpoint {
  id: string;
  url: string;
  has_authorization: boolean;
  created_at: string;
}

/** The answer to creating an endpoint: the only time the signing secret is shown. */
export interface CreatedEndpoint extends Endpoint {
  /** `whsec_` + base64 of 32 random bytes (Standard Webhooks format). */
  secret: string;
}

/** One event to one endpoint, with the outcome of its latest attempt: the stored row, times as ISO-8601 text. */
export type Delivery = Omit<DeliveryRow, 'status' | 'next_attempt_at' | 'delivered_at' | 'created_at'> & {
  status: DeliveryStatus;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
};

/** Belvo's webhook body, key order as Belvo sends it. */
export interface WebhookEnvelope {
  webhook_id: string;
  webhook_type: string;
  process_type: string;
  webhook_code: string;
  link_id: string | null;
  request_id: string;
  external_id: string | null;
  data: Record<string, unknown>;
}
