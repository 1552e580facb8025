/**
 * The mock bank's local CA: certificates chain to it, carry OFB's subject attributes, and are
 * cheap enough to mint per test run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { certificateThumbprint, createLocalCa, OID, subjectAttribute } from './ca.js';
import { cpfFromBase, isValidCpf } from './resources/documents.js';

describe('OFB mock bank — local CA', () => {
  it('issues a localhost server certificate and OFB-shaped client certificates', async () => {
    const ca = await createLocalCa();
    const client = await ca.issueClientCertificate({ orgId: 'b961c4eb-509d-4edf-afeb-35642b38185d', softwareId: 'sw-42' });

    assert.ok(ca.x509.ca);
    assert.ok(ca.server.x509.checkIssued(ca.x509) && ca.server.x509.verify(ca.x509.publicKey));
    assert.ok(ca.server.x509.checkHost('localhost'));
    assert.ok(ca.server.x509.checkIP('127.0.0.1'));
    assert.ok(client.x509.checkIssued(ca.x509) && client.x509.verify(ca.x509.publicKey));
    assert.equal(subjectAttribute(client.certPem, OID.organizationIdentifier), 'OFBBR-b961c4eb-509d-4edf-afeb-35642b38185d');
    assert.equal(subjectAttribute(client.certPem, OID.UID), 'sw-42');
    assert.match(client.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(certificateThumbprint(client.x509), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(certificateThumbprint(client.certPem), certificateThumbprint(client.x509));
  });

  it('CPF check digits', () => {
    assert.equal(isValidCpf('529.982.247-25'), true);
    assert.equal(isValidCpf('52998224725'), true);
    assert.equal(isValidCpf('52998224724'), false);
    assert.equal(isValidCpf('11111111111'), false);
    assert.equal(isValidCpf('1234'), false);
    assert.equal(cpfFromBase('529982247'), '52998224725');
    assert.equal(isValidCpf(cpfFromBase('123456789')), true);
  });
});
