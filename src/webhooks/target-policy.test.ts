import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, pinnedLookup, TargetPolicy, type Resolve } from './target-policy.js';

/** The webhook target policy on its own: the range table, names, resolution, the allow list. */

describe('webhook target policy', () => {
  it('classifies addresses: never (link-local, metadata, unspecified, multicast, reserved), internal, public', () => {
    const table: Record<'never' | 'internal' | 'public', string[]> = {
      never: [
        '169.254.169.254', '169.254.0.1', '100.100.100.200', '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250',
        '240.0.0.1', '255.255.255.255', '192.0.2.10', '::', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fd00:ec2::254',
        'ff02::1', '2001:db8::1', '100::1',
        // IPv4 inside IPv6 is judged as the IPv4 address it reaches
        '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:0:0', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::1', '::169.254.169.254',
        'not an address', '',
      ],
      internal: [
        '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1',
        '100.127.255.255', '198.18.0.1', '::1', 'fc00::1', 'fd12:3456::1', 'fd00:ec2::253', '::ffff:127.0.0.1', '::ffff:7f00:1',
        '::ffff:10.1.2.3', '64:ff9b::10.0.0.1', '2002:c0a8:101::1', '[::1]',
      ],
      public: ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.255.255', '2606:4700::1111', '::ffff:8.8.8.8', '2a00:1450::1'],
    };
    for (const [expected, addresses] of Object.entries(table)) {
      for (const a of addresses) assert.equal(classify(a), expected, a);
    }
  });

  it('new URL() normalises odd IPv4 spellings before the policy sees them', () => {
    for (const u of ['http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://127.1/', 'http://0x7f000001/']) {
      assert.equal(new URL(u).hostname, '127.0.0.1', u);
    }
    assert.equal(new URL('http://[::ffff:169.254.169.254]/').hostname, '[::ffff:a9fe:a9fe]');
    assert.equal(new URL('http://0/').hostname, '0.0.0.0');
  });

  const resolveTo =
    (table: Record<string, string[]>): Resolve =>
    async (host) => {
      const addresses = { localhost: ['127.0.0.1', '::1'], ...table }[host];
      if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };

  const decide = async (policy: TargetPolicy, url: string) => {
    const d = await policy.decide(new URL(url));
    return d.allowed ? 'allowed' : d.reason;
  };

  it('development: never-class targets refused, loopback and private allowed', async () => {
    const policy = new TargetPolicy({
      production: false,
      resolve: resolveTo({ 'rebind.test': ['93.184.215.14', '169.254.169.254'], 'lan.test': ['192.168.0.10'] }),
    });
    const cases: [string, string][] = [
      ['http://169.254.169.254/latest/meta-data/', 'never'],
      ['http://[fd00:ec2::254]/', 'never'],
      ['http://metadata.google.internal/computeMetadata/v1/', 'never'],
      ['http://METADATA.google.internal./', 'never'],
      ['http://metadata/', 'never'],
      ['http://0.0.0.0:5432/', 'never'],
      ['http://[::ffff:169.254.169.254]/', 'never'],
      ['http://[::]/', 'never'],
      ['http://rebind.test/', 'never'], // every resolved address counts, not just the first
      ['http://127.0.0.1:5432/', 'allowed'],
      ['http://localhost:3000/', 'allowed'],
      ['http://2130706433/', 'allowed'],
      ['http://lan.test/', 'allowed'],
      ['http://nowhere.test/', 'dns'],
    ];
    for (const [url, expected] of cases) assert.equal(await decide(policy, url), expected, url);
  });

  it('production: loopback and private refused unless allowed by name, address or CIDR; never-class whatever the list says', async () => {
    const resolve = resolveTo({ 'hooks.internal': ['10.9.0.5'], 'other.internal': ['10.9.0.6'], 'public.test': ['93.184.215.14'] });
    const strict = new TargetPolicy({ production: true, resolve });
    const listed = new TargetPolicy({ production: true, resolve, allow: ['hooks.internal', 'localhost', '10.1.0.0/16', '192.168.1.5', '169.254.169.254', 'fc00::/7'] });
    const cases: [string, string, string][] = [
      // url, strict, listed
      ['http://localhost:8080/', 'internal', 'allowed'],
      ['http://app.localhost/', 'internal', 'internal'],
      ['http://127.0.0.1/', 'internal', 'internal'],
      ['http://2130706433/', 'internal', 'internal'],
      ['http://0x7f.1/', 'internal', 'internal'],
      ['http://[::1]/', 'internal', 'internal'],
      ['http://[::ffff:127.0.0.1]/', 'internal', 'internal'],
      ['http://10.0.0.1/', 'internal', 'internal'],
      ['http://10.1.2.3/', 'internal', 'allowed'],
      ['http://[::ffff:10.1.2.3]/', 'internal', 'allowed'],
      ['http://192.168.1.5/', 'internal', 'allowed'],
      ['http://192.168.1.6/', 'internal', 'internal'],
      ['http://100.64.0.1/', 'internal', 'internal'],
      ['http://[fd12::1]/', 'internal', 'allowed'],
      ['http://hooks.internal/', 'internal', 'allowed'],
      ['http://other.internal/', 'internal', 'internal'],
      ['http://169.254.169.254/', 'never', 'never'],
      ['http://[fd00:ec2::254]/', 'never', 'never'],
      ['http://100.100.100.200/', 'never', 'never'],
      ['http://public.test/', 'allowed', 'allowed'],
      ['https://8.8.8.8/', 'allowed', 'allowed'],
    ];
    for (const [url, a, b] of cases) {
      assert.equal(await decide(strict, url), a, `strict ${url}`);
      assert.equal(await decide(listed, url), b, `listed ${url}`);
    }
  });

  it('refusals carry a message for the API; only http and https', async () => {
    const policy = new TargetPolicy({ production: true });
    const never = await policy.decide(new URL('http://169.254.169.254/'));
    assert.ok(!never.allowed && never.reason === 'never' && /link-local.*never allowed/.test(never.message));
    const internal = await policy.decide(new URL('http://10.0.0.1/'));
    assert.ok(!internal.allowed && internal.reason === 'internal' && /VINCULO_WEBHOOK_ALLOW/.test(internal.message));
    assert.equal((await policy.decide(new URL('ftp://8.8.8.8/'))).allowed, false);
  });

  it('pinnedLookup answers only the checked addresses, in both lookup forms', async () => {
    const lookup = pinnedLookup([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    const one = await new Promise((resolve) => lookup('anything.test', {}, (err, address, family) => resolve([err, address, family])));
    assert.deepEqual(one, [null, '127.0.0.1', 4]);
    const all = await new Promise((resolve) => lookup('anything.test', { all: true }, (err, addresses) => resolve([err, addresses])));
    assert.deepEqual(all, [null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]]);
  });
});
