import type { Kysely, Selectable } from 'kysely';
import type { Database, SandboxOfbBankTable } from '../schema.js';

/** The sandbox OFB bank of this database (migration 0015; the table: ../schema.ts SandboxOfbBankTable). */
export type SandboxOfbBankRow = Selectable<SandboxOfbBankTable>;

type Db = Kysely<Database>;

/** Records (or replaces) the bank a process just started. */
export async function upsertSandboxOfbBank(db: Db, row: SandboxOfbBankRow): Promise<void> {
  const { institution: _, ...rest } = row;
  await db
    .insertInto('sandbox_ofb_bank')
    .values(row)
    .onConflict((oc) => oc.column('institution').doUpdateSet(rest))
    .execute();
}

export async function findSandboxOfbBank(db: Db, institution: string): Promise<SandboxOfbBankRow | undefined> {
  return db.selectFrom('sandbox_ofb_bank').selectAll().where('institution', '=', institution).executeTakeFirst();
}
