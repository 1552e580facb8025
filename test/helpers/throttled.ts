import assert from 'node:assert/strict';
import type { Response } from './harness.js';

/** A throttle's answer (authentication throttle, rate limit): 429 too_many_requests in Belvo's format with Retry-After. */
export function assertTooManyRequests(res: Response): void {
  assert.equal(res.status, 429);
  assert.ok(Array.isArray(res.body) && res.body.length === 1, 'Belvo error array');
  const [err] = res.body;
  assert.deepEqual(Object.keys(err).sort(), ['code', 'message', 'request_id']);
  assert.equal(err.code, 'too_many_requests');
  assert.match(err.message, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
  assert.match(err.request_id, /^[a-f0-9]{32}$/);
  assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After ${res.headers['retry-after']}`);
}
