/**
 * Heimdall Bank: a retail bank in Mexico whose every login is approved by scanning a QR code with
 * its mobile app. The challenge expects no user input: the resume call carries no token.
 */
import { createHash } from 'node:crypto';
import { SandboxConnector, type ChallengeFactory } from '../sandbox-connector.js';
import { BANK_RESOURCES, SANDBOX_DEFAULTS, defineInstitution, passwordField, usernameField } from '../sandbox-forms.js';

const WEBSITE = 'https://www.heimdall.com/';

/** The QR encodes an approval URL. Its request id is derived from the login, never random, and never shows the username. */
const qrChallenge: ChallengeFactory = (institution, credentials) => {
  const request = createHash('sha256')
    .update(JSON.stringify([institution.name, credentials.username ?? '']))
    .digest('hex')
    .slice(0, 16);
  return {
    instructions: 'Scan this QR code with the Heimdall app and approve the login, then continue',
    type: 'qr',
    value: `${WEBSITE}approve-login?request=${request}`,
    expects_user_input: false,
  };
};

export const HEIMDALL_INSTITUTIONS = [
  defineInstitution({
    ...SANDBOX_DEFAULTS,
    id: 1301,
    name: 'heimdall_mx_retail',
    type: 'bank',
    display_name: 'Heimdall Mexico',
    website: WEBSITE,
    primary_color: '#5b2a86',
    country_codes: ['MX'],
    resources: BANK_RESOURCES,
    form_fields: [
      usernameField('Usuario', 'Tu usuario', 'Escribe tu usuario'),
      passwordField('Contraseña', 'Tu contraseña', 'Escribe tu contraseña'),
    ],
  }),
];

export const heimdallConnector = new SandboxConnector(HEIMDALL_INSTITUTIONS, {
  challengeEveryLogin: true,
  challenge: qrChallenge,
});
