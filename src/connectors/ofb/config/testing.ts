/**
 * Test support for the OFB configuration: key material made at test time (nothing committed) and
 * an in-memory file system for `loadOfbInstitutions({ readFile })`.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { createLocalCa } from '../mock/ca.js';

const generate = promisify(generateKeyPair);

/** The folder the fixture's JSON file sits in; key files are named relative to it. */
export const DIR = '/etc/vinculo';
export const CONFIG = `${DIR}/ofb.json`;

export interface Fixture {
  /** Absolute path → content. */
  files: Map<string, string>;
  readFile(path: string): Promise<string>;
  /** Writes `{ institutions }` as the config file. */
  writeConfig(institutions: unknown[]): void;
  /** A complete, valid file entry (JWK signing key, encryption key, CA) with `overrides`. */
  entry(overrides?: Record<string, unknown>): Record<string, unknown>;
  signingJwk: Record<string, unknown>;
  signingKey: KeyObject;
  transportKeyPem: string;
  transportCertPem: string;
  caPem: string;
  /** When the certificates stop being valid. */
  certificateNotAfter: Date;
}

const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

export async function createFixture(): Promise<Fixture> {
  const [signing, encryption, small, ec, ca] = await Promise.all([
    generate('rsa', { modulusLength: 2048 }),
    generate('rsa', { modulusLength: 2048 }),
    // Below the 2048-bit floor on purpose; 1024 keeps the fixture fast.
    generate('rsa', { modulusLength: 1024 }),
    generate('ec', { namedCurve: 'P-256' }),
    createLocalCa(new Date()),
  ]);
  const [transport, other] = await Promise.all([
    ca.issueClientCertificate({ orgId: '5f5c1c2e-6b1a-4a4e-9c1a-0d4f3b2a1e90', softwareId: 'software-1' }),
    ca.issueClientCertificate({ orgId: '5f5c1c2e-6b1a-4a4e-9c1a-0d4f3b2a1e90', softwareId: 'software-2' }),
  ]);
  const signingJwk = { ...signing.privateKey.export({ format: 'jwk' }), kid: 'sig-1', alg: 'PS256', use: 'sig' };
  const encryptionJwk = { ...encryption.privateKey.export({ format: 'jwk' }), kid: 'enc-1', alg: 'RSA-OAEP', use: 'enc' };
  const files = new Map<string, string>([
    [`${DIR}/keys/signing.jwk`, JSON.stringify(signingJwk)],
    [`${DIR}/keys/signing.pem`, pem(signing.privateKey)],
    [`${DIR}/keys/signing-public.jwk`, JSON.stringify(signing.publicKey.export({ format: 'jwk' }))],
    [`${DIR}/keys/encryption.jwk`, JSON.stringify(encryptionJwk)],
    [`${DIR}/keys/small.pem`, pem(small.privateKey)],
    [`${DIR}/keys/ec.pem`, pem(ec.privateKey)],
    [`${DIR}/keys/garbage.pem`, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n'],
    [`${DIR}/keys/transport.pem`, transport.certPem],
    [`${DIR}/keys/transport.key`, transport.keyPem],
    [`${DIR}/keys/other.key`, other.keyPem],
    [`${DIR}/keys/ca.pem`, ca.certPem],
  ]);
  const fixture: Fixture = {
    files,
    async readFile(path) {
      const content = files.get(path);
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return content;
    },
    writeConfig(institutions) {
      files.set(CONFIG, JSON.stringify({ institutions }, null, 2));
    },
    entry: (overrides = {}) => ({
      name: 'mybank_br_retail',
      display_name: 'My Bank',
      logo: 'https://cdn.mybank.example/logo.svg',
      discovery_url: 'https://auth.mybank.example/.well-known/openid-configuration',
      api_base_url: 'https://api.mybank.example/',
      client_id: 'client-123',
      signing_key_file: 'keys/signing.jwk',
      encryption_key_file: 'keys/encryption.jwk',
      transport_certificate_file: 'keys/transport.pem',
      transport_key_file: 'keys/transport.key',
      ca_file: 'keys/ca.pem',
      redirect_uri: 'https://vinculo.example.com/ofb/callback',
      ...overrides,
    }),
    signingJwk,
    signingKey: signing.privateKey,
    transportKeyPem: transport.keyPem,
    transportCertPem: transport.certPem,
    caPem: ca.certPem,
    certificateNotAfter: new Date(transport.x509.validTo),
  };
  return fixture;
}
