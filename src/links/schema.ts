import { Type, type Static } from 'typebox';
import { RESOURCES } from '../connectors/connector.js';
import { LINK_STATUSES } from './status.js';

/** Request and response shapes of the Links API, declared once (types derive from them). */

export const ACCESS_MODES = ['single', 'recurrent'] as const;
export const REFRESH_RATES = ['6h', '12h', '24h', '7d', '30d'] as const;

const Str = (opts: { minLength?: number; maxLength?: number } = {}) => Type.String({ minLength: 1, maxLength: 4096, ...opts });
const Days = '^([1-9]|[1-9][0-9]|[1-2][0-9][0-9]|3[0-5][0-9]|36[0-5])d$';

export const RegisterLinkBody = Type.Object({
  institution: Type.String({ minLength: 1, maxLength: 100 }),
  username: Str(),
  password: Type.Optional(Str()),
  username2: Type.Optional(Str()),
  username3: Type.Optional(Str()),
  password2: Type.Optional(Str()),
  username_type: Type.Optional(Str({ maxLength: 10 })),
  token: Type.Optional(Str({ maxLength: 256 })),
  access_mode: Type.Optional(Type.Enum(ACCESS_MODES)),
  refresh_rate: Type.Optional(Type.Enum(REFRESH_RATES)),
  fetch_historical: Type.Optional(Type.Boolean()),
  fetch_resources: Type.Optional(Type.Array(Type.Enum(RESOURCES), { maxItems: RESOURCES.length })),
  credentials_storage: Type.Optional(Type.String({ pattern: `^(store|nostore)$|${Days}` })),
  stale_in: Type.Optional(Type.String({ pattern: Days })),
  external_id: Type.Optional(Type.String({ minLength: 3, maxLength: 255 })),
  certificate: Type.Optional(Str({ maxLength: 65536 })),
  private_key: Type.Optional(Str({ maxLength: 65536 })),
});
export type RegisterLinkBody = Static<typeof RegisterLinkBody>;

export const ResumeBody = Type.Object({
  session: Type.String({ pattern: '^[a-f0-9]{32}$' }),
  link: Type.String({ format: 'uuid' }),
  token: Type.Optional(Type.String({ maxLength: 256 })),
});
export type ResumeBody = Static<typeof ResumeBody>;

export const UpdateLinkBody = Type.Object({
  password: Type.Optional(Str()),
  password2: Type.Optional(Str()),
  token: Type.Optional(Str({ maxLength: 256 })),
  username_type: Type.Optional(Str({ maxLength: 10 })),
  certificate: Type.Optional(Str({ maxLength: 65536 })),
  private_key: Type.Optional(Str({ maxLength: 65536 })),
});
export type UpdateLinkBody = Static<typeof UpdateLinkBody>;

export const PatchLinkBody = Type.Object({
  access_mode: Type.Optional(Type.Enum(ACCESS_MODES)),
  refresh_rate: Type.Optional(Type.Enum(REFRESH_RATES)),
  fetch_resources: Type.Optional(Type.Array(Type.Enum(RESOURCES), { maxItems: RESOURCES.length })),
  stale_in: Type.Optional(Type.Union([Type.String({ pattern: Days }), Type.Null()])),
});
export type PatchLinkBody = Static<typeof PatchLinkBody>;

export const LinkIdParams = Type.Object({ id: Type.String() });

/**
 * The Link object as the API returns it (Belvo's `Link` plus the newer retention fields). It
 * documents the API (src/http/openapi.ts); fastify does not serialize with it.
 */
export const Link = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    institution: Type.String(),
    access_mode: Type.Enum(ACCESS_MODES),
    last_accessed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    external_id: Type.Union([Type.String(), Type.Null()]),
    institution_user_id: Type.String(),
    status: Type.Enum(LINK_STATUSES),
    created_by: Type.String({ format: 'uuid' }),
    refresh_rate: Type.Union([Type.Enum(REFRESH_RATES), Type.Null()]),
    credentials_storage: Type.String(),
    stale_in: Type.Union([Type.String(), Type.Null()]),
    fetch_resources: Type.Array(Type.String()),
  },
  { title: 'Link', additionalProperties: false },
);
export type Link = Static<typeof Link>;
