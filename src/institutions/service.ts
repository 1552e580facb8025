import type { Kysely } from 'kysely';
import type { FormField, InstitutionDefinition } from '../connectors/connector.js';
import type { CatalogueEntry } from '../connectors/registry.js';
import { apiError } from '../errors.js';
import { parseFilters } from '../filters/index.js';
import type { PageRequest } from '../pagination.js';
import * as q from '../store/queries/institutions.js';
import type { Database, InstitutionRow } from '../store/schema.js';
import { institutionFilters } from './filters.js';

export type InstitutionStatus = 'healthy' | 'down';

/** The Institution object as Belvo returns it. */
export interface InstitutionJson extends Omit<InstitutionDefinition, 'form_fields'> {
  form_fields: Omit<FormField, 'optional'>[];
  status: InstitutionStatus;
}

export function toInstitutionJson(row: InstitutionRow): InstitutionJson {
  return {
    id: row.id,
    name: row.name,
    type: row.type as InstitutionJson['type'],
    website: row.website,
    display_name: row.display_name,
    country_codes: row.country_codes,
    primary_color: row.primary_color,
    logo: row.logo,
    icon_logo: row.icon_logo,
    text_logo: row.text_logo,
    form_fields: (row.form_fields as FormField[]).map(({ optional: _, ...f }) => f),
    features: row.features as InstitutionJson['features'],
    resources: row.resources as InstitutionJson['resources'],
    integration_type: row.integration_type as InstitutionJson['integration_type'],
    status: row.status as InstitutionStatus,
  };
}

/**
 * The institution catalogue: built from the registered connectors, mirrored into the store so it
 * filters and pages like every other list, with each institution's runtime `status` (the
 * catalogue's, or the tenant's own where the sandbox set one).
 */
export class Institutions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly catalogue: ReadonlyMap<string, CatalogueEntry>,
  ) {}

  /** Writes the catalogue to the store; `down` names start down, every other one healthy. */
  async sync(down: readonly string[]): Promise<void> {
    const unknown = down.filter((n) => !this.catalogue.has(n));
    if (unknown.length) throw apiError('invalid', `Unknown institution(s) in VINCULO_SANDBOX_DOWN: ${unknown.join(', ')}`);
    const defs = [...this.catalogue.values()].map((e) => e.definition);
    await q.syncInstitutions(this.db, defs, (name) => (down.includes(name) ? 'down' : 'healthy'));
  }

  /** The catalogue as `tenantId` sees it (its own statuses); `null`: the catalogue's statuses. */
  async list(tenantId: string | null, query: Record<string, unknown>, page: PageRequest) {
    const filters = parseFilters(institutionFilters, query);
    const { count, rows } = await q.pageInstitutions(this.db, tenantId, filters, page);
    return { count, results: rows.map(toInstitutionJson) };
  }

  /** By numeric id (Belvo's) or by name. */
  async get(tenantId: string | null, idOrName: string): Promise<InstitutionJson> {
    const by = /^\d{1,9}$/.test(idOrName) ? { id: Number(idOrName) } : { name: idOrName };
    const row = await q.findInstitution(this.db, by, tenantId);
    if (!row) throw apiError('not_found');
    return toInstitutionJson(row);
  }

  /** The connector and the tenant's live status for an institution name, or undefined if unknown. */
  async resolve(tenantId: string, name: string): Promise<(CatalogueEntry & { status: InstitutionStatus }) | undefined> {
    const entry = this.catalogue.get(name);
    if (!entry) return undefined;
    const row = await q.findInstitution(this.db, { name }, tenantId);
    return { ...entry, status: (row?.status as InstitutionStatus) ?? 'healthy' };
  }

  /** Takes an institution down (or up) for one tenant only: a tenant is a test environment. */
  async setStatus(tenantId: string, name: string, status: InstitutionStatus): Promise<boolean> {
    return q.setTenantInstitutionStatus(this.db, tenantId, name, status);
  }
}
