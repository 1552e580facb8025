/**
 * The checks every OFB institution passes, whether read from the operator's file (load.ts) or
 * built in memory (the sandbox bank): the schema, URL rules, and the key material — each key
 * parses, the signing key is RSA ≥ 2048 with a kid, the transport key matches its certificate,
 * the certificate is valid now. Every problem is collected; nothing stops at the first.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { institutionIdOf } from './ids.js';
import { OfbConfigError, OfbSecrets, type OfbConfigProblem, type OfbEncryptionKey, type OfbInstitution, type OfbSigningKey } from './institution.js';
import { OFB_LIMIT_DEFAULTS, OfbInstitutionSettingsSchema, type OfbInstitutionSettings } from './schema.js';

/** A private key as PEM text, JSON text of a JWK, or a parsed JWK. */
export type OfbKeyInput = string | JsonWebKey;

/** The key material of an entry, in memory (what a file entry's `*_file` fields point to). */
export interface OfbInstitutionMaterial {
  signingKey: OfbKeyInput;
  encryptionKey?: OfbKeyInput;
  /** PEM. */
  transportCertificate: string;
  /** PEM. */
  transportKey: string;
  /** PEM, one or more certificates. */
  ca?: string;
}

/** Names the material problems are reported under; load.ts reports them as the `*_file` fields. */
export type MaterialField = 'signing_key' | 'encryption_key' | 'transport_certificate' | 'transport_key' | 'ca';

export interface Located {
  file: string;
  index: number | null;
}

export const DEFAULT_PRIMARY_COLOR = '#1a4d8f';
const DISCOVERY_PATH = '/.well-known/openid-configuration';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

// ---- schema ---------------------------------------------------------------------------------------

const HTTPS_FIELDS = new Set(['website', 'discovery_url', 'api_base_url']);

function friendly(field: string, error: { keyword: string; message: string; params: Record<string, unknown> }): string {
  if (error.keyword === 'pattern') {
    if (HTTPS_FIELDS.has(field)) return 'must be an https URL';
    if (field === 'name') return 'must be a Belvo code <brand>_br_<kind> in lower case, e.g. mybank_br_retail';
    if (field === 'primary_color') return 'must be a colour #rrggbb';
  }
  if (error.keyword === 'format') {
    if (error.params.format === 'uri') return 'must be an absolute URL';
    if (error.params.format === 'uuid') return 'must be a UUID';
  }
  return error.message;
}

/**
 * Schema problems of `value`, one per field. Walks the object schema field by field rather than
 * asking once: TypeBox stops at 8 errors by default (a global setting shared with the HTTP
 * layer), reports a union's branches separately and an unknown field twice.
 */
export function schemaProblems(schema: TSchema, value: unknown, at: Located, prefix = ''): OfbConfigProblem[] {
  const problems: OfbConfigProblem[] = [];
  const fieldName = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const object = schema as TSchema & { properties?: Record<string, TSchema>; required?: string[] };
  if (!object.properties || typeof value !== 'object' || value === null || Array.isArray(value)) {
    const [first, ...rest] = Value.Errors(schema, value);
    if (first) {
      const union = [first, ...rest].some((e) => e.keyword === 'anyOf');
      const leaf = prefix.split('.').at(-1) ?? prefix;
      const message = friendly(leaf, { keyword: first.keyword, message: first.message, params: (first.params ?? {}) as Record<string, unknown> });
      problems.push({ ...at, field: prefix || null, message: union ? (first.keyword === 'type' ? 'has the wrong type' : `${message} (or null)`) : message });
    }
    return problems;
  }
  const record = value as Record<string, unknown>;
  for (const name of object.required ?? []) {
    if (record[name] === undefined) problems.push({ ...at, field: fieldName(name), message: 'is required' });
  }
  for (const [name, child] of Object.entries(record)) {
    const property = object.properties[name];
    if (!property) problems.push({ ...at, field: fieldName(name), message: 'is not a known field' });
    else if (child !== undefined) problems.push(...schemaProblems(property, child, at, fieldName(name)));
  }
  return problems;
}

