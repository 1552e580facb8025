import { Type, type Static, type TSchema } from 'typebox';
import { CREDENTIAL_FIELDS, INSTITUTION_TYPES, RESOURCES } from '../connectors/connector.js';
import type { InstitutionJson } from './service.js';

/**
 * The Institution object as the API returns it (Belvo's `Institution`). It documents the API
 * (src/http/openapi.ts); fastify does not serialize with it.
 */

const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
const strict = { additionalProperties: false } as const;

const FormFieldValue = Type.Object(
  { code: Type.String(), label: Type.String(), validation: Type.String(), validation_message: Type.String(), placeholder: Type.String() },
  strict,
);

const FormField = Type.Object(
  {
    name: Type.Enum(CREDENTIAL_FIELDS),
    type: Type.Enum(['text', 'password', 'select']),
    label: Type.String(),
    validation: Type.String(),
    placeholder: Type.String(),
    validation_message: Type.String(),
    values: Type.Optional(Type.Array(FormFieldValue)),
  },
  strict,
);

export const Institution = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    type: Type.Enum(INSTITUTION_TYPES),
    website: Nullable(Type.String()),
    display_name: Type.String(),
    country_codes: Type.Array(Type.String()),
    primary_color: Type.String(),
    logo: Nullable(Type.String()),
    icon_logo: Nullable(Type.String()),
    text_logo: Nullable(Type.String()),
    form_fields: Type.Array(FormField),
    features: Type.Array(Type.Object({ name: Type.String(), description: Type.String() }, strict)),
    resources: Type.Array(Type.Enum(RESOURCES)),
    integration_type: Type.Enum(['credentials', 'openbanking']),
    status: Type.Enum(['healthy', 'down']),
  },
  { title: 'Institution', ...strict },
);

// The schema says what the service builds: a change to either that the other lacks fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same: Same<Static<typeof Institution>, InstitutionJson> = true;
void same;
