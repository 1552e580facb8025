/**
 * Building blocks for the sandbox institutions' catalogue entries: login form fields, the
 * `token_required` feature and the defaults every sandbox institution shares.
 */
import type { FormField, InstitutionDefinition, InstitutionFeature, ResourceName } from '../connector.js';

/**
 * Belvo's sandbox rule, and its published regex: any value of at least one character, without
 * line breaks. As the server and the widget evaluate it (JavaScript, `new RegExp(v).test(value)`),
 * `.` matches every character but \n, \r, U+2028 and U+2029, so `user_valid`, `mfa_user`,
 * `any thing`, unicode or a 200-character value pass and a value with a line break does not.
 * Every field of every sandbox institution uses it: the sandbox accepts any username and password,
 * and the reserved usernames (`mfa…`, `expire_password…`, `expire_token…`, `timeout…`) work everywhere.
 */
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

/** The username field of a sandbox form: the placeholder may show a realistic value (a CURP, an RFC), the rule is NON_EMPTY. */
export function usernameField(label: string, placeholder: string, validation_message: string): FormField {
  return { name: 'username', type: 'text', label, placeholder, validation: NON_EMPTY, validation_message };
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
