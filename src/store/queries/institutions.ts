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
    // An empty catalogue (production without sandbox institutions) keeps no row either.
    await tx.deleteFrom('institutions').$if(names.length > 0, (q) => q.where('name', 'not in', names)).execute();
  });
}

/**
 * The catalogue as one tenant sees it: its own status for an institution (set through the
 * sandbox) over the catalogue's. Aliased `institutions`, so filters address it as the table.
 */
function seenBy(db: Db, tenantId: string | null) {
  return db
    .selectFrom((eb) =>
      eb
        .selectFrom('institutions as i')
        .leftJoin('tenant_institution_status as o', (j) =>
          j.onRef('o.institution', '=', 'i.name').on('o.tenant_id', '=', tenantId ?? sql<string>`null`),
        )
        .select([
          'i.id', 'i.name', 'i.type', 'i.display_name', 'i.website', 'i.country_codes', 'i.primary_color', 'i.logo',
          'i.icon_logo', 'i.text_logo', 'i.form_fields', 'i.features', 'i.resources', 'i.integration_type',
          sql<string>`coalesce(o.status, i.status)`.as('status'),
        ])
        .as('institutions'),
    );
}

/** By id or name, with the tenant's status (the catalogue's for `null`). */
export function findInstitution(db: Db, by: { id: number } | { name: string }, tenantId: string | null): Promise<InstitutionRow | undefined> {
  const q = seenBy(db, tenantId).selectAll();
  return ('id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name)).executeTakeFirst() as Promise<InstitutionRow | undefined>;
}

export async function pageInstitutions(
  db: Db,
  tenantId: string | null,
  filters: readonly FilterNode[],
  page: PageWindow,
): Promise<{ count: number; rows: InstitutionRow[] }> {
  const base = applyFilters(seenBy(db, tenantId), filters);
  return pageOf(base, (qb) => qb.selectAll().orderBy('id').execute() as Promise<InstitutionRow[]>, page);
}

/** Sets the tenant's own status for an institution; false if there is no such institution. */
export async function setTenantInstitutionStatus(db: Db, tenantId: string, name: string, status: 'healthy' | 'down'): Promise<boolean> {
  const known = await db.selectFrom('institutions').select('name').where('name', '=', name).executeTakeFirst();
  if (!known) return false;
  await db
    .insertInto('tenant_institution_status')
    .values({ tenant_id: tenantId, institution: name, status })
    .onConflict((oc) => oc.columns(['tenant_id', 'institution']).doUpdateSet({ status }))
    .execute();
  return true;
}
