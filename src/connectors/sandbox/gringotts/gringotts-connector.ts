/** Gringotts Bank: a retail bank in Mexico. No MFA beyond the sandbox's `mfa…` users. */
import { SandboxConnector } from '../sandbox-connector.js';
import { BANK_RESOURCES, SANDBOX_DEFAULTS, defineInstitution, passwordField, usernameField } from '../sandbox-forms.js';

export const GRINGOTTS_INSTITUTIONS = [
  defineInstitution({
    ...SANDBOX_DEFAULTS,
    id: 1101,
    name: 'gringotts_mx_retail',
    type: 'bank',
    display_name: 'Gringotts Mexico',
    website: 'https://www.gringotts.com/',
    primary_color: '#7b1e1e',
    country_codes: ['MX'],
    resources: BANK_RESOURCES,
    form_fields: [
      usernameField('Número de cliente', '12345678', 'Escribe tu número de cliente'),
      passwordField('Contraseña', 'Tu contraseña', 'Escribe tu contraseña'),
    ],
  }),
];

export const gringottsConnector = new SandboxConnector(GRINGOTTS_INSTITUTIONS);
