import type { Migration } from 'kysely';
import * as m0001 from './0001_core.js';
import * as m0002 from './0002_link_data.js';
import * as m0003 from './0003_scheduling.js';
import * as m0004 from './0004_webhooks.js';
import * as m0005 from './0005_widget.js';
import * as m0006 from './0006_tenant_sandbox.js';
import * as m0007 from './0007_retention_audit.js';
import * as m0008 from './0008_request_limits.js';
import * as m0009 from './0009_webhook_order.js';
import * as m0010 from './0010_idempotency_effect.js';
import * as m0011 from './0011_link_changes.js';
import * as m0012 from './0012_link_counts.js';
import * as m0013 from './0013_refreshed_claim.js';
import * as m0014 from './0014_consent_sessions.js';
import * as m0015 from './0015_sandbox_ofb_bank.js';

/** Every migration, in order. Names are fixed forever once shipped. */
export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_link_data': m0002,
  '0003_scheduling': m0003,
  '0004_webhooks': m0004,
  '0005_widget': m0005,
  '0006_tenant_sandbox': m0006,
  '0007_retention_audit': m0007,
  '0008_request_limits': m0008,
  '0009_webhook_order': m0009,
  '0010_idempotency_effect': m0010,
  '0011_link_changes': m0011,
  '0012_link_counts': m0012,
  '0013_refreshed_claim': m0013,
  '0014_consent_sessions': m0014,
  '0015_sandbox_ofb_bank': m0015,
};
