import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { assertNoSecretsLogged } from '../test/helpers/harness.js';
import { createLogger, redactUrl } from './logging.js';

describe('logging', () => {
  it('redacts secret-bearing query parameters from URLs, keeping the rest', () => {
    assert.equal(redactUrl('/widget/?access_token=eyJa.b.c&locale=es'), '/widget/?access_token=[redacted]&locale=es');
    assert.equal(redactUrl('/x?refresh=r1&token=t&Access_Token=u&page=2'), '/x?refresh=[redacted]&token=[redacted]&Access_Token=[redacted]&page=2');
    assert.equal(redactUrl('/x?access%5Ftoken=t'), '/x?access%5Ftoken=[redacted]');
    assert.equal(redactUrl('/api/links/?refresh_rate=6h&external_id=a'), '/api/links/?refresh_rate=6h&external_id=a');
    assert.equal(redactUrl('/x?%E0%A4%A=1&token'), '/x?%E0%A4%A=1&token');
    assert.equal(redactUrl('/api/links/'), '/api/links/');
  });

  it("a request's URL, authorization header and body secrets never reach a line", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger('debug', sink);
    logger.info({ req: { method: 'GET', url: '/widget/?access_token=eyJhbGciOi.eyJzaWQiOi.c2lnbmF0dXJl', headers: { authorization: 'Basic c2VjcmV0' } } }, 'incoming');
    logger.info({ body: { password: 'hunter2', token: '123456' } }, 'body');
    assert.doesNotMatch(lines.join(''), /eyJhbGciOi|hunter2|123456/);
    assert.doesNotThrow(() => assertNoSecretsLogged(lines, ['hunter2']));
  });

  it('the suite-wide log scan catches a token or a key password', () => {
    assert.throws(() => assertNoSecretsLogged(['{"url":"/widget/?access_token=abc"}'], []));
    assert.throws(() => assertNoSecretsLogged(['{"msg":"eyJhbGciOiJIUzI1.eyJzaWQiOiIx.c2lnbmF0dXJl"}'], []));
    assert.throws(() => assertNoSecretsLogged(['{"msg":"key pw-123456789"}'], ['pw-123456789']));
  });
});
