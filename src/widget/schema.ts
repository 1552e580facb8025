import { Type, type Static } from 'typebox';
import { RegisterLinkBody, ResumeBody, UpdateLinkBody } from '../links/schema.js';
import { CONSENT_PERMISSIONS } from './config.js';

/** Request shapes of the token endpoint and the widget's own API, declared once. */

/**
 * `POST /api/token/`: Belvo's body. The secret key pair comes in the body (`widgetToken.create`)
 * or as Basic auth (`links.token`); unknown keys are accepted and ignored. `widget` stays an open
 * object here (its OFDA `openfinance_feature` and `consent` included): ./config.ts checks the
 * parts Vinculo applies and names the bad field (`widget.consent.identification_info.0.number`).
 */
export const TokenBody = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 200 })),
  password: Type.Optional(Type.String({ maxLength: 1000 })),
  scopes: Type.Optional(Type.String({ maxLength: 500 })),
  link_id: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  widget: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  ...Type.Pick(RegisterLinkBody, ['credentials_storage', 'stale_in', 'fetch_resources']).properties,
});
export type TokenBody = Static<typeof TokenBody>;

export const RefreshBody = Type.Object({ refresh: Type.String({ minLength: 1, maxLength: 4096 }) });
export type RefreshBody = Static<typeof RefreshBody>;

/**
 * What the widget's login form sends: the institution's form fields, plus the page's own
 * `access_mode` and `external_id` (Belvo's widget configuration). Nothing else: the end user
 * holds the page, so link options (storage, resources, refresh rate) come only from the token,
 * and an unknown field is a 400 naming it. The service also refuses form fields the chosen
 * institution does not have.
 */
const strict = { additionalProperties: false } as const;

export const WidgetRegisterBody = Type.Pick(RegisterLinkBody, [
  'institution',
  'username',
  'password',
  'username2',
  'username3',
  'password2',
  'username_type',
  'access_mode',
  'external_id',
], strict);
export type WidgetRegisterBody = Static<typeof WidgetRegisterBody>;

export const WidgetResumeBody = Type.Object(ResumeBody.properties, strict);
export type WidgetResumeBody = Static<typeof WidgetResumeBody>;

export const WidgetUpdateBody = Type.Pick(UpdateLinkBody, ['password', 'password2', 'username_type', 'token'], strict);
export type WidgetUpdateBody = Static<typeof WidgetUpdateBody>;

/** `GET /widget/api/institutions/`: the hosted widget's own query parameters. */
export const InstitutionsQuery = Type.Object({
  country_codes: Type.Optional(Type.String({ maxLength: 200 })),
  institution_types: Type.Optional(Type.String({ maxLength: 200 })),
  institutions: Type.Optional(Type.String({ maxLength: 4000 })),
});
export type InstitutionsQuery = Static<typeof InstitutionsQuery>;

export const LinkIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/**
 * `POST /widget/api/consents/`: what the consent screen sends for an Open Finance institution.
 * The CPF may be left out when the token's `widget.consent.identification_info` has it; the
 * permission groups default to the token's. Link options other than the page's own come from the token.
 */
export const ConsentStartBody = Type.Object(
  {
    institution: Type.String({ minLength: 1, maxLength: 100 }),
    document: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    permissions: Type.Optional(Type.Array(Type.Enum(CONSENT_PERMISSIONS), { minItems: 1, maxItems: CONSENT_PERMISSIONS.length })),
    months: Type.Union([Type.Literal(3), Type.Literal(6), Type.Literal(9), Type.Literal(12)]),
    access_mode: RegisterLinkBody.properties.access_mode,
    external_id: RegisterLinkBody.properties.external_id,
  },
  strict,
);
export type ConsentStartBody = Static<typeof ConsentStartBody>;

/** `POST /ofb/callback`: the parameters the bank put in the redirect (fragment or query), as the page read them. */
export const CallbackBody = Type.Object(
  { params: Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 16384 }), { maxProperties: 32 }) },
  strict,
);
export type CallbackBody = Static<typeof CallbackBody>;

/**
 * `POST /api/token/` and `/api/token/refresh/`: a widget access token and its refresh token (JWTs).
 * It documents the API (src/http/openapi.ts); fastify does not serialize with it.
 */
export const TokenPair = Type.Object({ access: Type.String(), refresh: Type.String() }, { title: 'WidgetTokens', additionalProperties: false });
export type TokenPair = Static<typeof TokenPair>;
