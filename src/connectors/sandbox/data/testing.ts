/**
 * Helpers for the sandbox data tests (not used by the server): requests for each sandbox
 * institution, the fields the server adds before a record reaches the wire, and structural
 * checks for the XML and PDF documents the data carries.
 */
import { randomUUID } from 'node:crypto';
import type { Credentials, ExtractRequest, ExtractedRecord, InstitutionDefinition, ResourceName } from '../../connector.js';
import { EREBOR_INSTITUTIONS } from '../erebor/index.js';
import { GOTHAM_INSTITUTIONS } from '../gotham/index.js';
import { GRINGOTTS_INSTITUTIONS } from '../gringotts/index.js';
import { HEIMDALL_INSTITUTIONS } from '../heimdall/index.js';
import { IMSS_INSTITUTIONS } from '../imss/index.js';
import { TATOOINE_INSTITUTIONS } from '../tatooine/index.js';

export const ALL_INSTITUTIONS: InstitutionDefinition[] = [
  ...EREBOR_INSTITUTIONS,
  ...GRINGOTTS_INSTITUTIONS,
  ...GOTHAM_INSTITUTIONS,
  ...HEIMDALL_INSTITUTIONS,
  ...TATOOINE_INSTITUTIONS,
  ...IMSS_INSTITUTIONS,
];

export function institution(name: string): InstitutionDefinition {
  const found = ALL_INSTITUTIONS.find((i) => i.name === name);
  if (!found) throw new Error(`no institution ${name}`);
  return found;
}

/** A fixed "now" for tests: mid-March, mid-afternoon. */
export const NOW = new Date('2025-03-15T15:30:00.000Z');

export function request(
  institutionName: string,
  resource: ResourceName,
  credentials: Credentials,
  extra: Partial<ExtractRequest> = {},
): ExtractRequest {
  return { institution: institution(institutionName), credentials, state: {}, resource, now: NOW, ...extra };
}

/** Adds what the server owns (`id`, `link`, timestamps), as the API would send the record. */
export function asServed(record: ExtractedRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = NOW.toISOString();
  return { id: randomUUID(), link: randomUUID(), created_at: now, collected_at: now, ...record, ...extra };
}

/** A transaction or balance as served: the account embedded, its internal reference dropped. */
export function withAccount(record: ExtractedRecord, accounts: ExtractedRecord[]): Record<string, unknown> {
  const account = accounts.find((a) => a.internal_identification === record.account_internal_identification);
  if (!account) throw new Error(`no account ${String(record.account_internal_identification)}`);
  const { account_internal_identification: _, ...rest } = record;
  return asServed(rest as ExtractedRecord, { account: asServed(account) });
}

/** Cents of a decimal amount, to compare money exactly. */
export const toCents = (n: unknown) => Math.round(Number(n) * 100);

/**
 * A minimal XML well-formedness check: declaration, balanced and properly nested tags, one root,
 * quoted unique attributes, and `&` only in entity references. Returns the problems found.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  let i = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) return ['unterminated XML declaration'];
    i = end + 2;
  }
  const stack: string[] = [];
  let roots = 0;
  const badAmp = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (badAmp.test(text)) problems.push(`bare & in text near ${i}`);
    if (stack.length === 0 && text.trim() !== '') problems.push(`text outside the root near ${i}`);
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) return [...problems, `unterminated tag at ${lt}`];
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w.:-]*)/.exec(body);
      if (!m) {
        problems.push(`bad tag name at ${lt}`);
      } else {
        if (stack.length === 0 && ++roots > 1) problems.push('more than one root element');
        const attrs = body.slice(m[1].length);
        const seen = new Set<string>();
        const attrRe = /\s+([^\s=/>"']+)\s*=\s*"([^"<]*)"/gy;
        let consumed = 0;
        let a: RegExpExecArray | null;
        while ((a = attrRe.exec(attrs)) !== null) {
          if (seen.has(a[1])) problems.push(`duplicate attribute ${a[1]} in <${m[1]}>`);
          seen.add(a[1]);
          if (badAmp.test(a[2])) problems.push(`bare & in attribute ${a[1]} of <${m[1]}>`);
          consumed = attrRe.lastIndex;
        }
        if (attrs.slice(consumed).trim() !== '') problems.push(`malformed attributes in <${m[1]}>: ${attrs.slice(consumed, consumed + 40)}`);
        if (!selfClosing) stack.push(m[1]);
      }
    }
    i = gt + 1;
  }
  if (stack.length > 0) problems.push(`unclosed <${stack.join('>, <')}>`);
  if (roots === 0) problems.push('no root element');
  return problems;
}

/** Attribute `name` of the first `<tag ...>` in `xml`. */
export function xmlAttribute(xml: string, tag: string, name: string): string | undefined {
  const start = xml.indexOf(`<${tag} `);
  if (start < 0) return undefined;
  const end = xml.indexOf('>', start);
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(xml.slice(start, end));
  return m?.[1];
}

/**
 * Checks a PDF's skeleton: `%PDF-1.x` header, `%%EOF` trailer, `startxref` pointing at the xref
 * table, and every in-use xref entry pointing at its `N 0 obj`. Returns the problems found.
 */
export function pdfProblems(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const problems: string[] = [];
  if (!/^%PDF-1\.\d/.test(text)) problems.push('no %PDF-1.x header');
  if (!/%%EOF\s*$/.test(text)) problems.push('no %%EOF at the end');
  const sx = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text);
  if (!sx) return [...problems, 'no startxref'];
  const xrefAt = Number(sx[1]);
  if (!text.startsWith('xref', xrefAt)) return [...problems, `startxref ${xrefAt} does not point at xref`];
  const lines = text.slice(xrefAt).split('\n');
  const [first, count] = lines[1].split(' ').map(Number);
  for (let k = 0; k < count; k++) {
    const entry = lines[2 + k];
    if (!/^\d{10} \d{5} [nf] $/.test(entry)) problems.push(`xref entry ${first + k} is not 20 bytes: ${JSON.stringify(entry)}`);
    const [offset, , kind] = entry.split(' ');
    if (kind !== 'n') continue;
    if (!text.startsWith(`${first + k} 0 obj`, Number(offset))) problems.push(`xref entry ${first + k} -> ${offset} is not "${first + k} 0 obj"`);
  }
  const trailer = /trailer\s*<<([^>]*)>>/.exec(text);
  if (!trailer) problems.push('no trailer');
  else {
    if (!new RegExp(`/Size ${first + count}\\b`).test(trailer[1])) problems.push('trailer /Size does not match the xref');
    if (!/\/Root \d+ 0 R/.test(trailer[1])) problems.push('trailer has no /Root');
  }
  for (const m of text.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const start = m.index! + m[0].length;
    if (!text.startsWith('\nendstream', start + Number(m[1]))) problems.push(`stream /Length ${m[1]} is wrong`);
  }
  return problems;
}

/** Decodes a base64 PDF field and checks it. */
export function base64PdfProblems(value: unknown): string[] {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(value)) return ['not base64'];
  return pdfProblems(Buffer.from(value, 'base64'));
}