/** Rules on settings the schema cannot say, for the fields that passed the schema. */
export function settingsProblems(settings: Partial<OfbInstitutionSettings>, at: Located, skip: ReadonlySet<string>): OfbConfigProblem[] {
  const problems: OfbConfigProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ ...at, field, message });
  const parse = (field: string): URL | null => {
    const raw = (settings as Record<string, unknown>)[field];
    if (skip.has(field) || typeof raw !== 'string') return null;
    try {
      return new URL(raw);
    } catch {
      problem(field, 'must be an absolute URL');
      return null;
    }
  };
  for (const field of ['discovery_url', 'api_base_url', 'redirect_uri', 'website', 'logo', 'icon_logo', 'text_logo']) {
    const url = parse(field);
    if (!url) continue;
    if (url.username || url.password) problem(field, 'must not carry credentials');
    if (field === 'discovery_url' && !url.pathname.endsWith(DISCOVERY_PATH)) problem(field, `must end with ${DISCOVERY_PATH}`);
    if (field === 'discovery_url' || field === 'api_base_url' || field === 'redirect_uri') {
      if (url.hash) problem(field, 'must not have a fragment');
    }
    if (field === 'api_base_url' && url.search) problem(field, 'must not have a query');
    if (field === 'redirect_uri') {
      // http only back to this machine: a local Vinculo (npm start) trying the sandbox bank. A real
      // bank refuses anything but the https URI registered in the Directory anyway.
      const loopback = LOOPBACK_HOSTS.has(url.hostname) || isIP(url.hostname) === 4 && url.hostname.startsWith('127.');
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
        problem(field, 'must be an https URL (http only to localhost)');
      }
    }
  }
  return problems;
}

// ---- keys -----------------------------------------------------------------------------------------

interface ParsedKey {
  key: KeyObject;
  jwk: (JsonWebKey & { kid?: string; alg?: string; use?: string }) | null;
}

function parsePrivateKey(input: OfbKeyInput, allowJwk: boolean): ParsedKey | string {
  let jwk: ParsedKey['jwk'] = null;
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('{')) {
      if (!allowJwk) return 'must be a PEM private key';
      try {
        jwk = JSON.parse(text) as ParsedKey['jwk'];
      } catch {
        return 'is neither a PEM private key nor valid JSON (JWK)';
      }
    } else {
      if (/-----BEGIN (ENCRYPTED|RSA PUBLIC|PUBLIC) /.test(text) || /-----BEGIN CERTIFICATE-----/.test(text)) {
        return /ENCRYPTED/.test(text)
          ? 'is an encrypted PEM key: give it unencrypted (readable only by Vinculo)'
          : 'holds a public key or certificate, not a private key';
      }
      if (!text.includes('-----BEGIN')) return allowJwk ? 'is neither a PEM private key nor a JWK' : 'must be a PEM private key';
      try {
        return { key: createPrivateKey({ key: text, format: 'pem' }), jwk: null };
      } catch (err) {
        // Node's message names the decoder, never the key's content.
        return `is not a usable PEM private key (${(err as Error).message})`;
      }
    }
  } else {
    if (!allowJwk) return 'must be a PEM private key';
    jwk = input as ParsedKey['jwk'];
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) return 'must be a JWK object';
  if (typeof jwk.d !== 'string') return 'is a public JWK: the private key (with "d") is needed';
  try {
    return { key: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }), jwk };
  } catch (err) {
    return `is not a usable JWK (${(err as Error).message})`;
  }
}

function rsaProblem(key: KeyObject): string | null {
  if (key.asymmetricKeyType !== 'rsa') return `must be an RSA key (this one is ${key.asymmetricKeyType ?? 'not asymmetric'})`;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return bits < 2048 ? `must be an RSA key of at least 2048 bits (this one has ${bits})` : null;
}

