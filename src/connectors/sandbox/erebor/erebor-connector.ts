/** Erebor Bank: a retail bank in Mexico, Colombia and Brazil. No MFA beyond the sandbox's `mfa…` users. */
import type { FormField, FormFieldValue, InstitutionDefinition } from '../../connector.js';
import { SandboxConnector } from '../sandbox-connector.js';
import {
  BANK_RESOURCES,
  NON_EMPTY,
  SANDBOX_DEFAULTS,
  defineInstitution,
  passwordField,
  usernameField,
} from '../sandbox-forms.js';

/** What the three Erebor institutions share. */
const erebor: Omit<InstitutionDefinition, 'id' | 'name' | 'display_name' | 'country_codes' | 'form_fields'> = {
  ...SANDBOX_DEFAULTS,
  type: 'bank',
  website: 'https://www.erebor.com/',
  primary_color: '#056dae',
  resources: BANK_RESOURCES,
};

/**
 * Colombian identity documents. Each code's `validation` applies to the username (the document
 * number); the server checks the code, the widget the number.
 */
const COLOMBIAN_DOCUMENTS: FormFieldValue[] = [
  {
    code: '001',
    label: 'Cédula de Ciudadanía',
    validation: '^[0-9]{6,10}$',
    validation_message: 'La cédula de ciudadanía tiene de 6 a 10 dígitos',
    placeholder: '1020304050',
  },
  {
    code: '002',
    label: 'Cédula de Extranjería',
    validation: '^[0-9]{6,7}$',
    validation_message: 'La cédula de extranjería tiene 6 o 7 dígitos',
    placeholder: '1234567',
  },
  {
    code: '003',
    label: 'Pasaporte',
    validation: '^[A-Za-z0-9]{5,12}$',
    validation_message: 'El pasaporte tiene de 5 a 12 letras o dígitos',
    placeholder: 'AB1234567',
  },
  {
    code: '020',
    label: 'NIT',
    validation: '^[0-9]{9,10}$',
    validation_message: 'El NIT tiene 9 dígitos, o 10 con el dígito de verificación',
    placeholder: '9001234567',
  },
];

const documentType: FormField = {
  name: 'username_type',
  type: 'select',
  label: 'Tipo de documento',
  validation: NON_EMPTY,
  placeholder: 'Selecciona el tipo de documento',
  validation_message: 'Selecciona un tipo de documento válido',
  values: COLOMBIAN_DOCUMENTS,
};

export const EREBOR_INSTITUTIONS = [
  defineInstitution({
    ...erebor,
    id: 1001,
    name: 'erebor_mx_retail',
    display_name: 'Erebor Mexico',
    country_codes: ['MX'],
    form_fields: [
      usernameField('Usuario', 'Tu usuario de banca en línea', 'Escribe tu usuario'),
      passwordField('Contraseña', 'Tu contraseña', 'Escribe tu contraseña'),
    ],
  }),
  defineInstitution({
    ...erebor,
    id: 1002,
    name: 'erebor_co_retail',
    display_name: 'Erebor Colombia',
    country_codes: ['CO'],
    form_fields: [
      documentType,
      usernameField('Número de documento', '1020304050', 'Escribe tu número de documento'),
      passwordField('Clave', 'Tu clave', 'Escribe tu clave'),
    ],
  }),
  defineInstitution({
    ...erebor,
    id: 1003,
    name: 'erebor_br_retail',
    display_name: 'Erebor Brasil',
    country_codes: ['BR'],
    form_fields: [
      usernameField('CPF', '123.456.789-09', 'Informe seu CPF'),
      passwordField('Senha', 'Sua senha', 'Informe sua senha'),
    ],
  }),
];

export const ereborConnector = new SandboxConnector(EREBOR_INSTITUTIONS);
