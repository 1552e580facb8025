import { sql, type Kysely, type Selectable } from 'kysely';
import type { ConsentSessionsTable, Database, SealedColumns } from '../schema.js';

/** Open Finance consent sessions (migration 0014; the table: ../schema.ts ConsentSessionsTable). */
export type ConsentSessionRow = Selectable<ConsentSessionsTable>;

type Db = Kysely<Database>;

export interface NewConsentSession extends SealedColumns {
  id: string;
  tenant_id: string;
  widget_session_id: string;
  institution: string;
  state_hash: string;
  options: Record<string, unknown>;
  expires_at: Date;
}

export async function insertConsentSession(db: Db, row: NewConsentSession): Promise<void> {
  await db
    .insertInto('consent_sessions')
    .values({ ...row, options: JSON.stringify(row.options) })
    .execute();
}

/**
 * Takes (deletes and returns) the session of a state hash: whoever takes it first is the only
 * one to finish the consent, so a replayed or concurrent callback finds nothing.
 */
export async function takeConsentSession(db: Db, stateHash: string): Promise<ConsentSessionRow | undefined> {
  return db.deleteFrom('consent_sessions').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}

/** Test and diagnostics: the sessions of a widget session that are still open. */
export async function countConsentSessions(db: Db, widgetSessionId: string): Promise<number> {
  const r = await db
    .selectFrom('consent_sessions')
    .select(sql<string>`count(*)`.as('n'))
    .where('widget_session_id', '=', widgetSessionId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
