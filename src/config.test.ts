import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './config.js';

describe('config', () => {
  it('has working defaults and is frozen', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8000);
    assert.equal(c.databaseUrl, null);
    assert.ok(c.dataDir.endsWith('/data'));
    assert.ok(Object.isFrozen(c));
  });
  it('lists every problem at once', () => {
    assert.throws(
      () => loadConfig({ PORT: 'x', DATABASE_URL: 'mysql://', VINCULO_SECRET_KEY_ID: 'k', NODE_ENV: 'production' }),
      (e: Error) => ['PORT', 'DATABASE_URL', 'VINCULO_SECRET_KEY_PASSWORD', 'VINCULO_MASTER_KEY'].every((s) => e.message.includes(s)),
    );
  });
  it('reads VINCULO_WEBHOOK_ALLOW: host names, addresses and CIDRs; lists every bad entry', () => {
    const c = loadConfig({ VINCULO_WEBHOOK_ALLOW: 'Hooks.Internal, localhost, 10.0.0.0/8, 192.168.1.5, fd00::/8' });
    assert.deepEqual(c.webhookAllow, ['hooks.internal', 'localhost', '10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    assert.deepEqual(loadConfig({}).webhookAllow, []);
    assert.throws(
      () => loadConfig({ VINCULO_WEBHOOK_ALLOW: 'ok.example, http://x/, 10.0.0.0/40, 0x7f.1, a b' }),
      (e: Error) => /VINCULO_WEBHOOK_ALLOW.*not: http:\/\/x\/, 10\.0\.0\.0\/40, 0x7f\.1, a b\)/.test(e.message),
    );
  });
  it('reads the store, bootstrap key and sandbox settings', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://h/db',
      VINCULO_SECRET_KEY_ID: 'boot',
      VINCULO_SECRET_KEY_PASSWORD: 'a-long-password',
      VINCULO_SANDBOX_DOWN: 'a_mx_retail, b_mx_retail',
    });
    assert.equal(c.databaseUrl, 'postgres://h/db');
    assert.deepEqual(c.bootstrapKey, { id: 'boot', password: 'a-long-password' });
    assert.deepEqual(c.sandboxDown, ['a_mx_retail', 'b_mx_retail']);
  });
  it('the sandbox: on in development, off under NODE_ENV=production unless turned on; strict booleans', () => {
    const key = { VINCULO_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
    const dev = loadConfig({});
    assert.deepEqual([dev.sandbox, dev.sandboxInstitutions], [true, true]);
    const prod = loadConfig({ NODE_ENV: 'production', ...key });
    assert.deepEqual([prod.sandbox, prod.sandboxInstitutions], [false, false]);
    const institutionsOnly = loadConfig({ NODE_ENV: 'production', VINCULO_SANDBOX_INSTITUTIONS: 'true', ...key });
    assert.deepEqual([institutionsOnly.sandbox, institutionsOnly.sandboxInstitutions], [false, true]);
    const on = loadConfig({ NODE_ENV: 'production', VINCULO_SANDBOX: 'TRUE', ...key });
    assert.deepEqual([on.sandbox, on.sandboxInstitutions], [true, true]);
    assert.equal(loadConfig({ VINCULO_SANDBOX: 'false' }).sandbox, false);
    assert.throws(() => loadConfig({ VINCULO_SANDBOX: 'no' }), /VINCULO_SANDBOX must be true or false/);
    assert.equal(loadConfig({}).unconfirmedLinkDays, 7);
  });
  it('VINCULO_RATE_LIMIT: off by default, 100/s under NODE_ENV=production; a positive number or off', () => {
    const key = { VINCULO_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
    assert.equal(loadConfig({}).rateLimit, null);
    assert.equal(loadConfig({ NODE_ENV: 'production', ...key }).rateLimit, 100);
    assert.equal(loadConfig({ NODE_ENV: 'production', VINCULO_RATE_LIMIT: 'OFF', ...key }).rateLimit, null);
    assert.equal(loadConfig({ VINCULO_RATE_LIMIT: '250' }).rateLimit, 250);
    assert.equal(loadConfig({ VINCULO_RATE_LIMIT: '0.5' }).rateLimit, 0.5);
    for (const bad of ['0', '-1', 'fast', 'Infinity', '1e9']) {
      assert.throws(() => loadConfig({ VINCULO_RATE_LIMIT: bad }), /VINCULO_RATE_LIMIT must be off or a number/, bad);
    }
  });
  it('VINCULO_METRICS_TOKEN: optional; at least 16 printable characters, no spaces; never in an error message', () => {
    assert.equal(loadConfig({}).metricsToken, null);
    assert.equal(loadConfig({ VINCULO_METRICS_TOKEN: ' 0123456789abcdef ' }).metricsToken, '0123456789abcdef');
    for (const bad of ['short-token', 'has a space in the middle', 'tab\tinside-a-long-one']) {
      assert.throws(
        () => loadConfig({ VINCULO_METRICS_TOKEN: bad }),
        (e: Error) => e.message.includes('VINCULO_METRICS_TOKEN must be at least 16') && !e.message.includes(bad),
      );
    }
  });
  it('VINCULO_WORKER_PORT: unset (no worker listener) by default; a port, 0 for any free one', () => {
    assert.equal(loadConfig({}).workerPort, null);
    assert.equal(loadConfig({ VINCULO_WORKER_PORT: '' }).workerPort, null);
    assert.equal(loadConfig({ VINCULO_WORKER_PORT: '9100' }).workerPort, 9100);
    assert.equal(loadConfig({ VINCULO_WORKER_PORT: '0' }).workerPort, 0);
    for (const bad of ['-1', '65536', 'http', '91.5']) {
      assert.throws(() => loadConfig({ VINCULO_WORKER_PORT: bad }), /VINCULO_WORKER_PORT must be an integer in 0\.\.65535/, bad);
    }
  });
  it('VINCULO_SHUTDOWN_DRAIN_SECONDS: 0 by default, 5 under NODE_ENV=production; less than VINCULO_SHUTDOWN_SECONDS', () => {
    const key = { VINCULO_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
    assert.equal(loadConfig({}).shutdownDrainSeconds, 0);
    assert.equal(loadConfig({ NODE_ENV: 'production', ...key }).shutdownDrainSeconds, 5);
    assert.equal(loadConfig({ NODE_ENV: 'production', VINCULO_SHUTDOWN_DRAIN_SECONDS: '0', ...key }).shutdownDrainSeconds, 0);
    assert.equal(loadConfig({ VINCULO_SHUTDOWN_DRAIN_SECONDS: '2.5' }).shutdownDrainSeconds, 2.5);
    assert.equal(loadConfig({ VINCULO_SHUTDOWN_DRAIN_SECONDS: '24', VINCULO_SHUTDOWN_SECONDS: '25' }).shutdownDrainSeconds, 24);
    for (const bad of ['-1', 'soon', '3601']) {
      assert.throws(() => loadConfig({ VINCULO_SHUTDOWN_DRAIN_SECONDS: bad }), /VINCULO_SHUTDOWN_DRAIN_SECONDS must be a number in 0\.\.3600/, bad);
    }
    // The pause is part of the shutdown: not as long as its deadline.
    for (const [drain, deadline] of [['25', undefined], ['10', '10'], ['30', '25']] as const) {
      assert.throws(
        () => loadConfig({ VINCULO_SHUTDOWN_DRAIN_SECONDS: drain, VINCULO_SHUTDOWN_SECONDS: deadline }),
        new RegExp(`VINCULO_SHUTDOWN_DRAIN_SECONDS \\(${drain}\\) must be less than VINCULO_SHUTDOWN_SECONDS \\(${deadline ?? 25}\\)`),
      );
    }
    // The production default too: a short deadline needs a shorter pause, and the error says it is the default.
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', VINCULO_SHUTDOWN_SECONDS: '5', ...key }),
      /VINCULO_SHUTDOWN_DRAIN_SECONDS \(5, the default\) must be less than VINCULO_SHUTDOWN_SECONDS \(5\)/,
    );
    assert.equal(loadConfig({ NODE_ENV: 'production', VINCULO_SHUTDOWN_SECONDS: '5', VINCULO_SHUTDOWN_DRAIN_SECONDS: '2', ...key }).shutdownDrainSeconds, 2);
  });
});
