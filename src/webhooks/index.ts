// Public surface of the webhooks module; everything else in this folder is internal.
export { Webhooks, type WebhookEvent, type WebhooksOptions, type DeliveryOutcome } from './service.js';
export { RETRY, retryDelayMs } from './retry.js';
export { TargetPolicy, classify, type Resolve, type Resolved } from './target-policy.js';
export { REDELIVERY_LIMIT } from './rate-limit.js';
export { deliveryFilters } from './filters.js';
export { CreateEndpointBody, CreatedEndpoint, Delivery, Endpoint, IdParams, DELIVERY_STATUSES, type WebhookEnvelope } from './schema.js';
