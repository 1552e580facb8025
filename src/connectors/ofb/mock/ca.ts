/**
 * A throw-away local certificate authority for the mock OFB bank: one CA, a TLS server
 * certificate for localhost/127.0.0.1, and client (transport) certificates shaped like the
 * Directory's BRCAC ones. Everything is generated in memory at start/test time; nothing is
 * committed. X.509 encoding is left to @peculiar/x509 (never hand-built ASN.1).
 *
 * Keys are EC P-256: generating one takes ~1 ms where RSA-2048 takes 50-200 ms, and TLS does
 * not care. Real ICP-Brasil/Directory certificates are RSA-2048; nothing here depends on that.
 * (The PS256 signing and RSA-OAEP encryption keys are RSA and live in keys.ts.)
 */
import { webcrypto, X509Certificate, createHash } from 'node:crypto';
// @peculiar/x509 2.x resolves its algorithms through tsyringe, which needs the Reflect
// metadata polyfill loaded first (its README, "Reflect Polyfill Required").
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 runs on WebCrypto; Node's is complete, so no polyfill is needed.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** OIDs of the subject attributes OFB puts in a client certificate (DCR §"Authorization server" 1-15). */
export const OID = {
  /** userid (RFC 4519) — the Directory puts the `software_id` here. */
  UID: '0.9.2342.19200300.100.1.1',
  /** organizationIdentifier (X.520) — `OFBBR-<org_id>`. */
  organizationIdentifier: '2.5.4.97',
  /** jurisdictionCountryName (EV guidelines) — `BR`. */
  jurisdictionC: '1.3.6.1.4.1.311.60.2.1.3',
  businessCategory: '2.5.4.15',
  serialNumber: '2.5.4.5',
} as const;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** The parsed certificate (node:crypto), handy for thumbprints and subject checks. */
  x509: X509Certificate;
}

export interface ClientCertificateOptions {
  /** Directory organisation id (UUID); becomes `2.5.4.97=OFBBR-<orgId>`. */
  orgId: string;
  /** Directory software statement id; becomes `UID=<softwareId>`. */
  softwareId: string;
  /** CN, usually the software's name / domain. */
  commonName?: string;
  /** CNPJ of the organisation (the Directory puts it in `serialNumber`). */
  cnpj?: string;
  organizationName?: string;
}

export interface LocalCa {
  certPem: string;
  x509: X509Certificate;
  server: IssuedCertificate;
  issueClientCertificate(options: ClientCertificateOptions): Promise<IssuedCertificate>;
}

const toPem = (der: ArrayBuffer, label: string): string =>
  x509.PemConverter.encode(der, label).replace(/\r\n/g, '\n') + '\n';

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey), 'PRIVATE KEY');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

const randomSerial = (): string => {
  // Positive, 16 bytes: the first nibble is kept below 8 so the DER INTEGER stays positive.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
};

/**
 * Creates the CA and the localhost server certificate. `now` only sets validity windows
 * (one day back, so a test clock slightly behind real time still sees valid certificates).
 */
export async function createLocalCa(now: Date = new Date()): Promise<LocalCa> {
  const notBefore = new Date(now.getTime() - 24 * 3600_000);
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);

  const caKeys = await newKeys();
  const caName = 'CN=Vinculo Mock OFB CA, O=Vinculo Test, C=BR';
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  async function issue(
    subject: x509.Name | string,
    extraExtensions: x509.Extension[],
  ): Promise<IssuedCertificate> {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ...extraExtensions,
      ],
    });
    const certPem = cert.toString('pem').replace(/\r\n/g, '\n') + '\n';
    return { certPem, keyPem: await privateKeyPem(keys.privateKey), x509: new X509Certificate(certPem) };
  }

  const server = await issue('CN=localhost, O=OF Mock Bank, C=BR', [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]),
  ]);

  const certPem = caCert.toString('pem').replace(/\r\n/g, '\n') + '\n';
  return {
    certPem,
    x509: new X509Certificate(certPem),
    server,
    issueClientCertificate(options) {
      // JSON form so the OFB attributes go in by OID; order follows the Directory's certificates.
      const subject = new x509.Name([
        { [OID.businessCategory]: ['Private Organization'] },
        { [OID.jurisdictionC]: ['BR'] },
        { [OID.serialNumber]: [options.cnpj ?? '00000000000191'] },
        { C: ['BR'] },
        { O: [options.organizationName ?? 'Vinculo Receptora Teste'] },
        { [OID.organizationIdentifier]: [`OFBBR-${options.orgId}`] },
        { [OID.UID]: [options.softwareId] },
        { CN: [options.commonName ?? 'vinculo.localhost'] },
      ]);
      return issue(subject, [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ]);
    },
  };
}

/** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the DER certificate. */
export function certificateThumbprint(cert: X509Certificate | string): string {
  const parsed = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  return createHash('sha256').update(parsed.raw).digest('base64url');
}

/** Reads one subject attribute (by OID or short name) from a PEM/X509 certificate. */
export function subjectAttribute(cert: X509Certificate | string, oidOrName: string): string | undefined {
  const pem = typeof cert === 'string' ? cert : cert.toString();
  return new x509.X509Certificate(pem).subjectName.getField(oidOrName)[0];
}
