import type { DataRow, DataRowText } from '../store/queries/link-data.js';
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

/**
 * `toObject` as JSON text, from a row read as text: the same keys in the same order (the stored
 * `data` keeps jsonb's order either way), spliced rather than parsed and serialised again. Ids
 * are uuids and the timestamps ISO strings: nothing in them needs escaping.
 */
export function toObjectJson(def: ResourceDefinition, row: DataRowText): string {
  const owner = def.embedsAccount && row.account ? `"account":${accountJson(row.account)}` : `"link":"${row.link_id}"`;
  return `{"id":"${row.id}",${owner}${fieldsOf(row.data)},"collected_at":"${row.collected_at}","created_at":"${row.created_at}"}`;
}

function accountJson(row: DataRowText): string {
  return `{"id":"${row.id}","link":"${row.link_id}"${fieldsOf(row.data)},"collected_at":"${row.collected_at}","created_at":"${row.created_at}"}`;
}

/** The members of a JSON object's text, with a leading comma (nothing for `{}`). */
function fieldsOf(objectText: string): string {
  const inner = objectText.slice(1, -1).trim();
  return inner ? `,${inner}` : '';
}
