import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { uuidv7 } from '../ids.js';
import type { Database, DataTable } from '../schema.js';
import { pageOf, type PageWindow } from './page.js';

/**
 * Link data (accounts, transactions, invoices...): one table per resource, all of the same make
 * (see migration 0002). Queries alias the resource table as `r` and, for transactions and
 * balances, join their account as `account`, so filters can name `r.*` and `account.*` columns.
 */

type Db = Kysely<Database>;
// The tables are chosen at run time; Kysely cannot type a union of table names through joins.
type AnyDb = Kysely<any>;

/** Tables whose rows also belong to an account (and embed it in the API object). */
export const ACCOUNT_SCOPED: ReadonlySet<DataTable> = new Set<DataTable>(['transactions', 'balances']);

/** A stored object as the service turns it into JSON. */
export interface DataRow {
  id: string;
  link_id: string;
  data: Record<string, unknown>;
  collected_at: Date;
  created_at: Date;
  /** Transactions and balances: their account, already a row of the same make. */
  account?: DataRow;
}

export interface NewDataRow {
  tenant_id: string;
  link_id: string;
  internal_identification: string;
  collected_at: Date;
  record_date: string | null;
  data: Record<string, unknown>;
  account_id?: string;
}

/** What an upsert tells about each row: its (stable) id and whether it is new. */
export interface UpsertedRow {
  id: string;
  internal_identification: string;
  created_at: Date;
  inserted: boolean;
}

export type DataQuery = SelectQueryBuilder<any, any, any>;

// Bound parameters per row ≤ 9; PostgreSQL allows 65,535 per statement.
const UPSERT_CHUNK = 1000;

/**
 * Inserts new objects and updates known ones (same link and internal_identification), in the
 * order given. Existing rows keep their id and created_at. Run it inside a transaction.
 */
export async function upsertRows(db: Db, table: DataTable, rows: readonly NewDataRow[]): Promise<UpsertedRow[]> {
  const out: UpsertedRow[] = [];
  const scoped = ACCOUNT_SCOPED.has(table);
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const chunk = rows.slice(i, i + UPSERT_CHUNK).map((r) => ({
      id: uuidv7(),
      tenant_id: r.tenant_id,
      link_id: r.link_id,
      internal_identification: r.internal_identification,
      collected_at: r.collected_at,
      record_date: r.record_date,
      data: JSON.stringify(r.data),
      ...(scoped && { account_id: r.account_id }),
    }));
    const done = await (db as AnyDb)
      .insertInto(table)
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['link_id', 'internal_identification']).doUpdateSet((eb) => ({
          data: eb.ref('excluded.data'),
          collected_at: eb.ref('excluded.collected_at'),
          record_date: eb.ref('excluded.record_date'),
          ...(scoped && { account_id: eb.ref('excluded.account_id') }),
        })),
      )
      // xmax is 0 on a freshly inserted row version, the updating transaction's id otherwise.
      .returning(['id', 'internal_identification', 'created_at', sql<boolean>`(xmax::text = '0')`.as('inserted')])
      .execute();
    out.push(...(done as UpsertedRow[]));
  }
  return out;
}

/** Ids already stored for these institution ids of a link (for answers that store nothing). */
export async function knownIds(
  db: Db,
  table: DataTable,
  linkId: string,
  internalIds: readonly string[],
): Promise<Map<string, { id: string; created_at: Date }>> {
  const found = new Map<string, { id: string; created_at: Date }>();
  for (let i = 0; i < internalIds.length; i += UPSERT_CHUNK) {
    const rows = await (db as AnyDb)
      .selectFrom(table)
      .select(['id', 'internal_identification', 'created_at'])
      .where('link_id', '=', linkId)
      .where('internal_identification', 'in', internalIds.slice(i, i + UPSERT_CHUNK))
      .execute();
    for (const r of rows) found.set(r.internal_identification, { id: r.id, created_at: r.created_at });
  }
  return found;
}

/** The tenant's rows of `table`, not yet projected: filters are applied to this. */
export function scope(db: Db, table: DataTable, tenantId: string): DataQuery {
  let q = (db as AnyDb).selectFrom(`${table} as r`).where('r.tenant_id', '=', tenantId);
  if (ACCOUNT_SCOPED.has(table)) q = q.innerJoin('accounts as account', 'account.id', 'r.account_id');
  return q;
}

function project(q: DataQuery, table: DataTable): DataQuery {
  q = q.select(['r.id', 'r.link_id', 'r.data', 'r.collected_at', 'r.created_at']);
  if (!ACCOUNT_SCOPED.has(table)) return q;
  return q.select([
    'account.id as account_id',
    'account.link_id as account_link_id',
    'account.data as account_data',
    'account.collected_at as account_collected_at',
    'account.created_at as account_created_at',
  ]);
}

function toDataRow(r: Record<string, any>): DataRow {
  const row: DataRow = { id: r.id, link_id: r.link_id, data: r.data, collected_at: r.collected_at, created_at: r.created_at };
  if (r.account_id) {
    row.account = {
      id: r.account_id,
      link_id: r.account_link_id,
      data: r.account_data,
      collected_at: r.account_collected_at,
      created_at: r.account_created_at,
    };
  }
  return row;
}

/** One page of `filtered` (a `scope` with filters applied), newest first. */
export async function pageRows(filtered: DataQuery, table: DataTable, window: PageWindow): Promise<{ count: number; rows: DataRow[] }> {
  const page = await pageOf(
    filtered,
    (qb) => project(qb, table).orderBy('r.record_date', 'desc').orderBy('r.id', 'desc').execute(),
    window,
  );
  return { count: page.count, rows: page.rows.map(toDataRow) };
}

export async function findRow(db: Db, table: DataTable, tenantId: string, id: string): Promise<DataRow | undefined> {
  const r = await project(scope(db, table, tenantId).where('r.id', '=', id), table).executeTakeFirst();
  return r ? toDataRow(r) : undefined;
}

/** The account of a link with this id (the `account` of a retrieval request). */
export async function findLinkAccount(db: Db, linkId: string, id: string): Promise<{ id: string; internal_identification: string } | undefined> {
  return db.selectFrom('accounts').select(['id', 'internal_identification']).where('link_id', '=', linkId).where('id', '=', id).executeTakeFirst();
}

/** Deletes one object (an account takes its transactions and balances with it). */
export async function deleteRow(db: Db, table: DataTable, tenantId: string, id: string): Promise<boolean> {
  const r = await (db as AnyDb).deleteFrom(table).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
