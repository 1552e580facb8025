import assert from 'node:assert/strict';
import type { Client, Response } from './harness.js';

/**
 * Small helpers for the link-data suites: making a link of a given institution and username,
 * UTC days relative to today, and Belvo error assertions.
 */

export const BANK = 'erebor_mx_retail';

export interface LinkOptions {
  institution?: string;
  password?: string;
  /** Any other register field (access_mode, token, credentials_storage...). */
  extra?: Record<string, unknown>;
}

/**
 * Registers a link and returns its id. A 201 is expected; `mfa…` users (or MFA institutions)
 * answer 428, whose pending link id is returned just the same: pass `expect: 428` for those.
 */
export async function createLink(c: Client, username: string, options: LinkOptions & { expect?: 201 | 428 } = {}): Promise<string> {
  const { institution = BANK, password = 'pass_valid', extra = {}, expect = 201 } = options;
  const res = await c.request('POST', '/api/links/', { institution, username, ...(password === '' ? {} : { password }), ...extra });
  assert.equal(res.status, expect, `register ${institution}/${username}: ${JSON.stringify(res.body)}`);
  return expect === 428 ? res.body[0].link : res.body.id;
}

/** The link's current status (GET /api/links/{id}/). */
export async function linkStatus(c: Client, id: string): Promise<string> {
  const res = await c.request('GET', `/api/links/${id}/`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.status;
}

/** `YYYY-MM-DD` of the UTC day `n` days before today (negative: after). */
export function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

export const today = () => daysAgo(0);

/** Asserts Belvo's error array: the status, and an item with this code (and field, if given). */
export function assertError(res: Pick<Response, 'status' | 'body'>, status: number, code: string, field?: string): any {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(Array.isArray(res.body), `errors are an array: ${JSON.stringify(res.body)}`);
  const hit = res.body.find((e: any) => e.code === code && (field === undefined || e.field === field));
  assert.ok(hit, `expected ${code}${field ? ` on ${field}` : ''}, got ${JSON.stringify(res.body)}`);
  assert.match(hit.request_id, /^[a-f0-9]{32}$/);
  assert.equal(typeof hit.message, 'string');
  return hit;
}

/** Every page of a list, following `next` as the SDK does (absolute URL, no extra params). */
export async function listAll(c: Client, url: string): Promise<{ count: number; results: any[]; pages: number }> {
  const first = await c.request('GET', url);
  assert.equal(first.status, 200, `${url}: ${JSON.stringify(first.body)}`);
  const results = [...first.body.results];
  let next: string | null = first.body.next;
  let pages = 1;
  while (next) {
    const u = new URL(next);
    const page = await c.request('GET', u.pathname + u.search);
    assert.equal(page.status, 200, `${next}: ${JSON.stringify(page.body)}`);
    assert.equal(page.body.count, first.body.count, 'count is the same on every page');
    results.push(...page.body.results);
    next = page.body.next;
    pages++;
  }
  return { count: first.body.count, results, pages };
}
