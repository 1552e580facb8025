/** Operator configuration of Open Finance Brasil institutions (VINCULO_OFB_INSTITUTIONS). */
export { loadOfbInstitutions, type LoadOptions } from './load.js';
export {
  assertDistinctInstitutions,
  checkOfbInstitution,
  createOfbInstitution,
  type OfbInstitutionMaterial,
  type OfbKeyInput,
} from './validate.js';
export {
  OfbConfigError,
  OfbSecrets,
  formatProblem,
  type OfbConfigProblem,
  type OfbEncryptionKey,
  type OfbInstitution,
  type OfbSigningKey,
  type OfbTransport,
} from './institution.js';
export { ofbInstitutionDefinition, OFB_RESOURCES } from './definition.js';
export { DERIVED_ID_BASE, DERIVED_ID_SPAN, derivedInstitutionId, institutionIdOf } from './ids.js';
export {
  BUILT_IN_ID_LIMIT,
  MAX_INSTITUTION_ID,
  OFB_LIMIT_DEFAULTS,
  OfbInstitutionFileEntrySchema,
  OfbInstitutionSettingsSchema,
  OfbInstitutionsFileSchema,
  OfbLimitsSchema,
  type OfbInstitutionFileEntry,
  type OfbInstitutionSettings,
  type OfbInstitutionsFile,
  type OfbLimits,
} from './schema.js';
