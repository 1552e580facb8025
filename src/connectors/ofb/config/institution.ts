/**
 * The runtime form of an OFB institution: the operator's settings, normalised, with the key
 * material loaded in memory. File entries (load.ts) and the in-process sandbox bank
 * (../sandbox/) both end up here, so the rest of Vinculo treats them alike.
 *
 * Key material lives in `secrets`, a non-enumerable property whose value also redacts itself
 * (`toJSON`, `util.inspect`): logging or serialising an entry, or the whole configuration,
 * never prints a key.
 */
import type { JsonWebKey, KeyObject, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { VinculoError } from '../../../errors.js';
import type { OfbInstitutionSettings, OfbLimits } from './schema.js';

/** One thing wrong with the configuration, located as precisely as known. */
export interface OfbConfigProblem {
  /** The JSON file (absolute path), or the label of an in-memory entry (e.g. `sandbox`). */
  file: string;
  /** Index in `institutions`; null for a problem of the file as a whole. */
  index: number | null;
  /** Field of the entry (`limits.page_size`); null for the entry as a whole. */
  field: string | null;
  message: string;
}

export function formatProblem(p: OfbConfigProblem): string {
  const where = p.index === null ? '' : `institutions[${p.index}]${p.field ? `.${p.field}` : ''}: `;
  const field = p.index === null && p.field ? `${p.field}: ` : '';
  return `${p.file}: ${where}${field}${p.message}`;
}

/** Every problem found, listed in the message the way src/config.ts lists its own. */
export class OfbConfigError extends VinculoError {
  constructor(readonly problems: readonly OfbConfigProblem[]) {
    super('config_error', `Invalid Open Finance Brasil institutions:\n- ${problems.map(formatProblem).join('\n- ')}`);
  }
}

export interface OfbSigningKey {
  kid: string;
  alg: 'PS256';
  key: KeyObject;
  /** Private JWK with `kid`, `alg`, `use: sig` (what WebCrypto/openid-client import). */
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

export interface OfbEncryptionKey {
  kid: string | null;
  alg: 'RSA-OAEP';
  key: KeyObject;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

export interface OfbTransport {
  /** mTLS client certificate and its key (PKCS#8), PEM, as `tls.connect`/undici take them. */
  certPem: string;
  keyPem: string;
  certificate: X509Certificate;
}

const REDACTED = '[redacted]';

/** The key material of one institution. Redacts itself when serialised or inspected. */
export class OfbSecrets {
  constructor(
    readonly signing: OfbSigningKey,
    readonly encryption: OfbEncryptionKey | null,
    readonly transport: OfbTransport,
    /**
     * Extra CA certificates (PEM) to trust for the bank's servers. Note: undici/tls `ca` replaces
     * the default roots, so pass `[...tls.rootCertificates, ...ca]` when this is not empty.
     */
    readonly ca: readonly string[],
  ) {
    Object.freeze(this);
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `OfbSecrets ${REDACTED}`;
  }

  toString(): string {
    return `OfbSecrets ${REDACTED}`;
  }
}

/** Optional settings become null (or their default) in the runtime entry. */
type Normalised<T> = { readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };

/** A configured OFB bank, ready for the OAuth client and the connector. Frozen. */
export type OfbInstitution = Normalised<Omit<OfbInstitutionSettings, 'id' | 'limits' | 'primary_color' | 'signing_key_id'>> & {
  /** Explicit or derived (ids.ts). */
  readonly id: number;
  readonly primary_color: string;
  /** kid of the signing key (from the settings or the JWK). */
  readonly signing_key_id: string;
  readonly limits: Readonly<Required<OfbLimits>>;
  /** The configuration file it came from, or `sandbox`. */
  readonly source: string;
  /** Non-enumerable: not part of JSON.stringify/spread/log output. */
  readonly secrets: OfbSecrets;
};