const jwkOf = (key: KeyObject, extra: Record<string, string>): JsonWebKey => ({ ...key.export({ format: 'jwk' }), ...extra });

function splitCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? [];
}

interface MaterialResult {
  signing: OfbSigningKey | null;
  encryption: OfbEncryptionKey | null;
  transport: { certPem: string; keyPem: string; certificate: X509Certificate } | null;
  ca: string[];
}

/**
 * Checks the key material. `material` members that are undefined were already reported (e.g. the
 * file could not be read) and are skipped, as are the id fields listed in `skip`.
 */
export function materialProblems(
  material: Partial<OfbInstitutionMaterial>,
  settings: Pick<Partial<OfbInstitutionSettings>, 'signing_key_id' | 'encryption_key_id'>,
  at: Located,
  now: Date,
  report: (field: MaterialField | 'signing_key_id' | 'encryption_key_id', message: string) => OfbConfigProblem = (field, message) => ({ ...at, field, message }),
): { problems: OfbConfigProblem[]; result: MaterialResult } {
  const problems: OfbConfigProblem[] = [];
  const problem = (field: Parameters<typeof report>[0], message: string) => problems.push(report(field, message));
  const result: MaterialResult = { signing: null, encryption: null, transport: null, ca: [] };

  let signingPublic: JsonWebKey | null = null;
  if (material.signingKey !== undefined) {
    const parsed = parsePrivateKey(material.signingKey, true);
    if (typeof parsed === 'string') problem('signing_key', parsed);
    else {
      const bad = rsaProblem(parsed.key);
      if (bad) problem('signing_key', bad);
      if (parsed.jwk?.alg !== undefined && parsed.jwk.alg !== 'PS256') problem('signing_key', `JWK alg must be PS256 (is ${parsed.jwk.alg})`);
      if (parsed.jwk?.use !== undefined && parsed.jwk.use !== 'sig') problem('signing_key', `JWK use must be sig (is ${parsed.jwk.use})`);
      const jwkKid = parsed.jwk?.kid;
      const given = settings.signing_key_id;
      if (jwkKid !== undefined && given !== undefined && jwkKid !== given) problem('signing_key_id', `differs from the key's JWK kid (${jwkKid})`);
      const kid = given ?? jwkKid;
      if (kid === undefined) problem('signing_key_id', 'is required: the signing key carries no kid (a PEM key never does)');
      if (!bad && kid !== undefined) {
        const extra = { kid, alg: 'PS256', use: 'sig' };
        signingPublic = jwkOf(createPublicKey(parsed.key), extra);
        result.signing = { kid, alg: 'PS256', key: parsed.key, privateJwk: jwkOf(parsed.key, extra), publicJwk: signingPublic };
      }
    }
  }

  if (material.encryptionKey !== undefined) {
    const parsed = parsePrivateKey(material.encryptionKey, true);
    if (typeof parsed === 'string') problem('encryption_key', parsed);
    else {
      const bad = rsaProblem(parsed.key);
      if (bad) problem('encryption_key', bad);
      if (parsed.jwk?.alg !== undefined && parsed.jwk.alg !== 'RSA-OAEP') problem('encryption_key', `JWK alg must be RSA-OAEP (is ${parsed.jwk.alg})`);
      if (parsed.jwk?.use !== undefined && parsed.jwk.use !== 'enc') problem('encryption_key', `JWK use must be enc (is ${parsed.jwk.use})`);
      const jwkKid = parsed.jwk?.kid;
      const given = settings.encryption_key_id;
      if (jwkKid !== undefined && given !== undefined && jwkKid !== given) problem('encryption_key_id', `differs from the key's JWK kid (${jwkKid})`);
      const kid = given ?? jwkKid ?? null;
      const publicJwk = jwkOf(createPublicKey(parsed.key), kid ? { kid, alg: 'RSA-OAEP', use: 'enc' } : { alg: 'RSA-OAEP', use: 'enc' });
      // One key for both signing and encryption is what FAPI's key separation rules out.
      if (signingPublic && publicJwk.n === signingPublic.n) problem('encryption_key', 'must not be the signing key');
      if (!bad) {
        const extra: Record<string, string> = kid ? { kid, alg: 'RSA-OAEP', use: 'enc' } : { alg: 'RSA-OAEP', use: 'enc' };
        result.encryption = { kid, alg: 'RSA-OAEP', key: parsed.key, privateJwk: jwkOf(parsed.key, extra), publicJwk };
      }
    }
  }

  let certificate: X509Certificate | null = null;
  let certPem = '';
  if (material.transportCertificate !== undefined) {
    const [first, ...more] = splitCertificates(material.transportCertificate);
    if (!first) problem('transport_certificate', 'holds no PEM certificate');
    else {
      try {
        certificate = new X509Certificate(first);
        // The certificate first, then any intermediates, as TLS sends them.
        certPem = [first, ...more].join('');
      } catch (err) {
        problem('transport_certificate', `is not a usable certificate (${(err as Error).message})`);
      }
    }
    if (certificate) {
      const from = new Date(certificate.validFrom);
      const to = new Date(certificate.validTo);
      if (now < from) problem('transport_certificate', `is not valid before ${from.toISOString()}`);
      if (now > to) problem('transport_certificate', `expired on ${to.toISOString()}`);
    }
  }
  if (material.transportKey !== undefined) {
    const parsed = parsePrivateKey(material.transportKey, false);
    if (typeof parsed === 'string') problem('transport_key', parsed);
    else if (certificate) {
      if (!certificate.checkPrivateKey(parsed.key)) problem('transport_key', 'does not match the transport certificate');
      else result.transport = { certPem, keyPem: parsed.key.export({ type: 'pkcs8', format: 'pem' }) as string, certificate };
    }
  }

  if (material.ca !== undefined) {
    const blocks = splitCertificates(material.ca);
    if (!blocks.length) problem('ca', 'holds no PEM certificate');
    blocks.forEach((pem, i) => {
      try {
        new X509Certificate(pem);
        result.ca.push(pem);
      } catch (err) {
        problem('ca', `certificate #${i + 1} is not usable (${(err as Error).message})`);
      }
    });
  }
  return { problems, result };
}

