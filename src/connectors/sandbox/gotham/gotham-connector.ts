/**
 * Gotham Business Bank: a business bank in Mexico that asks for a numeric token (a hardware token
 * code) at every login, registration and later ones alike.
 */
import { SandboxConnector } from '../sandbox-connector.js';
import { BANK_RESOURCES, SANDBOX_DEFAULTS, defineInstitution, passwordField, usernameField } from '../sandbox-forms.js';

export const GOTHAM_INSTITUTIONS = [
  defineInstitution({
    ...SANDBOX_DEFAULTS,
    id: 1201,
    name: 'gotham_mx_business',
    type: 'bank',
    display_name: 'Gotham Business Mexico',
    website: 'https://www.gotham.com/',
    primary_color: '#1f2a44',
    country_codes: ['MX'],
    resources: BANK_RESOURCES,
    form_fields: [
      usernameField('Usuario empresarial', 'Tu usuario de banca empresarial', 'Escribe tu usuario empresarial'),
      passwordField('Contraseña', 'Tu contraseña', 'Escribe tu contraseña'),
    ],
  }),
];

export const gothamConnector = new SandboxConnector(GOTHAM_INSTITUTIONS, { challengeEveryLogin: true });
