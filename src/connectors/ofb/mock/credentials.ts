/**
 * Key material and certificates of a mock bank: the RSA keys (the authorization server's and the
 * receiver's), the local CA with the receiver's transport certificate, and which TLS peer
 * certificates count. Set-up detail kept out of bank.ts, which only hands the results around.
 */
import type { TLSSocket } from 'node:tls';
import { generateKeyPair, randomUUID, X509Certificate, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import { createLocalCa, type IssuedCertificate, type LocalCa } from './ca.js';

const generateRsa = promisify(generateKeyPair);

async function rsaJwk(use: 'sig' | 'enc', alg: string): Promise<{ privateJwk: JsonWebKey; publicJwk: JsonWebKey }> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, use, alg },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use, alg },
  };
}

/**
 * RSA-2048 generation dominates start-up (~0.3-0.6 s a key on 2 cores), so the three RSA keys
 * (bank PS256, receiver PS256, receiver RSA-OAEP) are made once per process and reused by
 * every bank: each bank is its own issuer, so sharing key material between mock banks is
 * harmless. The CA and certificates are still new for every bank.
 */
let sharedRsaKeys: Promise<Awaited<ReturnType<typeof rsaJwk>>[]> | undefined;
const rsaKeys = () =>
  (sharedRsaKeys ??= Promise.all([rsaJwk('sig', 'PS256'), rsaJwk('sig', 'PS256'), rsaJwk('enc', 'RSA-OAEP')]));

/** What one bank needs: its CA and AS key, and the receiver's keys and transport certificate. */
export interface BankCredentials {
  ca: LocalCa;
  /** The authorization server's private PS256 key. */
  serverSigningJwk: JsonWebKey;
  /** The receiver's private keys: PS256 signing and RSA-OAEP decryption. */
  clientSigningJwk: JsonWebKey;
  clientEncryptionJwk: JsonWebKey;
  /** Public half of both receiver keys, as registered at the bank. */
  clientJwks: { keys: JsonWebKey[] };
  /** The receiver's mTLS certificate, issued by `ca`. */
  clientCertificate: IssuedCertificate;
}

export async function createBankCredentials(client: { orgId: string; softwareId: string }): Promise<BankCredentials> {
  // Certificates must be valid in real time: TLS checks them against the system clock.
  const [ca, [asSig, clientSig, clientEnc]] = await Promise.all([createLocalCa(new Date()), rsaKeys()]);
  const clientCertificate = await ca.issueClientCertificate({
    orgId: client.orgId,
    softwareId: client.softwareId,
    commonName: `${client.softwareId}.vinculo.localhost`,
  });
  return {
    ca,
    serverSigningJwk: asSig.privateJwk,
    clientSigningJwk: clientSig.privateJwk,
    clientEncryptionJwk: clientEnc.privateJwk,
    clientJwks: { keys: [clientSig.publicJwk, clientEnc.publicJwk] },
    clientCertificate,
  };
}

/** TLS peer certificate, only when the TLS layer found it chains to the bank's CA. */
export function trustedPeerCertificate(socket: TLSSocket): X509Certificate | undefined {
  if (!socket.authorized) return undefined;
  return socket.getPeerX509Certificate();
}
