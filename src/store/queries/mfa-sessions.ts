import type { Kysely } from 'kysely';
import type { Database, MfaSessionRow, Sealed } from '../schema.js';

type Db = Kysely<Database>;

export function findMfaSession(db: Db, tenantId: string, id: string): Promise<MfaSessionRow | undefined> {
  return db.selectFrom('mfa_sessions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** A link has at most one open MFA session: opening one replaces any earlier one. */
export async function openMfaSession(
  db: Db,
  row: { id: string; link_id: string; tenant_id: string; purpose: string; expires_at: Date } & Sealed,
): Promise<void> {
  await db.deleteFrom('mfa_sessions').where('link_id', '=', row.link_id).execute();
  await db.insertInto('mfa_sessions').values(row).execute();
}

export async function updateMfaSession(db: Db, id: string, sealed: Sealed, expiresAt: Date): Promise<void> {
  await db.updateTable('mfa_sessions').set({ ...sealed, expires_at: expiresAt }).where('id', '=', id).execute();
}

export async function deleteMfaSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('mfa_sessions').where('id', '=', id).execute();
}
