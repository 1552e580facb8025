/**
 * What a link request becomes and how a link row is shown: the login form's checks on credentials,
 * the credentials kept from a request body, the stable `institution_user_id`, a storage option's
 * expiry, and the Belvo JSON of a row. Pure functions the Links service (./service.ts) uses.
 */
import { createHmac } from 'node:crypto';
import { CREDENTIAL_FIELDS, type Credentials, type InstitutionDefinition } from '../connectors/connector.js';
import { fieldError, ValidationErrors, type VinculoError } from '../errors.js';
import type * as links from '../store/queries/links.js';
import type { StoredCredentials } from './access.js';
import type { Link } from './schema.js';
import type { LinkStatus } from './status.js';

export function toLinkJson(row: links.LinkView): Link {
  return {
    id: row.id,
    institution: row.institution,
    access_mode: row.access_mode as Link['access_mode'],
    last_accessed_at: row.last_accessed_at ? row.last_accessed_at.toISOString() : null,
    created_at: row.created_at.toISOString(),
    external_id: row.external_id,
    institution_user_id: row.institution_user_id,
    status: row.status as LinkStatus,
    created_by: row.created_by,
    refresh_rate: row.refresh_rate as Link['refresh_rate'],
    credentials_storage: row.credentials_storage,
    stale_in: row.stale_in,
    fetch_resources: row.fetch_resources,
  };
}

/**
 * Same end user at the same institution ⇒ same id, per tenant: an HMAC keyed by the tenant's own
 * key, so ids cannot be correlated across tenants. 32 bytes in url-safe base64 with its `=`: 44 chars.
 */
export function institutionUserId(tenantKey: Buffer, institution: string, c: Credentials): string {
  const norm = (v: string | undefined) => (v ?? '').trim().toLowerCase();
  const identity = [institution, norm(c.username), norm(c.username_type), norm(c.username2), norm(c.username3)].join('\u001f');
  return `${createHmac('sha256', tenantKey).update(identity).digest('base64url')}=`;
}

/** Checks credentials against the institution's login form: presence (register) and each regex. */
export function checkCredentials(def: InstitutionDefinition, creds: StoredCredentials, requireAll: boolean): void {
  const errors: VinculoError[] = [];
  for (const field of def.form_fields) {
    const value = creds[field.name];
    if (value === undefined) {
      if (requireAll && !field.optional) errors.push(fieldError.required(field.name));
      continue;
    }
    const allowed = field.values?.map((v) => v.code);
    // Never echo the value: it may be a secret.
    if (allowed && !allowed.includes(value)) errors.push(fieldError.invalid(field.name, 'Select a valid choice.'));
    else if (!new RegExp(field.validation).test(value))
      errors.push(fieldError.invalid(field.name, field.validation_message || 'Invalid value.'));
  }
  if (errors.length) throw new ValidationErrors(errors);
}

/** The credential fields of a request body that the institution's form knows about. */
export function formCredentials(def: InstitutionDefinition, body: Partial<Record<string, unknown>>): StoredCredentials {
  const out: StoredCredentials = {};
  const inForm = new Set(def.form_fields.map((f) => f.name));
  for (const name of CREDENTIAL_FIELDS) {
    if (inForm.has(name) && typeof body[name] === 'string') out[name] = body[name] as string;
  }
  if (typeof body.certificate === 'string') out.certificate = body.certificate;
  if (typeof body.private_key === 'string') out.private_key = body.private_key;
  return out;
}

/** How long a `nostore` link may keep its credentials for its first load (Belvo's limit). */
const NOSTORE_GRACE_MS = 15 * 60_000;

export function storageExpiry(storage: string, now: Date): Date | null {
  if (storage === 'nostore') return new Date(now.getTime() + NOSTORE_GRACE_MS);
  const days = /^(\d+)d$/.exec(storage);
  return days ? new Date(now.getTime() + Number(days[1]) * 86_400_000) : null;
}

export function checkResources(def: InstitutionDefinition, resources: readonly string[] | undefined): void {
  const unsupported = (resources ?? []).filter((r) => !(def.resources as readonly string[]).includes(r));
  if (unsupported.length) {
    throw new ValidationErrors([fieldError.invalid('fetch_resources', `Not supported by ${def.name}: ${unsupported.join(', ')}.`)]);
  }
}
