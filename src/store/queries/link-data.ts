import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { uuidv7 } from '../ids.js';
import type { Database, DataTable } from '../schema.js';
import { pageOf, type PageWindow } from './page.js';
import type { FilterNode } from '../../filters/index.js';
import { applyFilters } from './filters.js';
import { isoText } from './iso-text.js';

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

/**
 * A stored object as lists answer it: `data` and the timestamps as JSON-ready text, never parsed
 * into objects and serialised again (for a page of 100 transactions that round trip was most of
 * the request's CPU).
 */
export interface DataRowText {
  id: string;
  link_id: string;
  /** `data` as PostgreSQL prints jsonb. */
  data: string;
  /** ISO 8601 in UTC with milliseconds, as Date#toISOString writes it. */
  collected_at: string;
  created_at: string;
  account?: DataRowText;
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

/** What an upsert tells about each row: its (stable) id, whether it is new, whether its data changed. */
export interface UpsertedRow {
  id: string;
  internal_identification: string;
  created_at: Date;
  inserted: boolean;
  /** Inserted, or stored with different data than before. */
  changed: boolean;
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
      changed_at: r.collected_at,
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
          // In DO UPDATE, the table's own columns are the row as it was before this statement.
          changed_at: sql`case when ${sql.ref(`${table}.data`)} is distinct from excluded.data then excluded.changed_at else ${sql.ref(`${table}.changed_at`)} end`,
          record_date: eb.ref('excluded.record_date'),
          ...(scoped && { account_id: eb.ref('excluded.account_id') }),
        })),
      )
      // xmax is 0 on a freshly inserted row version, the updating transaction's id otherwise.
      .returning([
        'id',
        'internal_identification',
        'created_at',
        sql<boolean>`(xmax::text = '0')`.as('inserted'),
        sql<boolean>`(changed_at = collected_at)`.as('changed'),
      ])
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
  // A left join (account_id is a NOT NULL foreign key, so it never adds or drops rows) lets
  // PostgreSQL leave the accounts out of count(*) unless a filter names them.
  if (ACCOUNT_SCOPED.has(table)) q = q.leftJoin('accounts as account', 'account.id', 'r.account_id');
  return q;
}

function project(q: DataQuery, table: DataTable): DataQuery {
  q = q.select(['r.id', 'r.link_id', 'r.data', 'r.collected_at', 'r.created_at']);
  return ACCOUNT_SCOPED.has(table) ? q.select('r.account_id') : q;
}

const TEXT_COLUMNS = (alias: string) => [
  `${alias}.id`,
  `${alias}.link_id`,
  sql<string>`${sql.ref(`${alias}.data`)}::text`.as('data'),
  isoText(`${alias}.collected_at`).as('collected_at'),
  isoText(`${alias}.created_at`).as('created_at'),
];

function projectText(q: DataQuery, table: DataTable): DataQuery {
  q = q.select(TEXT_COLUMNS('r'));
  return ACCOUNT_SCOPED.has(table) ? q.select('r.account_id') : q;
}

/**
 * Transactions and balances get their account, read once per distinct account (a page of 100
 * transactions has a handful) instead of once per row.
 */
async function withAccounts<R extends { account?: R }>(
  rows: Record<string, any>[],
  accountsById: (ids: string[]) => Promise<(R & { id: string })[]>,
  toRow: (r: Record<string, any>) => R,
): Promise<R[]> {
  const ids = [...new Set(rows.map((r) => r.account_id).filter(Boolean))] as string[];
  const accounts = new Map((ids.length ? await accountsById(ids) : []).map((a) => [a.id, a]));
  return rows.map((r) => {
    const row = toRow(r);
    const account = r.account_id ? accounts.get(r.account_id) : undefined;
    if (account) row.account = account;
    return row;
  });
}

function toDataRows(db: Db, rows: Record<string, any>[]): Promise<DataRow[]> {
  return withAccounts<DataRow>(
    rows,
    (ids) => db.selectFrom('accounts').select(['id', 'link_id', 'data', 'collected_at', 'created_at']).where('id', 'in', ids).execute(),
    (r) => ({ id: r.id, link_id: r.link_id, data: r.data, collected_at: r.collected_at, created_at: r.created_at }),
  );
}

function toTextRows(db: Db, rows: Record<string, any>[]): Promise<DataRowText[]> {
  return withAccounts<DataRowText>(
    rows,
    async (ids) => (await (db as AnyDb).selectFrom('accounts as a').select(TEXT_COLUMNS('a')).where('a.id', 'in', ids).execute()) as DataRowText[],
    (r) => ({ id: r.id, link_id: r.link_id, data: r.data, collected_at: r.collected_at, created_at: r.created_at }),
  );
}

/** One page of the tenant's rows of `table` that pass `filters`, newest first. */
export async function pageRows(
  db: Db,
  table: DataTable,
  tenantId: string,
  filters: readonly FilterNode[],
  window: PageWindow,
): Promise<{ count: number; rows: DataRowText[] }> {
  const page = await pageOf(
    applyFilters(scope(db, table, tenantId), filters),
    (qb) => projectText(qb, table).orderBy('r.record_date', 'desc').orderBy('r.id', 'desc').execute(),
    window,
  );
  return { count: page.count, rows: await toTextRows(db, page.rows) };
}

export async function findRow(db: Db, table: DataTable, tenantId: string, id: string): Promise<DataRow | undefined> {
  const r = await project(scope(db, table, tenantId).where('r.id', '=', id), table).executeTakeFirst();
  return r ? (await toDataRows(db, [r]))[0] : undefined;
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
