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
 * Colombian identity documents. A code's `validation` applies to the username (the document
 * number) in the widget. The sandbox takes any username whatever the type, as Belvo's does, so
 * each rule is the sandbox's NON_EMPTY; the placeholders show what a real number looks like, and
 * a real Colombian bank's connector would publish each type's own rule here.
 */
const COLOMBIAN_DOCUMENTS: FormFieldValue[] = [
  {
    code: '001',
    label: 'Cédula de Ciudadanía',
    validation: NON_EMPTY,
    validation_message: 'Escribe el número de tu cédula de ciudadanía',
    placeholder: '1020304050',
  },
  {
    code: '002',
    label: 'Cédula de Extranjería',
    validation: NON_EMPTY,
    validation_message: 'Escribe el número de tu cédula de extranjería',
    placeholder: '1234567',
  },
  {
    code: '003',
    label: 'Pasaporte',
    validation: NON_EMPTY,
    validation_message: 'Escribe el número de tu pasaporte',
    placeholder: 'AB1234567',
  },
  {
    code: '020',
    label: 'NIT',
    validation: NON_EMPTY,
    validation_message: 'Escribe tu NIT',
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
