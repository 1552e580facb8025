/**
 * Building blocks for the sandbox institutions' catalogue entries: login form fields, the
 * `token_required` feature and the defaults every sandbox institution shares.
 */
import type { FormField, InstitutionDefinition, InstitutionFeature, ResourceName } from '../connector.js';

/** Anything non-empty. Sandbox usernames such as `mfa_user` or `expire_token_1` must pass the form. */
export const NON_EMPTY = '^.{1,}$';

/** Belvo's only documented feature. */
export const TOKEN_REQUIRED: InstitutionFeature = {
  name: 'token_required',
  description: 'The institution may require a token during link creation or login',
};

export const BANK_RESOURCES: ResourceName[] = ['ACCOUNTS', 'TRANSACTIONS', 'OWNERS', 'BALANCES'];

/**
 * What all sandbox institutions share. Every one of them declares `token_required`, because the
 * `mfa…` and `expire_token…` users can be challenged at any sandbox institution.
 */
export const SANDBOX_DEFAULTS: Pick<InstitutionDefinition, 'logo' | 'icon_logo' | 'text_logo' | 'features' | 'integration_type'> = {
  logo: null,
  icon_logo: null,
  text_logo: null,
  features: [TOKEN_REQUIRED],
  integration_type: 'credentials',
};

export function usernameField(label: string, placeholder: string, validation_message: string, validation = NON_EMPTY): FormField {
  return { name: 'username', type: 'text', label, placeholder, validation, validation_message };
}

export function passwordField(label: string, placeholder: string, validation_message: string): FormField {
  return { name: 'password', type: 'password', label, placeholder, validation: NON_EMPTY, validation_message };
}

/**
 * Freezes a definition (deeply) so no caller can change the catalogue it was built from: the
 * same objects are shared by every request and by the store sync.
 */
export function defineInstitution(definition: InstitutionDefinition): InstitutionDefinition {
  return deepFreeze(structuredClone(definition));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
