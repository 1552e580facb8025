/**
 * The operator's file of Open Finance Brasil institutions (VINCULO_OFB_INSTITUTIONS): one entry per
 * bank Vinculo is registered with as a data receiver. These TypeBox schemas are the single source of
 * the file's types; `validate.ts` adds the checks a schema cannot express (files, keys, URLs).
 *
 * ```json
 * { "institutions": [ {
 *     "name": "mybank_br_retail", "display_name": "My Bank", "logo": null,
 *     "discovery_url": "https://auth.mybank.com.br/.well-known/openid-configuration",
 *     "api_base_url": "https://api.mybank.com.br",
 *     "client_id": "…", "redirect_uri": "https://vinculo.example.com/ofb/callback",
 *     "signing_key_file": "keys/signing.jwk",
 *     "transport_certificate_file": "keys/transport.pem", "transport_key_file": "keys/transport.key"
 * } ] }
 * ```
 * Relative file paths are read from the folder of the JSON file.
 */
import { Type, type Static } from 'typebox';

/** Institution ids below this are the built-in (sandbox) institutions' (src/connectors/sandbox). */
export const BUILT_IN_ID_LIMIT = 100_000;
/**
 * Largest id: Belvo ids are looked up as `^\d{1,9}$` (src/institutions/service.ts) and stored in
 * an `integer` column.
 */
export const MAX_INSTITUTION_ID = 999_999_999;

const url = (description: string) => Type.String({ format: 'uri', maxLength: 2048, description });
const httpsUrl = (description: string) => Type.String({ format: 'uri', pattern: '^https://', maxLength: 2048, description });

/** Optional per-bank tuning of the OFB client; defaults in `OFB_LIMIT_DEFAULTS`. */
export const OfbLimitsSchema = Type.Object(
  {
    timeout_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 300, description: 'Longest wait for one answer of the bank' })),
    max_concurrent_requests: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Calls in flight to this bank at once' })),
    // OFB: page-size 25 (the resources API's minimum) to 1000.
    page_size: Type.Optional(Type.Integer({ minimum: 25, maximum: 1000, description: 'page-size asked for on list endpoints' })),
    // OFB consents last at most 12 months.
    consent_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: "Lifetime of a consent (expirationDateTime), days" })),
  },
  { additionalProperties: false },
);
export type OfbLimits = Static<typeof OfbLimitsSchema>;

export const OFB_LIMIT_DEFAULTS: Readonly<Required<OfbLimits>> = Object.freeze({
  timeout_seconds: 30,
  max_concurrent_requests: 4,
  // Fewest calls: every call outside a pagination-key walk counts against OFB's monthly limits.
  page_size: 1000,
  consent_days: 365,
});

/** The fields an entry has whether it comes from the file or from memory (the sandbox bank). */
const settingsFields = {
  id: Type.Optional(
    Type.Integer({
      minimum: BUILT_IN_ID_LIMIT,
      maximum: MAX_INSTITUTION_ID,
      description: 'Explicit institution id; default: derived from the name (see ids.ts). Never change it once links exist.',
    }),
  ),
  name: Type.String({ pattern: '^[a-z0-9]{2,40}_br_[a-z]{2,20}$', description: 'Belvo code, <brand>_br_<kind>, e.g. mybank_br_retail' }),
  display_name: Type.String({ minLength: 1, maxLength: 100 }),
  logo: Type.Union([url('Logo URL'), Type.Null()]),
  icon_logo: Type.Optional(Type.Union([url('Icon URL'), Type.Null()])),
  text_logo: Type.Optional(Type.Union([url('Text logo URL'), Type.Null()])),
  primary_color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'e.g. #ec7000' })),
  website: Type.Optional(Type.Union([httpsUrl('The bank’s public site'), Type.Null()])),
  discovery_url: httpsUrl('OIDC discovery document of the bank’s authorization server'),
  api_base_url: httpsUrl('Origin of the bank’s OFB APIs (…/open-banking/… paths are appended)'),
  client_id: Type.String({ minLength: 1, maxLength: 255, description: 'Vinculo’s client id at this bank' }),
  signing_key_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'kid of the signing key; required for a PEM key' })),
  encryption_key_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'kid of the encryption key (PEM)' })),
  // https, or http to this machine (a local Vinculo trying the sandbox bank); checked in validate.ts.
  redirect_uri: url('Where the bank sends the user back to Vinculo'),
  brand: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The bank’s brand in the Directory of Participants' })),
  organisation_id: Type.Optional(Type.String({ format: 'uuid', description: 'The bank’s organisation id in the Directory of Participants' })),
  limits: Type.Optional(OfbLimitsSchema),
};

/** Key and certificate files of a file entry (the in-memory entry holds their content instead). */
const fileFields = {
  signing_key_file: Type.String({ minLength: 1, description: 'Private key, PS256: RSA ≥ 2048 as a JWK or PEM (PKCS#8)' }),
  encryption_key_file: Type.Optional(Type.String({ minLength: 1, description: 'Private RSA-OAEP key for encrypted ID tokens (JWK or PEM)' })),
  transport_certificate_file: Type.String({ minLength: 1, description: 'mTLS client certificate, PEM' }),
  transport_key_file: Type.String({ minLength: 1, description: 'Its private key, PEM' }),
  ca_file: Type.Optional(Type.String({ minLength: 1, description: 'Extra CA certificates (PEM) to trust for the bank’s servers' })),
};

/** An entry without its files: what the sandbox bank builds in memory. */
export const OfbInstitutionSettingsSchema = Type.Object(settingsFields, { additionalProperties: false });
export type OfbInstitutionSettings = Static<typeof OfbInstitutionSettingsSchema>;

/** One entry of the file. */
export const OfbInstitutionFileEntrySchema = Type.Object({ ...settingsFields, ...fileFields }, { additionalProperties: false });
export type OfbInstitutionFileEntry = Static<typeof OfbInstitutionFileEntrySchema>;

/** The whole file. An object rather than a bare array, so settings for all banks can be added later. */
export const OfbInstitutionsFileSchema = Type.Object(
  { institutions: Type.Array(OfbInstitutionFileEntrySchema, { minItems: 1 }) },
  { additionalProperties: false },
);
export type OfbInstitutionsFile = Static<typeof OfbInstitutionsFileSchema>;

/** Field names holding a file path in a file entry. */
export const FILE_FIELDS = Object.keys(fileFields) as (keyof typeof fileFields)[];
