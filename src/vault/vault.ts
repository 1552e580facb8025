import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { VinculoError } from '../errors.js';
import type { Sealed } from '../store/schema.js';

/**
 * Envelope encryption for stored secrets (institution credentials, MFA sessions).
 *
 * Each value gets its own random data key; only that 32-byte key is encrypted ("wrapped") by the
 * master key. Rotating the master key therefore re-encrypts 60 bytes per row, never the payload,
 * and the master key itself encrypts very little data (far from GCM's per-key limits).
 *
 * Both layers are AES-256-GCM packed as base64(iv | tag | ciphertext):
 * - payload: data key, AAD = the caller's binding (e.g. the link id), so a ciphertext copied onto
 *   another row fails to open instead of silently lending one link another's credentials;
 * - wrapped key: master key, AAD = the master key id, so a wrapped key relabelled with a different
 *   key id fails too.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const WRAPPED_BYTES = IV_BYTES + TAG_BYTES + KEY_BYTES;

export interface Keyring {
  /** Seals new values and is the target of rotation. */
  current: Buffer;
  /** Still opens values wrapped by them (keys being rotated out). */
  previous: Buffer[];
}

/** Stable public name of a master key: it identifies the key without revealing it. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

// One message for every authentication failure: which check failed (wrong AAD, wrong key,
// tampered bytes) is not worth leaking, and nothing derived from the plaintext may appear.
const vaultError = (message: string) => new VinculoError('vault_error', message);
const AUTH_FAILED = 'Cannot open sealed value: authentication failed (wrong binding, wrong key or tampered data)';

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

function decrypt(key: Buffer, packed: string, aad: Buffer, minBytes: number): Buffer {
  const buf = Buffer.from(packed, 'base64');
  if (buf.length < minBytes) throw vaultError('Cannot open sealed value: malformed envelope');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(buf.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    // Node's own message is harmless, but keep ours uniform (and never chain the cause).
    throw vaultError(AUTH_FAILED);
  }
}

const bytes = (v: string | Uint8Array) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v));

export class Vault {
  readonly currentKeyId: string;
  readonly #current: Buffer;
  readonly #keys = new Map<string, Buffer>();

  constructor(keyring: Keyring) {
    for (const key of [keyring.current, ...keyring.previous]) {
      if (key.length !== KEY_BYTES) throw new VinculoError('config_error', `Master keys must be ${KEY_BYTES} bytes`);
      // Copies: the caller's buffers may be reused or zeroed after construction.
      this.#keys.set(keyId(key), Buffer.from(key));
    }
    this.currentKeyId = keyId(keyring.current);
    this.#current = this.#keys.get(this.currentKeyId)!;
  }

  /** Ids of every master key this vault can open with (current first). */
  get keyIds(): string[] {
    return [this.currentKeyId, ...[...this.#keys.keys()].filter((id) => id !== this.currentKeyId)];
  }

  /** Encrypts `plaintext` bound to `aad` (must be given again, identical, to open it). */
  seal(plaintext: string | Uint8Array, aad: string | Uint8Array): Sealed {
    const dataKey = randomBytes(KEY_BYTES);
    try {
      return {
        key_id: this.currentKeyId,
        wrapped_key: encrypt(this.#current, dataKey, Buffer.from(this.currentKeyId)),
        ciphertext: encrypt(dataKey, bytes(plaintext), bytes(aad)),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  /** Decrypts a value sealed with the same `aad`; throws VinculoError('vault_error') otherwise. */
  open(sealed: Sealed, aad: string | Uint8Array): Buffer {
    const dataKey = this.#unwrap(sealed);
    try {
      return decrypt(dataKey, sealed.ciphertext, bytes(aad), IV_BYTES + TAG_BYTES);
    } finally {
      dataKey.fill(0);
    }
  }

  sealJson(value: unknown, aad: string | Uint8Array): Sealed {
    return this.seal(JSON.stringify(value), aad);
  }

  openJson<T>(sealed: Sealed, aad: string | Uint8Array): T {
    const plain = this.open(sealed, aad);
    try {
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      // V8's JSON.parse messages quote the input: never let them out.
      throw vaultError('Cannot open sealed value: not JSON');
    } finally {
      plain.fill(0);
    }
  }

  /**
   * Purpose-bound subkeys of every master key (HKDF-SHA256, `purpose` as the info), keyed by the
   * master key's id, current first. Lets other parts sign or MAC with key material that follows
   * the master key's rotation while the master keys themselves never leave the vault, and a
   * subkey can never open a sealed value (different key, different algorithm).
   */
  deriveKeys(purpose: string): { id: string; key: Buffer }[] {
    return this.keyIds.map((id) => ({
      id,
      key: Buffer.from(hkdfSync('sha256', this.#keys.get(id)!, Buffer.alloc(0), `vinculo:${purpose}`, KEY_BYTES)),
    }));
  }

  /** True when `sealed` is wrapped by a key other than the current one (rotation pending). */
  needsRewrap(sealed: Pick<Sealed, 'key_id'>): boolean {
    return sealed.key_id !== this.currentKeyId;
  }

  /**
   * Re-wraps the data key under the current master key; the ciphertext is untouched, so this
   * needs no AAD and works on any row. Values already current are returned as they are.
   */
  rewrap(sealed: Sealed): Sealed {
    if (!this.needsRewrap(sealed)) return sealed;
    const dataKey = this.#unwrap(sealed);
    try {
      return {
        key_id: this.currentKeyId,
        wrapped_key: encrypt(this.#current, dataKey, Buffer.from(this.currentKeyId)),
        ciphertext: sealed.ciphertext,
      };
    } finally {
      dataKey.fill(0);
    }
  }

  #unwrap(sealed: Sealed): Buffer {
    const master = this.#keys.get(sealed.key_id);
    // Key ids are public (a hash prefix), so naming the missing one helps the operator.
    if (!master) throw vaultError(`Cannot open sealed value: unknown master key id ${JSON.stringify(sealed.key_id)}`);
    return decrypt(master, sealed.wrapped_key, Buffer.from(sealed.key_id), WRAPPED_BYTES);
  }
}
