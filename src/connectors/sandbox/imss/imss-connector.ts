/**
 * IMSS: Mexico's social security institute, for employment records. The user identifies with a
 * CURP only; there is no password, so the password rules of the sandbox do not apply.
 */
import { SandboxConnector } from '../sandbox-connector.js';
import { SANDBOX_DEFAULTS, defineInstitution, usernameField } from '../sandbox-forms.js';

/** A CURP: 4 letters, birth date YYMMDD, sex (H/M/X), state (2) and 3 consonants, a homoclave character, a check digit. */
export const CURP_PATTERN = '^[A-Za-z]{4}[0-9]{6}[HMXhmx][A-Za-z]{5}[A-Za-z0-9][0-9]$';

export const IMSS_INSTITUTIONS = [
  defineInstitution({
    ...SANDBOX_DEFAULTS,
    id: 3001,
    name: 'imss_mx_employment',
    type: 'employment',
    display_name: 'IMSS',
    website: 'https://www.imss.gob.mx/',
    primary_color: '#13322b',
    country_codes: ['MX'],
    resources: ['EMPLOYMENT_RECORDS'],
    form_fields: [usernameField('CURP', 'ABCD800101HDFXYZ09', 'La CURP tiene 18 caracteres', CURP_PATTERN)],
  }),
];

export const imssConnector = new SandboxConnector(IMSS_INSTITUTIONS);
