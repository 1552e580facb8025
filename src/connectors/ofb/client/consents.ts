/**
 * Consents API v3 (consents-3.3.1, `/open-banking/consents/v3/consents`) with a `consents`
 * client_credentials token: create, read, delete. Every answer goes through `callOfbApi`, so it
 * is validated against the document like the data APIs.
 */
import { callOfbApi, type Transport } from './http.js';
import { CONSENT_ID, type OAuth } from './oauth.js';
import { OfbUnauthorizedError } from './errors.js';

export const CONSENTS_PATH = '/open-banking/consents/v3/consents';

export type OfbConsentStatus = 'AWAITING_AUTHORISATION' | 'AUTHORISED' | 'REJECTED';

/** `data` of ResponseConsent / ResponseConsentRead (already validated against the document). */
export interface OfbConsent {
  consentId: string;
  status: OfbConsentStatus;
  creationDateTime: string;
  statusUpdateDateTime: string;
  expirationDateTime?: string;
  permissions: string[];
  rejection?: { rejectedBy: 'USER' | 'ASPSP' | 'TPP'; reason: { code: string; additionalInformation?: string } };
}

export interface CreateConsentInput {
  /** The customer's CPF (`loggedUser`), digits with or without punctuation. */
  cpf: string;
  /** OFB permission codes, e.g. from `ofbPermissionsFor`. */
  permissions: readonly string[];
  /** Absent: an indefinite consent. */
  expirationDateTime?: Date | string;
  /** `businessEntity` CNPJ, for business (PJ) permissions. */
  cnpj?: string;
}

/** RFC 3339 in UTC without fractions: the document's date-time pattern has no milliseconds. */
export function zulu(d: Date | string): string {
  const date = typeof d === 'string' ? new Date(d) : d;
  if (Number.isNaN(date.getTime())) throw new TypeError('expirationDateTime is not a valid date');
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function digits(value: string, length: number, what: string): string {
  const d = value.replace(/[.\-/\s]/g, '');
  // The value itself is never echoed: it is the customer's document.
  if (!new RegExp(`^\\d{${length}}$`).test(d)) throw new TypeError(`${what} must have ${length} digits`);
  return d;
}

/** The consent id as a path segment (':' kept readable, '/' and the rest escaped). */
export function consentPath(consentId: string): string {
  if (!CONSENT_ID.test(consentId)) throw new TypeError('consentId is not a consent URN');
  return `${CONSENTS_PATH}/${encodeURIComponent(consentId).replace(/%3A/gi, ':')}`;
}

export interface ConsentsApi {
  create(input: CreateConsentInput): Promise<OfbConsent>;
  get(consentId: string): Promise<OfbConsent>;
  delete(consentId: string): Promise<void>;
}

export function createConsentsApi(deps: {
  oauth: OAuth;
  transport: Transport;
  apiUrl: (path: string) => URL;
  clock: () => Date;
  /** Extra headers on every call (see OfbClient.at). */
  headers?: Readonly<Record<string, string>>;
}): ConsentsApi {
  const { oauth, transport, apiUrl, clock, headers } = deps;

  /** One call; a cached token the bank refuses with 401 is dropped and the call made once more. */
  async function call(method: 'GET' | 'POST' | 'DELETE', ofbPath: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const accessToken = await oauth.consentsToken();
      try {
        return (await callOfbApi(transport, { method, url: apiUrl(ofbPath), ofbPath, accessToken, body, headers }, clock)).body;
      } catch (err) {
        if (attempt === 0 && err instanceof OfbUnauthorizedError && err.status === 401) {
          oauth.dropConsentsToken(accessToken);
          continue;
        }
        throw err;
      }
    }
  }

  return {
    async create(input) {
      if (!input.permissions.length) throw new TypeError('at least one permission is required');
      const data: Record<string, unknown> = {
        loggedUser: { document: { identification: digits(input.cpf, 11, 'cpf'), rel: 'CPF' } },
        permissions: [...new Set(input.permissions)],
      };
      if (input.cnpj !== undefined) data.businessEntity = { document: { identification: digits(input.cnpj, 14, 'cnpj'), rel: 'CNPJ' } };
      if (input.expirationDateTime !== undefined) data.expirationDateTime = zulu(input.expirationDateTime);
      const body = (await call('POST', CONSENTS_PATH, { data })) as { data: OfbConsent };
      return body.data;
    },
    async get(consentId) {
      const body = (await call('GET', consentPath(consentId))) as { data: OfbConsent };
      return body.data;
    },
    async delete(consentId) {
      await call('DELETE', consentPath(consentId));
    },
  };
}
