import type { ConnectorNotice } from '../connectors/connector.js';
import type { LinkRow } from '../store/schema.js';
import type { WebhookEvent } from './service.js';

/**
 * The webhooks a connector asked for with a login (`LoginOutcome.notices`, `ConsentEndedError`:
 * Belvo's CONSENT webhooks of Open Finance links), as events of `link`. Refreshes and retrievals
 * write them in the transaction that records the login, so each is sent once.
 */
export function noticeEvents(link: Pick<LinkRow, 'tenant_id' | 'id' | 'external_id'>, notices: readonly ConnectorNotice[], processType: string): WebhookEvent[] {
  return notices.map((n) => ({
    tenantId: link.tenant_id,
    linkId: link.id,
    externalId: link.external_id,
    webhookType: n.webhook_type,
    webhookCode: n.webhook_code,
    processType,
    data: n.data,
  }));
}
