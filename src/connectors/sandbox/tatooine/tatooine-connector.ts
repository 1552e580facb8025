/** Tatooine: the sandbox tax authority (Mexico's SAT). Logs in with an RFC and its CIEC password. */
import { SandboxConnector } from '../sandbox-connector.js';
import { SANDBOX_DEFAULTS, defineInstitution, passwordField, usernameField } from '../sandbox-forms.js';

/** A Mexican RFC: 3 letters (company) or 4 (person), the date as YYMMDD, a 3-character homoclave. */
export const RFC_PATTERN = '^[A-Za-zÑñ&]{3,4}[0-9]{6}[A-Za-z0-9]{3}$';

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
      usernameField('RFC', 'ABCD800101XY1', 'El RFC tiene 12 caracteres (persona moral) o 13 (persona física)', RFC_PATTERN),
      passwordField('CIEC', 'Tu contraseña CIEC', 'Escribe tu CIEC'),
    ],
  }),
];

export const tatooineConnector = new SandboxConnector(TATOOINE_INSTITUTIONS);
