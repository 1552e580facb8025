import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { pageRequest } from '../pagination.js';
import { toPage } from './pagination.js';

const req = (url: string, headers: Record<string, string> = {}) =>
  ({ url, protocol: 'http', host: headers.host ?? 'localhost:8000', headers: { host: 'localhost:8000', ...headers } }) as unknown as FastifyRequest;

describe('pagination', () => {
  it('defaults and clamps page_size to 1..1000', () => {
    assert.deepEqual(pageRequest({}), { page: 1, pageSize: 100, limit: 100, offset: 0 });
    assert.equal(pageRequest({ page_size: '5000' }).pageSize, 1000);
    assert.equal(pageRequest({ page_size: '0' }).pageSize, 1);
    assert.equal(pageRequest({ page_size: '-3' }).pageSize, 1);
    assert.equal(pageRequest({ page_size: 'abc' }).pageSize, 100);
    assert.deepEqual(pageRequest({ page: '3', page_size: '10' }), { page: 3, pageSize: 10, limit: 10, offset: 20 });
  });
  it('refuses pages that are not positive integers', () => {
    for (const page of ['0', '-1', '1.5', 'x', '1e3', ' 1', '0x10']) assert.throws(() => pageRequest({ page }), { code: 'not_found' });
  });
  it('a page beyond any possible offset is not found, never an overflow', () => {
    for (const q of [{ page: '99999999999999999999' }, { page: '9223372036854775', page_size: '1000' }, { page: String(2 ** 53) }]) {
      assert.throws(() => pageRequest(q), { code: 'not_found', message: 'Invalid page.' });
    }
    assert.equal(pageRequest({ page_size: '99999999999999999999' }).pageSize, 1000);
  });
  it('next/previous are absolute and keep every filter', () => {
    const r = req('/api/links/?status=valid&page_size=2&page=2&institution__in=a,b');
    const page = toPage(r, pageRequest({ page: '2', page_size: '2' }), 7, [1, 2]);
    assert.equal(page.next, 'http://localhost:8000/api/links/?status=valid&page_size=2&page=3&institution__in=a%2Cb');
    assert.equal(page.previous, 'http://localhost:8000/api/links/?status=valid&page_size=2&page=1&institution__in=a%2Cb');
    const last = toPage(r, pageRequest({ page: '4', page_size: '2' }), 7, [7]);
    assert.equal(last.next, null);
  });
  it('a host that is not a plain authority falls back to localhost', () => {
    for (const host of ['a b', 'user@evil.example', 'x/y', '']) {
      const next = toPage(req('/api/links/?page_size=1', { host }), pageRequest({ page_size: '1' }), 3, [1]).next;
      assert.equal(next, 'http://localhost/api/links/?page_size=1&page=2', host);
    }
  });
  it('a page past the end is not found, but an empty first page is fine', () => {
    assert.throws(() => toPage(req('/x/?page=2'), pageRequest({ page: '2' }), 0, []), { code: 'not_found' });
    assert.deepEqual(toPage(req('/x/'), pageRequest({}), 0, []), { count: 0, next: null, previous: null, results: [] });
  });
});
