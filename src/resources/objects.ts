import type { DataRow } from '../store/queries/link-data.js';
import type { ResourceDefinition } from './definitions.js';

/** A stored (or about to be answered) object: the row the API object is built from. */
export type ObjectSource = DataRow;

/**
 * The API object: the server-owned fields (`id`, the `link` or, for transactions and balances,
 * the whole `account` object, `collected_at`, `created_at`) around the connector's Belvo fields.
 */
export function toObject(def: ResourceDefinition, row: ObjectSource): Record<string, unknown> {
  const owner = def.embedsAccount && row.account ? { account: accountObject(row.account) } : { link: row.link_id };
  return {
    id: row.id,
    ...owner,
    ...row.data,
    collected_at: row.collected_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

function accountObject(row: ObjectSource): Record<string, unknown> {
  return {
    id: row.id,
    link: row.link_id,
    ...row.data,
    collected_at: row.collected_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}