// ---- building entries -----------------------------------------------------------------------------

/** Freezes the public part and hangs the secrets on it, non-enumerable. */
export function assembleEntry(settings: OfbInstitutionSettings, result: MaterialResult, source: string): OfbInstitution {
  const entry = {
    id: institutionIdOf(settings),
    name: settings.name,
    display_name: settings.display_name,
    logo: settings.logo,
    icon_logo: settings.icon_logo ?? null,
    text_logo: settings.text_logo ?? null,
    primary_color: settings.primary_color ?? DEFAULT_PRIMARY_COLOR,
    website: settings.website ?? null,
    discovery_url: settings.discovery_url,
    api_base_url: settings.api_base_url.replace(/\/+$/, ''),
    client_id: settings.client_id,
    signing_key_id: result.signing!.kid,
    encryption_key_id: result.encryption?.kid ?? null,
    redirect_uri: settings.redirect_uri,
    brand: settings.brand ?? null,
    organisation_id: settings.organisation_id ?? null,
    limits: Object.freeze({ ...OFB_LIMIT_DEFAULTS, ...settings.limits }),
    source,
  };
  const secrets = new OfbSecrets(result.signing!, result.encryption, result.transport!, Object.freeze([...result.ca]));
  Object.defineProperty(entry, 'secrets', { value: secrets, enumerable: false, writable: false, configurable: false });
  return Object.freeze(entry) as OfbInstitution;
}

