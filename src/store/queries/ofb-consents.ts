import { sql, type ColumnType, type Kysely, type Selectable } from 'kysely';
import type { Database, SealedColumns } from '../schema.js';

/**
 * Open Finance consent sessions (migration 0014): a consent the Connect widget started at a bank,
 * found again by the hash of the OAuth `state` the bank sends back. The table is declared here
 * (`withTables`) rather than in ../schema.ts: only the widget's consent flow reads it.
 */
export interface ConsentSessionsTable extends SealedColumns {
  id: string;
  tenant_id: string;
  widget_session_id: string;
  institution: string;
  state_hash: string;
  options: ColumnType<Record<string, unknown>, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export type ConsentSessionRow = Selectable<ConsentSessionsTable>;

type Db = Kysely<Database>;
const table = (db: Db) => db.withTables<{ consent_sessions: ConsentSessionsTable }>();

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
  await table(db)
    .insertInto('consent_sessions')
    .values({ ...row, options: JSON.stringify(row.options) })
    .execute();
}

/**
 * Takes (deletes and returns) the session of a state hash: whoever takes it first is the only
 * one to finish the consent, so a replayed or concurrent callback finds nothing.
 */
export async function takeConsentSession(db: Db, stateHash: string): Promise<ConsentSessionRow | undefined> {
  return table(db).deleteFrom('consent_sessions').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}

/** Test and diagnostics: the sessions of a widget session that are still open. */
export async function countConsentSessions(db: Db, widgetSessionId: string): Promise<number> {
  const r = await table(db)
    .selectFrom('consent_sessions')
    .select(sql<string>`count(*)`.as('n'))
    .where('widget_session_id', '=', widgetSessionId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
