import { sql, type Kysely } from 'kysely';
import type { InstitutionDefinition } from '../../connectors/connector.js';
import type { Database, InstitutionRow } from '../schema.js';
import { pageOf, type PageWindow } from './page.js';
import type { FilterNode } from '../../filters/index.js';
import { applyFilters } from './filters.js';

type Db = Kysely<Database>;

/**
 * Writes the connectors' catalogue into the table (so lists filter in SQL like every other
 * resource). Metadata always follows the code; `status` is set only for new rows or when given.
 */
export async function syncInstitutions(
  db: Db,
  definitions: readonly InstitutionDefinition[],
  statusOf: (name: string) => 'healthy' | 'down' | undefined,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const d of definitions) {
      const row = {
        id: d.id,
        name: d.name,
        type: d.type,
        display_name: d.display_name,
        website: d.website,
        country_codes: sql<string[]>`ARRAY[${sql.join(d.country_codes)}]::text[]`,
        primary_color: d.primary_color,
        logo: d.logo,
        icon_logo: d.icon_logo,
        text_logo: d.text_logo,
        form_fields: JSON.stringify(d.form_fields),
        features: JSON.stringify(d.features),
        resources: sql<string[]>`ARRAY[${sql.join(d.resources)}]::text[]`,
        integration_type: d.integration_type,
      };
      const status = statusOf(d.name);
      await tx
        .insertInto('institutions')
        .values({ ...row, status: status ?? 'healthy' } as never)
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, ...(status ? { status } : {}) } as never))
        .execute();
    }
    const names = definitions.map((d) => d.name);
    if (names.length) await tx.deleteFrom('institutions').where('name', 'not in', names).execute();
  });
}

export function findInstitution(db: Db, by: { id: number } | { name: string }): Promise<InstitutionRow | undefined> {
  const q = db.selectFrom('institutions').selectAll();
  return ('id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name)).executeTakeFirst();
}

export async function pageInstitutions(
  db: Db,
  filters: readonly FilterNode[],
  page: PageWindow,
): Promise<{ count: number; rows: InstitutionRow[] }> {
  const base = applyFilters(db.selectFrom('institutions'), filters);
  return pageOf(base, (qb) => qb.selectAll().orderBy('id').execute(), page);
}

export async function setInstitutionStatus(db: Db, name: string, status: 'healthy' | 'down'): Promise<boolean> {
  const r = await db.updateTable('institutions').set({ status }).where('name', '=', name).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
