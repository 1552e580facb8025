/**
 * IMSS: Mexico's social security institute, for employment records. The user identifies with a
 * CURP only; there is no password, so the password rules of the sandbox do not apply.
 *
 * Like every sandbox institution it takes any username: a CURP-shaped one is the worker's CURP,
 * any other stands for a worker whose CURP is derived from it (see `workerCurp` in
 * ../data/employment.ts), so the reserved usernames (`mfa_user`…) work here too.
 */
import { SandboxConnector } from '../sandbox-connector.js';
import { SANDBOX_DEFAULTS, defineInstitution, usernameField } from '../sandbox-forms.js';

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
    form_fields: [usernameField('CURP', 'ABCD800101HDFXYZ09', 'Escribe tu CURP')],
  }),
];

export const imssConnector = new SandboxConnector(IMSS_INSTITUTIONS);
