/**
 * The catalogue entry (`GET /api/institutions/`) of a configured OFB bank.
 */
import type { InstitutionDefinition, ResourceName } from '../../connector.js';
import { defineInstitution } from '../../sandbox/sandbox-forms.js';
import type { OfbInstitution } from './institution.js';

/** What the OFB connector extracts: accounts (with balances and transactions) and the customer. */
export const OFB_RESOURCES: readonly ResourceName[] = Object.freeze(['ACCOUNTS', 'BALANCES', 'TRANSACTIONS', 'OWNERS']);

/**
 * `id` defaults to the entry's own (explicit or derived, see ids.ts). No form fields: the customer
 * authorises a consent at the bank instead of typing credentials into Vinculo; and no
 * `token_required` feature, since the bank's own pages handle any second factor.
 */
export type OfbCatalogueFields = Pick<OfbInstitution, 'id' | 'name' | 'display_name' | 'website' | 'primary_color' | 'logo' | 'icon_logo' | 'text_logo'>;

export function ofbInstitutionDefinition(entry: OfbCatalogueFields, id: number = entry.id): InstitutionDefinition {
  return defineInstitution({
    id,
    name: entry.name,
    type: 'bank',
    display_name: entry.display_name,
    website: entry.website,
    country_codes: ['BR'],
    primary_color: entry.primary_color,
    logo: entry.logo,
    icon_logo: entry.icon_logo,
    text_logo: entry.text_logo,
    form_fields: [],
    features: [],
    resources: [...OFB_RESOURCES],
    integration_type: 'openbanking',
  });
}
