/**
 * Tatooine: the sandbox tax authority (Mexico's SAT). Logs in with an RFC and its CIEC password.
 *
 * Like every sandbox institution it takes any username: an RFC-shaped one is the taxpayer's RFC
 * (12 characters a company, 13 a person), any other stands for a taxpayer whose RFC is derived
 * from it (see `taxpayerRfc` in ../data/fiscal-taxpayer.ts), so the reserved usernames
 * (`mfa_user`, `expire_password_user`…) work here too.
 */
import { SandboxConnector } from '../sandbox-connector.js';
import { SANDBOX_DEFAULTS, defineInstitution, passwordField, usernameField } from '../sandbox-forms.js';

export const TATOOINE_INSTITUTIONS = [
  defineInstitution({
    ...SANDBOX_DEFAULTS,
    id: 2001,
    name: 'tatooine_mx_fiscal',
    type: 'fiscal',
    display_name: 'Tatooine SAT Mexico',
    website: 'https://www.tatooine.com/',
    primary_color: '#c8a165',
    country_codes: ['MX'],
    resources: ['INVOICES', 'TAX_RETURNS', 'TAX_STATUS', 'TAX_COMPLIANCE_STATUS'],
    form_fields: [
      usernameField('RFC', 'ABCD800101XY1', 'Escribe tu RFC'),
      passwordField('CIEC', 'Tu contraseña CIEC', 'Escribe tu CIEC'),
    ],
  }),
];

export const tatooineConnector = new SandboxConnector(TATOOINE_INSTITUTIONS);
