import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VinculoError } from '../errors.js';
import { keyId, type Keyring } from './vault.js';

/**
 * Where master keys come from. Production: the environment only (VINCULO_MASTER_KEY, plus
 * VINCULO_PREVIOUS_MASTER_KEYS while rotating), so keys never sit next to the data they protect.
 * Development: a generated keyring file in the data dir, so `vinculo` runs with zero setup.
 */

export interface KeyringOptions {
  /** Base64 of 32 bytes (VINCULO_MASTER_KEY). Empty counts as absent. */
  masterKey?: string;
  /** Base64 of 32 bytes each (VINCULO_PREVIOUS_MASTER_KEYS, already split); blanks are ignored. */
  previousKeys?: string[];
  dataDir: string;
  production: boolean;
  warn: (msg: string) => void;
}

/** On-disk shape of the development keyring (`<dataDir>/master-keys.json`). */
interface KeyringFile {
  current: string;
  keys: Record<string, string>;
}

const FILE_NAME = 'master-keys.json';
const configError = (message: string) => new VinculoError('config_error', message);

// Buffer.from(…, 'base64') silently skips junk, so check the alphabet first. Messages name the
// variable, never its value.
function decodeKey(value: string, name: string): Buffer {
  const v = value.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) ? Buffer.from(v, 'base64') : null;
  if (!key || key.length !== 32) {
    throw configError(`${name} must be base64 of exactly 32 random bytes (generate one with: openssl rand -base64 32)`);
  }
  return key;
}

export function loadKeyring(options: KeyringOptions): Keyring {
  if (options.masterKey?.trim()) {
    return {
      current: decodeKey(options.masterKey, 'VINCULO_MASTER_KEY'),
      previous: (options.previousKeys ?? [])
        .map((k, i) => ({ k, i }))
        .filter(({ k }) => k.trim() !== '')
        .map(({ k, i }) => decodeKey(k, `VINCULO_PREVIOUS_MASTER_KEYS entry ${i + 1}`)),
    };
  }
  // A generated key in production would be lost with the container and take every stored
  // credential with it: refuse rather than look like it works.
  if (options.production) throw configError('VINCULO_MASTER_KEY is required when NODE_ENV=production');

  const path = join(options.dataDir, FILE_NAME);
  const existing = readKeyringFile(path);
  if (existing) {
    if ((statSync(path).mode & 0o077) !== 0) {
      options.warn(`${path} is readable by other users; run: chmod 600 ${path}`);
    }
    return toKeyring(existing, path);
  }
  const key = randomBytes(32);
  const id = keyId(key);
  // Another process may have raced us to create it: whichever file landed first wins.
  if (createExclusive(path, { current: id, keys: { [id]: key.toString('base64') } })) {
    options.warn(`A development master key was generated at ${path}; set VINCULO_MASTER_KEY in production.`);
  }
  return toKeyring(readKeyringFile(path)!, path);
}

/**
 * Adds a fresh key to the development keyring file and makes it current. Old keys stay, so data
 * they wrapped still opens; run `rotateMaster` afterwards to re-wrap it under the new key.
 */
export function rotateDevKeyring(dataDir: string): Keyring {
  const path = join(dataDir, FILE_NAME);
  const file = readKeyringFile(path);
  if (!file) throw configError(`No development keyring at ${path} to rotate`);
  toKeyring(file, path); // validate before adding to it
  const key = randomBytes(32);
  const id = keyId(key);
  const next: KeyringFile = { current: id, keys: { ...file.keys, [id]: key.toString('base64') } };
  // Write aside then rename: a crash mid-write must never leave a truncated keyring.
  const tmp = writeTemp(path, next);
  renameSync(tmp, path);
  return toKeyring(next, path);
}

function readKeyringFile(path: string): KeyringFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as KeyringFile;
  } catch {
    throw configError(`${path} is not valid JSON`); // (never quote it: it holds keys)
  }
}

function toKeyring(file: KeyringFile, path: string): Keyring {
  if (!file || typeof file.keys !== 'object' || file.keys === null || typeof file.current !== 'string') {
    throw configError(`${path} must look like {"current": "<id>", "keys": {"<id>": "<base64>"}}`);
  }
  const keys = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(file.keys)) {
    const key = decodeKey(String(value), `${path} key ${id}`);
    // Ids are derived from the key: a mismatch means the file was hand-edited wrongly.
    if (keyId(key) !== id) throw configError(`${path}: key ${id} does not match its id`);
    keys.set(id, key);
  }
  const current = keys.get(file.current);
  if (!current) throw configError(`${path}: current key ${file.current} is not in "keys"`);
  return { current, previous: [...keys].filter(([id]) => id !== file.current).map(([, k]) => k) };
}

/** Creates `path` with full content and mode 0600 only if it does not exist yet (atomically). */
function createExclusive(path: string, content: KeyringFile): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = writeTemp(path, content);
  try {
    linkSync(tmp, path); // unlike rename, fails with EEXIST instead of replacing
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** A new sibling temp file (mode 0600 from creation: 'wx' guarantees we created it). */
function writeTemp(path: string, content: KeyringFile): string {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return tmp;
}
