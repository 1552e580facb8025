import { sql, type Kysely } from 'kysely';
import type { Database, LinkRow, LinkUpdate, NewLink, Sealed } from '../schema.js';
import { pageOf, type PageWindow } from './page.js';
import type { FilterNode } from '../../filters/index.js';
import { applyFilters } from './filters.js';
import { isoText } from './iso-text.js';
import { prepared } from '../prepared.js';
import { retryingDeadlocks } from '../deadlock.js';

type Db = Kysely<Database>;

export function findLink(db: Db, tenantId: string, id: string): Promise<LinkRow | undefined> {
  return db.selectFrom('links').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** What GET /api/links/{id}/ answers with: the Link object's columns. */
export const LINK_VIEW_COLUMNS = [
  'id', 'tenant_id', 'institution', 'access_mode', 'status', 'refresh_rate', 'created_by', 'external_id',
  'institution_user_id', 'credentials_storage', 'stale_in', 'fetch_resources', 'last_accessed_at', 'created_at',
] as const satisfies readonly (keyof LinkRow)[];
export type LinkView = Pick<LinkRow, (typeof LINK_VIEW_COLUMNS)[number]>;

const FIND_LINK_VIEW = prepared<[tenantId: string, id: string]>(
  'vinculo_find_link_view',
  `select ${LINK_VIEW_COLUMNS.join(', ')} from links where id = $2 and tenant_id = $1`,
);

/** The tenant's link as the API shows it (one prepared statement, the columns it needs). */
export async function findLinkView(db: Db, tenantId: string, id: string): Promise<LinkView | undefined> {
  const { rows } = await db.executeQuery<LinkView>(FIND_LINK_VIEW.query(tenantId, id));
  return rows[0];
}


/**
 * The Link object as JSON text, built by PostgreSQL: the keys and values of src/links/service.ts's
 * `toLinkJson`, in its order (json, unlike jsonb, keeps it). Lists answer it as it is: parsing 100
 * rows' timestamps and arrays, building objects and serialising them again was most of a list's CPU.
 */
const LINK_JSON = sql<string>`json_build_object(
  'id', id, 'institution', institution, 'access_mode', access_mode,
  'last_accessed_at', ${isoText('last_accessed_at')}, 'created_at', ${isoText('created_at')},
  'external_id', external_id, 'institution_user_id', institution_user_id, 'status', status, 'created_by', created_by,
  'refresh_rate', refresh_rate, 'credentials_storage', credentials_storage, 'stale_in', stale_in, 'fetch_resources', to_json(fetch_resources)
)::text`;

/** The tenant's links, filtered, newest first (id breaks ties so pages are stable), as JSON text. */
export async function pageLinks(
  db: Db,
  tenantId: string,
  filters: readonly FilterNode[],
  page: PageWindow,
  knownCount?: number,
): Promise<{ count: number; rows: string[] }> {
  const base = applyFilters(db.selectFrom('links').where('links.tenant_id', '=', tenantId), filters);
  const page_ = await pageOf(base, (qb) => qb.select(LINK_JSON.as('json')).orderBy('created_at', 'desc').orderBy('id', 'desc').execute(), page, knownCount);
  return { count: page_.count, rows: page_.rows.map((r) => r.json) };
}

export async function insertLink(db: Db, row: NewLink): Promise<LinkRow> {
  return db.insertInto('links').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateLink(db: Db, id: string, changes: LinkUpdate): Promise<LinkRow> {
  return db
    .updateTable('links')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteLink(db: Db, tenantId: string, id: string): Promise<boolean> {
  // Its cascade and a first load still inserting the link's data can deadlock: the loser goes again.
  const r = await retryingDeadlocks(db, () => db.deleteFrom('links').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst());
  return Number(r.numDeletedRows) > 0;
}

/**
 * Takes the link's institution-session lease (the too_many_sessions guard) unless another holder's
 * lease is still running. Works across processes: the UPDATE is atomic in PostgreSQL.
 */
export async function acquireSessionLease(db: Db, id: string, token: string, ttlSeconds: number): Promise<boolean> {
  const r = await db
    .updateTable('links')
    .set({
      session_lease_token: token,
      session_lease_until: sql`now() + make_interval(secs => ${ttlSeconds})`,
    })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('session_lease_until', 'is', null), eb('session_lease_until', '<', sql<Date>`now()`), eb('session_lease_token', '=', token)]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Renews a session lease its holder still holds (never takes one back once released or lost). */
export async function extendSessionLease(db: Db, id: string, token: string, ttlSeconds: number): Promise<void> {
  await db
    .updateTable('links')
    .set({ session_lease_until: sql`now() + make_interval(secs => ${ttlSeconds})` })
    .where('id', '=', id)
    .where('session_lease_token', '=', token)
    .execute();
}

export async function releaseSessionLease(db: Db, id: string, token: string): Promise<void> {
  await db
    .updateTable('links')
    .set({ session_lease_token: null, session_lease_until: null })
    .where('id', '=', id)
    .where('session_lease_token', '=', token)
    .execute();
}

/** The sealed credentials of a link, unless absent or past `credentials_expire_at`. */
export function findCredentials(db: Db, linkId: string): Promise<Sealed | undefined> {
  return db
    .selectFrom('link_credentials')
    .innerJoin('links', 'links.id', 'link_credentials.link_id')
    .select(['link_credentials.key_id', 'link_credentials.wrapped_key', 'link_credentials.ciphertext'])
    .where('link_credentials.link_id', '=', linkId)
    .where((eb) => eb.or([eb('links.credentials_expire_at', 'is', null), eb('links.credentials_expire_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
}

export async function saveCredentials(db: Db, linkId: string, sealed: Sealed): Promise<void> {
  await db
    .insertInto('link_credentials')
    .values({ link_id: linkId, ...sealed, updated_at: new Date() })
    .onConflict((oc) => oc.column('link_id').doUpdateSet({ ...sealed, updated_at: new Date() }))
    .execute();
}

export async function deleteCredentials(db: Db, linkId: string): Promise<void> {
  await db.deleteFrom('link_credentials').where('link_id', '=', linkId).execute();
}

/** A link by id alone, for background work that acts on behalf of whichever tenant owns it. */
export function findLinkById(db: Db, id: string): Promise<LinkRow | undefined> {
  return db.selectFrom('links').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Who holds the link's institution session (the lease token), if anyone still does. */
export async function sessionLeaseHolder(db: Db, id: string): Promise<string | null> {
  const row = await db
    .selectFrom('links')
    .select('session_lease_token')
    .where('id', '=', id)
    .where('session_lease_until', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row?.session_lease_token ?? null;
}