/** Problems across entries: one name or id per institution. */
export function listProblems(entries: readonly { name: string; id: number; at: Located }[]): OfbConfigProblem[] {
  const problems: OfbConfigProblem[] = [];
  const names = new Map<string, Located>();
  const ids = new Map<number, { name: string; at: Located }>();
  const where = (at: Located) => (at.index === null ? at.file : `institutions[${at.index}] of ${at.file}`);
  for (const { name, id, at } of entries) {
    const sameName = names.get(name);
    if (sameName) problems.push({ ...at, field: 'name', message: `${name} is already used by ${where(sameName)}` });
    else names.set(name, at);
    const sameId = ids.get(id);
    if (sameId && sameId.name !== name) {
      problems.push({ ...at, field: 'id', message: `id ${id} is already used by ${sameId.name} (${where(sameId.at)}): set an explicit id on one of them` });
    } else if (!sameId) ids.set(id, { name, at });
  }
  return problems;
}

/**
 * Builds an entry from in-memory settings and material with exactly the checks a file entry gets;
 * throws OfbConfigError listing every problem. `source` labels the problems and the entry.
 */
export function createOfbInstitution(
  settings: OfbInstitutionSettings,
  material: OfbInstitutionMaterial,
  options: { source?: string; now?: Date } = {},
): OfbInstitution {
  const at: Located = { file: options.source ?? 'memory', index: null };
  const schema = schemaProblems(OfbInstitutionSettingsSchema, settings, at);
  const skip = new Set(schema.map((p) => p.field ?? ''));
  const { problems, result } = materialProblems(material, settings, at, options.now ?? new Date());
  const all = [...schema, ...settingsProblems(settings, at, skip), ...problems];
  if (all.length) throw new OfbConfigError(all);
  return assembleEntry(settings, result, at.file);
}

/** The settings of a runtime entry, as they would be written in the file (minus the files). */
export function settingsOf(entry: OfbInstitution): OfbInstitutionSettings {
  const { limits, source: _source, encryption_key_id, ...rest } = entry;
  const settings: Record<string, unknown> = { ...rest, limits: { ...limits } };
  if (encryption_key_id !== null) settings.encryption_key_id = encryption_key_id;
  // Normalised nulls of optional non-nullable fields go back to absent.
  for (const field of ['brand', 'organisation_id'] as const) if (settings[field] === null) delete settings[field];
  return settings as OfbInstitutionSettings;
}

/**
 * Runs the whole validation again on a runtime entry (its settings and its key material): what the
 * file loader checks, for an entry built anywhere. [] when it is sound.
 */
export function checkOfbInstitution(entry: OfbInstitution, now = new Date()): OfbConfigProblem[] {
  const at: Located = { file: entry.source, index: null };
  const settings = settingsOf(entry);
  const schema = schemaProblems(OfbInstitutionSettingsSchema, settings, at);
  const s = entry.secrets;
  const material: OfbInstitutionMaterial = {
    signingKey: s.signing.privateJwk,
    ...(s.encryption ? { encryptionKey: s.encryption.privateJwk } : {}),
    transportCertificate: s.transport.certPem,
    transportKey: s.transport.keyPem,
    ...(s.ca.length ? { ca: s.ca.join('') } : {}),
  };
  const { problems } = materialProblems(material, settings, at, now);
  return [...schema, ...settingsProblems(settings, at, new Set(schema.map((p) => p.field ?? ''))), ...problems];
}

/**
 * Checks entries that will serve together (the file's and the sandbox bank's): unique names and
 * ids. Throws OfbConfigError listing every clash.
 */
export function assertDistinctInstitutions(entries: readonly Pick<OfbInstitution, 'name' | 'id' | 'source'>[]): void {
  const problems = listProblems(entries.map((e) => ({ name: e.name, id: e.id, at: { file: e.source, index: null } })));
  if (problems.length) throw new OfbConfigError(problems);
}
