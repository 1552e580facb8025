import { Type, type Static, type TSchema } from 'typebox';

/**
 * Request and response shapes of the Webhooks API, declared once (types derive from them). The
 * response shapes document the API (src/http/openapi.ts); fastify does not serialize with them.
 */

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const CreateEndpointBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  /** Sent verbatim as the `Authorization` header of every delivery (e.g. `Bearer …`). */
  authorization: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
});
export type CreateEndpointBody = Static<typeof CreateEndpointBody>;

export const IdParams = Type.Object({ id: Type.String() });

const Uuid = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

/** An endpoint as listed: never its secret nor its Authorization value. */
export const Endpoint = Type.Object(
  { id: Uuid, url: Type.String(), has_authorization: Type.Boolean(), created_at: Instant },
  { title: 'WebhookEndpoint', additionalProperties: false },
);
export type Endpoint = Static<typeof Endpoint>;

/** The answer to creating an endpoint: the only time the signing secret is shown. */
export const CreatedEndpoint = Type.Object(
  {
    ...Endpoint.properties,
    /** `whsec_` + base64 of 32 random bytes (Standard Webhooks format). */
    secret: Type.String({ pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$' }),
  },
  { title: 'CreatedWebhookEndpoint', additionalProperties: false },
);
export type CreatedEndpoint = Static<typeof CreatedEndpoint>;

/** One event to one endpoint, with the outcome of its latest attempt (times as ISO-8601 text). */
export const Delivery = Type.Object(
  {
    id: Uuid,
    webhook_id: Type.String(),
    endpoint_id: Uuid,
    url: Type.String(),
    webhook_type: Type.String(),
    webhook_code: Type.String(),
    link_id: Nullable(Uuid),
    status: Type.Enum(DELIVERY_STATUSES),
    attempts: Type.Integer({ minimum: 0 }),
    last_status_code: Nullable(Type.Integer()),
    last_error: Nullable(Type.String()),
    next_attempt_at: Nullable(Instant),
    delivered_at: Nullable(Instant),
    created_at: Instant,
  },
  { title: 'WebhookDelivery', additionalProperties: false },
);
export type Delivery = Static<typeof Delivery>;

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
