import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { fieldError, ValidationErrors } from '../errors.js';

/**
 * Where a webhook may be sent. A tenant chooses the URL, and the server makes the request from
 * inside its own network: without this, an endpoint could point at cloud metadata, the database
 * or an admin port, and delivery outcomes would tell what answers there.
 *
 * - never allowed: link-local (169.254/16 and fe80::/10, which hold most cloud metadata services),
 *   the known metadata addresses and names, unspecified, multicast, broadcast and reserved ranges;
 * - in production, also refused unless listed in VINCULO_WEBHOOK_ALLOW: loopback and private
 *   ranges (a developer's receiver on localhost is normal, so development allows them).
 *
 * Every address the host resolves to must pass, and delivery connects only to those addresses
 * (`pinnedLookup`), so a name cannot resolve to a public address for the check and to an inside
 * one for the connection.
 */

export interface Resolved {
  address: string;
  family: 4 | 6;
}
/** All the addresses a host name resolves to (`dns.lookup` with `all: true` by default). */
export type Resolve = (hostname: string) => Promise<readonly Resolved[]>;

export type Decision =
  | { allowed: true; addresses: readonly Resolved[] }
  | { allowed: false; reason: 'never' | 'internal'; message: string }
  /** The name did not resolve: at registration not a refusal (the receiver may not exist yet). */
  | { allowed: false; reason: 'dns' };

function blockList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const r of ranges) {
    const [address, bits] = r.split('/');
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

const NEVER = blockList([
  '0.0.0.0/8', // "this network": 0.0.0.0 reaches the local host on Linux
  '169.254.0.0/16', // link-local: AWS/GCP/Azure/Oracle metadata at 169.254.169.254
  '100.100.100.200', // Alibaba Cloud metadata (inside CGNAT space)
  '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and 255.255.255.255 broadcast
  '::/128', // unspecified
  'fe80::/10', // link-local
  'fd00:ec2::254', // AWS metadata over IPv6 (inside fc00::/7)
  'ff00::/8', // multicast
  '100::/64', // discard-only
  '2001:db8::/32', // documentation
]);

const INTERNAL = blockList([
  '127.0.0.0/8', // loopback
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', // private
  '100.64.0.0/10', // CGNAT, used inside clouds and Kubernetes
  '192.0.0.0/24', // IETF protocol assignments
  '198.18.0.0/15', // benchmarking, used in labs
  '::1/128', // loopback
  'fc00::/7', // unique local
  'fec0::/10', // deprecated site-local
]);

const NEVER_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);
const INTERNAL_NAME = /(^|\.)localhost$/;

const MESSAGES = {
  never: 'Webhook URL points to a link-local, metadata or reserved address, which is never allowed.',
  internal: 'Webhook URL points to a loopback or private address, which is not allowed in production unless listed in VINCULO_WEBHOOK_ALLOW.',
} as const;

/** The 8 16-bit words of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function v6Words(address: string): number[] {
  const s = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  return [...h, ...Array<string>(fill).fill('0'), ...t].map((w) => parseInt(w, 16));
}

/**
 * The IPv4 address an IPv6 one carries and would reach (mapped ::ffff:a.b.c.d, the old
 * compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), so it is judged as that address.
 */
function embeddedV4(address: string): string | null {
  const w = v6Words(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (w[5] === 0xffff || (w[5] === 0 && (w[6] !== 0 || w[7] > 1)))) return v4(w[6], w[7]);
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return v4(w[6], w[7]);
  if (w[0] === 0x2002) return v4(w[1], w[2]);
  return null;
}

/** An address as checked: without URL brackets or IPv6 zone id, an embedded IPv4 one unwrapped. */
function normalise(address: string): [string, 'ipv4' | 'ipv6'] | null {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(a);
  if (!family) return null;
  const v4 = family === 6 ? embeddedV4(a) : null;
  return v4 ? [v4, 'ipv4'] : [a, family === 4 ? 'ipv4' : 'ipv6'];
}

/** The address's class: `never`, `internal` (loopback/private) or `public`. */
export function classify(address: string): 'never' | 'internal' | 'public' {
  const n = normalise(address);
  if (!n || NEVER.check(...n)) return 'never';
  return INTERNAL.check(...n) ? 'internal' : 'public';
}

export interface TargetPolicyOptions {
  /** Production refuses loopback and private targets unless allowed. */
  production: boolean;
  /** VINCULO_WEBHOOK_ALLOW: host names, addresses and CIDRs allowed although internal. */
  allow?: readonly string[];
  resolve?: Resolve;
}

const systemResolve: Resolve = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));

export class TargetPolicy {
  /** How host names are resolved; replaceable so tests can make a name point anywhere. */
  resolve: Resolve;
  private readonly allowNames = new Set<string>();
  private readonly allowAddresses = new BlockList();

  constructor(private readonly options: TargetPolicyOptions) {
    this.resolve = options.resolve ?? systemResolve;
    for (const entry of options.allow ?? []) {
      const [address, bits] = entry.split('/');
      const family = isIP(address);
      if (!family) this.allowNames.add(entry.toLowerCase().replace(/\.$/, ''));
      else if (bits === undefined) this.allowAddresses.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
      else this.allowAddresses.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /**
   * Decides on `url` now: its host name, then every address it resolves to. `new URL()` has
   * already normalised odd IPv4 spellings (`2130706433`, `0x7f.1`, `017700000001` → 127.0.0.1).
   */
  async decide(url: URL): Promise<Decision> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return this.refuse('never');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
    if (NEVER_NAMES.has(host)) return this.refuse('never');
    const named = this.allowNames.has(host);
    if (INTERNAL_NAME.test(host) && this.options.production && !named) return this.refuse('internal');
    let addresses: readonly Resolved[];
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) === 4 ? 4 : 6 }];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        return { allowed: false, reason: 'dns' };
      }
      if (!addresses.length) return { allowed: false, reason: 'dns' };
    }
    for (const { address } of addresses) {
      const c = classify(address);
      if (c === 'never') return this.refuse('never');
      if (c === 'internal' && this.options.production && !named && !this.allowAddresses.check(...normalise(address)!)) {
        return this.refuse('internal');
      }
    }
    return { allowed: true, addresses };
  }

  private refuse(reason: 'never' | 'internal'): Decision {
    return { allowed: false, reason, message: MESSAGES[reason] };
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | Resolved[], family?: number) => void;

/**
 * A `lookup` for http(s).request that answers only the addresses already checked, so the
 * connection goes where the check looked (TLS still verifies the certificate against the name).
 */
export function pinnedLookup(addresses: readonly Resolved[]) {
  return (_hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    if (options.all) callback(null, addresses.map((a) => ({ ...a })));
    else callback(null, addresses[0].address, addresses[0].family);
  };
}

/** Checks an endpoint URL's form: absolute http(s), no credentials inside it. */
export function checkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationErrors([fieldError.invalid('url', 'Enter a valid absolute http:// or https:// URL.')]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationErrors([fieldError.invalid('url', 'Enter a valid absolute http:// or https:// URL.')]);
  }
  if (url.username || url.password) {
    // Never echo it: the URL holds a credential.
    throw new ValidationErrors([fieldError.invalid('url', 'Put credentials in `authorization`, not in the URL.')]);
  }
  return url;
}
