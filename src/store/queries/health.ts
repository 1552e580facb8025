import { sql, type Kysely } from 'kysely';

/** The store answers a query (readiness). */
export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}
