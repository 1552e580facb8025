/** Open Finance Brasil data-receiver client: public surface (see README.md). */
export { createOfbClient, SANDBOX_NOW_HEADER, type FinishedAuthorization, type OfbClient, type OfbClientOptions, type StartedAuthorization } from './client.js';
export { CONSENTS_PATH, type CreateConsentInput, type OfbConsent, type OfbConsentStatus } from './consents.js';
export {
  OfbAuthorizationError,
  OfbError,
  OfbRateLimitedError,
  OfbRequestError,
  OfbResponseError,
  OfbUnauthorizedError,
  OfbUnavailableError,
  parseRetryAfter,
  redact,
} from './errors.js';
export { ACR_LOA2, ACR_LOA3, type CallbackInput, type OfbTokens, type PendingAuthorization } from './oauth.js';
export type { OfbDocument, Query } from './pages.js';
export { OFB_DATA_SCOPES, OFB_GROUP_PERMISSIONS, ofbPermissionsFor, type OfbProductGroup } from './permissions.js';
