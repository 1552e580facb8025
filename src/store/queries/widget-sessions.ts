import { sql, type Kysely } from 'kysely';
import type { Database, WidgetSessionRow } from '../schema.js';
import { tenantNow } from './tenants.js';

type Db = Kysely<Database>;

export interface NewWidgetSession {
  id: string;
  tenant_id: string;
  key_id: string;
  link_id: string | null;
  scopes: string[];
  widget: Record<string, unknown>;
  link_options: Record<string, unknown>;
  refresh_jti: string;
  expires_at: Date;
}

export async function insertWidgetSession(db: Db, row: NewWidgetSession): Promise<void> {
  await db
    .insertInto('widget_sessions')
    .values({ ...row, widget: JSON.stringify(row.widget), link_options: JSON.stringify(row.link_options) })
    .execute();
}

export function findWidgetSession(db: Db, id: string): Promise<WidgetSessionRow | undefined> {
  return db.selectFrom('widget_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Rotates the session's refresh token: only the holder of the current one (`from`) wins, so a
 * refresh token works once even when two requests race. False when `from` is not current.
 */
export async function rotateRefresh(db: Db, id: string, from: string, to: string): Promise<boolean> {
  const r = await db
    .updateTable('widget_sessions')
    .set({ refresh_jti: to })
    .where('id', '=', id)
    .where('refresh_jti', '=', from)
    .where('completed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function revokeWidgetSession(db: Db, id: string): Promise<void> {
  await db.updateTable('widget_sessions').set({ revoked_at: new Date() }).where('id', '=', id).execute();
}

/**
 * Marks one connection attempt of the session as running, unless another still runs or the
 * session already connected. False: refuse this attempt.
 */
export async function claimWidgetSession(db: Db, id: string, ttlSeconds: number): Promise<boolean> {
  const r = await db
    .updateTable('widget_sessions')
    .set({ busy_until: sql`now() + make_interval(secs => ${ttlSeconds})` })
    .where('id', '=', id)
    .where('completed_at', 'is', null)
    .where((eb) => eb.or([eb('busy_until', 'is', null), eb('busy_until', '<', sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function releaseWidgetSession(db: Db, id: string): Promise<void> {
  await db.updateTable('widget_sessions').set({ busy_until: null }).where('id', '=', id).execute();
}

/** The connection of `linkId` succeeded: the session's tokens stop working. */
export async function completeWidgetSession(db: Db, id: string, linkId: string): Promise<void> {
  await db
    .updateTable('widget_sessions')
    .set({
      completed_at: new Date(),
      links: sql`case when ${linkId}::text = any(links) then links else array_append(links, ${linkId}::text) end`,
    })
    .where('id', '=', id)
    .where('completed_at', 'is', null)
    .execute();
}

/** Remembers a link the session registered (pending MFA or done). */
export async function addWidgetSessionLink(db: Db, id: string, linkId: string): Promise<void> {
  await db
    .updateTable('widget_sessions')
    .set({ links: sql`array_append(links, ${linkId}::text)` })
    .where('id', '=', id)
    .where(sql<boolean>`not (${linkId}::text = any(links))`)
    .execute();
}

/**
 * Deletes up to `limit` sessions that expired (real time: tokens are checked against it) more than
 * `graceMs` before their tenant's now — a sandbox tenant whose clock moved on sees its expired
 * sessions go sooner; a live session never goes. Returns how many it deleted.
 */
export async function deleteExpiredWidgetSessions(db: Db, now: Date, graceMs: number, limit: number): Promise<number> {
  const grace = sql`${graceMs}::double precision * interval '1 millisecond'`;
  const r = await sql`
    delete from widget_sessions where id in (
      select id from (
        (select id from widget_sessions where expires_at < ${now}::timestamptz - ${grace} order by expires_at limit ${limit})
        union all
        (select s.id from widget_sessions s join tenants t on t.id = s.tenant_id
         where t.clock_offset_ms > 0 and s.expires_at >= ${now}::timestamptz - ${grace} and s.expires_at < ${now}::timestamptz
           and s.expires_at < ${tenantNow(now)} - ${grace}
         limit ${limit})
      ) due limit ${limit})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
