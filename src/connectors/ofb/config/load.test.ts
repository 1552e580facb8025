import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { createLogger } from '../../../logging.js';
import { checkOfbInstitution, derivedInstitutionId, loadOfbInstitutions, OfbConfigError, type OfbConfigProblem } from './index.js';
import { CONFIG, createFixture, DIR, type Fixture } from './testing.js';

let fx: Fixture;
before(async () => {
  fx = await createFixture();
});

/** Loads what `institutions` says; the error's problems, or fails when it loads. */
async function problemsOf(institutions: unknown[], now?: Date): Promise<OfbConfigProblem[]> {
  fx.writeConfig(institutions);
  const err = await loadOfbInstitutions(CONFIG, { readFile: fx.readFile, now }).then(
    () => assert.fail('expected an OfbConfigError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OfbConfigError, String(err));
  assert.equal(err.code, 'config_error');
  return [...err.problems];
}

const located = (problems: OfbConfigProblem[]) => problems.map((p) => `${p.index}:${p.field}`).sort();

describe('loadOfbInstitutions', () => {
  it('loads a good file: normalised, frozen entries with their keys in memory', async () => {
    fx.writeConfig([
      fx.entry({ brand: 'My Bank', organisation_id: '0b5f3c1e-7a2d-4e9b-8c1f-2d3e4f5a6b7c', limits: { page_size: 500 } }),
      fx.entry({
        id: 4_200_000,
        name: 'otherbank_br_business',
        display_name: 'Other Bank Empresas',
        logo: null,
        primary_color: '#ec7000',
        signing_key_file: 'keys/signing.pem',
        signing_key_id: 'pem-kid',
        encryption_key_file: undefined,
        ca_file: undefined,
        redirect_uri: 'http://localhost:8000/ofb/callback',
      }),
    ]);
    const entries = await loadOfbInstitutions(CONFIG, { readFile: fx.readFile });
    assert.equal(entries.length, 2);
    const [mine, other] = entries as [(typeof entries)[0], (typeof entries)[0]];
    assert.ok(Object.isFrozen(entries) && Object.isFrozen(mine) && Object.isFrozen(mine.limits));

    assert.equal(mine.id, derivedInstitutionId('mybank_br_retail'));
    assert.equal(mine.api_base_url, 'https://api.mybank.example', 'trailing slash dropped: paths are appended');
    assert.deepEqual(mine.limits, { timeout_seconds: 30, max_concurrent_requests: 4, page_size: 500, consent_days: 365 });
    assert.equal(mine.icon_logo, null);
    assert.equal(mine.brand, 'My Bank');
    assert.equal(mine.signing_key_id, 'sig-1');
    assert.equal(mine.encryption_key_id, 'enc-1');
    assert.equal(mine.source, CONFIG);
    assert.equal(mine.secrets.signing.key.asymmetricKeyType, 'rsa');
    assert.equal(mine.secrets.signing.privateJwk.d, fx.signingJwk.d);
    assert.equal(mine.secrets.signing.publicJwk.d, undefined);
    assert.equal(mine.secrets.encryption?.alg, 'RSA-OAEP');
    assert.ok(new X509Certificate(mine.secrets.transport.certPem).checkPrivateKey(createPrivateKey(mine.secrets.transport.keyPem)));
    assert.equal(mine.secrets.transport.certPem, fx.transportCertPem);
    assert.deepEqual(mine.secrets.ca.map((c) => new X509Certificate(c).fingerprint256), [new X509Certificate(fx.caPem).fingerprint256]);

    assert.equal(other.id, 4_200_000);
    assert.equal(other.signing_key_id, 'pem-kid');
    assert.equal(other.secrets.signing.privateJwk.kid, 'pem-kid');
    assert.equal(other.encryption_key_id, null);
    assert.equal(other.secrets.encryption, null);
    assert.deepEqual(other.secrets.ca, []);
    assert.equal(other.primary_color, '#ec7000');

    // A loaded entry passes the same checks again from memory.
    assert.deepEqual(checkOfbInstitution(mine), []);
    assert.deepEqual(checkOfbInstitution(other), []);
  });

  it('reads the key files relative to the JSON file on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vinculo-ofb-'));
    try {
      await mkdir(join(dir, 'keys'));
      for (const [path, content] of fx.files) {
        if (path.startsWith(`${DIR}/keys/`)) await writeFile(join(dir, 'keys', path.slice(`${DIR}/keys/`.length)), content, { mode: 0o600 });
      }
      await writeFile(join(dir, 'ofb.json'), JSON.stringify({ institutions: [fx.entry()] }));
      const [entry] = await loadOfbInstitutions(join(dir, 'ofb.json'));
      assert.equal(entry?.name, 'mybank_br_retail');
      assert.equal(entry?.source, join(dir, 'ofb.json'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists every problem of every entry at once, each with its file, entry and field', async () => {
    const problems = await problemsOf([
      // 0: schema problems
      fx.entry({ name: 'My Bank', nickname: 'x', client_id: undefined, logo: 42, limits: { page_size: 5000 }, organisation_id: 'org-1' }),
      // 1: URL rules
      fx.entry({
        name: 'urlbank_br_retail',
        discovery_url: 'http://auth.urlbank.example/.well-known/openid-configuration',
        api_base_url: 'https://api.urlbank.example/?x=1',
        redirect_uri: 'http://vinculo.example.com/ofb/callback',
        website: 'https://user:pass@urlbank.example',
      }),
      // 2: discovery path; key files that are missing or unusable
      fx.entry({
        name: 'keybank_br_retail',
        discovery_url: 'https://auth.keybank.example/',
        signing_key_file: 'keys/missing.jwk',
        encryption_key_file: 'keys/garbage.pem',
        transport_key_file: 'keys/other.key',
        ca_file: 'keys/signing.pem',
      }),
      // 3: weak or wrong signing keys
      fx.entry({ name: 'weakbank_br_retail', signing_key_file: 'keys/small.pem', signing_key_id: 'k', encryption_key_file: 'keys/ec.pem' }),
      // 4: a PEM signing key without a kid; a public JWK as encryption key
      fx.entry({ name: 'kidbank_br_retail', signing_key_file: 'keys/signing.pem', encryption_key_file: 'keys/signing-public.jwk' }),
      // 5: kid disagreeing with the JWK; one key for signing and encryption
      fx.entry({ name: 'samebank_br_retail', signing_key_id: 'other-kid', encryption_key_file: 'keys/signing.pem' }),
      // 6: the same name as entry 1; 7: an explicit id equal to entry 1's derived id
      fx.entry({ name: 'urlbank_br_retail' }),
      fx.entry({ name: 'idbank_br_retail', id: derivedInstitutionId('urlbank_br_retail') }),
      // 8: not an object
      'mybank_br_retail',
    ]);
    assert.deepEqual(located(problems), [
      '0:client_id',
      '0:limits.page_size',
      '0:logo',
      '0:name',
      '0:nickname',
      '0:organisation_id',
      '1:api_base_url',
      '1:discovery_url',
      '1:redirect_uri',
      '1:website',
      '2:ca_file',
      '2:discovery_url',
      '2:encryption_key_file',
      '2:signing_key_file',
      '2:transport_key_file',
      '3:encryption_key_file',
      '3:signing_key_file',
      '4:encryption_key_file',
      '4:signing_key_id',
      '5:encryption_key_file',
      '5:signing_key_id',
      '6:name',
      '7:id',
      '8:null',
    ]);
    assert.ok(problems.every((p) => p.file === CONFIG));
    const message = (index: number, field: string) => problems.find((p) => p.index === index && p.field === field)?.message ?? '';
    assert.match(message(0, 'name'), /Belvo code/);
    assert.match(message(0, 'nickname'), /not a known field/);
    assert.match(message(0, 'client_id'), /is required/);
    assert.match(message(1, 'discovery_url'), /https URL/);
    assert.match(message(1, 'redirect_uri'), /https URL/);
    assert.match(message(1, 'website'), /credentials/);
    assert.match(message(2, 'discovery_url'), /\.well-known\/openid-configuration/);
    assert.match(message(2, 'signing_key_file'), new RegExp(`^${DIR}/keys/missing.jwk cannot be read \\(ENOENT\\)`));
    assert.match(message(2, 'transport_key_file'), /does not match the transport certificate/);
    assert.match(message(2, 'ca_file'), /holds no PEM certificate/);
    assert.match(message(3, 'signing_key_file'), /at least 2048 bits \(this one has 1024\)/);
    assert.match(message(3, 'encryption_key_file'), /must be an RSA key \(this one is ec\)/);
    assert.match(message(4, 'signing_key_id'), /is required/);
    assert.match(message(4, 'encryption_key_file'), /public JWK/);
    assert.match(message(5, 'signing_key_id'), /differs from the key's JWK kid \(sig-1\)/);
    assert.match(message(5, 'encryption_key_file'), /must not be the signing key/);
    assert.match(message(6, 'name'), /already used by institutions\[1\]/);
    assert.match(message(7, 'id'), /already used by urlbank_br_retail/);

    // The error message lists them all, one line each.
    fx.writeConfig([fx.entry({ name: 'Bad' }), fx.entry({ client_id: '' })]);
    const err = await loadOfbInstitutions(CONFIG, { readFile: fx.readFile }).catch((e: Error) => e);
    assert.match(String((err as Error).message), new RegExp(`- ${CONFIG}: institutions\\[0\\]\\.name: .*\\n- ${CONFIG}: institutions\\[1\\]\\.client_id: `));
  });

  it('reports problems of the file as a whole', async () => {
    const load = (content: string | undefined) => {
      if (content === undefined) fx.files.delete(CONFIG);
      else fx.files.set(CONFIG, content);
      return loadOfbInstitutions(CONFIG, { readFile: fx.readFile }).then(
        () => [] as string[],
        (e: OfbConfigError) => e.problems.map((p) => `${p.index}:${p.field}:${p.message}`),
      );
    };
    assert.deepEqual(await load(undefined), ['null:null:cannot be read (ENOENT)']);
    assert.match((await load('{"institutions": ['))[0] ?? '', /^null:null:is not valid JSON/);
    assert.deepEqual(await load('[]'), ['null:null:must be an object {"institutions": [ … ]}']);
    assert.deepEqual(await load('{"institutions": []}'), ['null:institutions:lists no institution']);
    assert.deepEqual(await load(JSON.stringify({ institutions: [fx.entry()], banks: [] })), ['null:banks:is not a known field']);
  });

  it('refuses a transport certificate that has expired or is not valid yet', async () => {
    const later = new Date(fx.certificateNotAfter.getTime() + 86_400_000);
    const expired = await problemsOf([fx.entry()], later);
    assert.deepEqual(located(expired), ['0:transport_certificate_file']);
    assert.match(expired[0]!.message, /expired on/);
    const early = await problemsOf([fx.entry()], new Date('2000-01-01T00:00:00Z'));
    assert.match(early[0]!.message, /is not valid before/);
  });
});

describe('OFB configuration secrets', () => {
  it('never serialise, inspect or log key material', async () => {
    fx.writeConfig([fx.entry()]);
    const entries = await loadOfbInstitutions(CONFIG, { readFile: fx.readFile });
    const entry = entries[0]!;
    const secretsOf = [String(fx.signingJwk.d), fx.transportKeyPem.split('\n')[1]!, String(entry.secrets.encryption!.privateJwk.d)];
    // The secrets are there…
    assert.equal(entry.secrets.signing.privateJwk.d, fx.signingJwk.d);

    const logged: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) }));
    logger.info({ institution: entry, config: entries }, 'ofb institutions loaded');
    logger.info({ secrets: entry.secrets }, 'secrets handed to a log call');

    const outputs = {
      json: JSON.stringify(entries),
      spread: JSON.stringify({ ...entry }),
      secretsJson: JSON.stringify(entry.secrets),
      inspect: inspect(entries, { showHidden: true, depth: Infinity, getters: true }),
      inspectSecrets: inspect(entry.secrets, { showHidden: true, depth: Infinity }),
      string: `${entry.secrets}`,
      log: logged.join(''),
    };
    for (const [how, output] of Object.entries(outputs)) {
      for (const secret of secretsOf) assert.ok(!output.includes(secret), `${how} printed key material`);
      assert.ok(!/PRIVATE KEY/.test(output), `${how} printed a PEM key`);
    }
    // …and the public part is still printed, so the output is not just empty.
    assert.match(outputs.json, /"client_id":"client-123"/);
    assert.match(outputs.log, /mybank_br_retail/);
    assert.match(outputs.secretsJson, /redacted/);
    assert.ok(!Object.keys(entry).includes('secrets'));
  });
});
