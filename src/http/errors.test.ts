import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE } from '../errors.js';

// The catalogue and docs/errors.md must list the same codes with the same statuses.
describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map([...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));

  it('every code is documented with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) assert.equal(documented.get(code), status, code);
  });
  it('nothing stale is documented', () => {
    for (const code of documented.keys()) assert.ok(code in ERROR_CATALOGUE, `docs list unknown code ${code}`);
  });
  it('codes are snake_case and statuses are errors', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      assert.ok(status >= 400 && status < 600);
    }
  });
});
