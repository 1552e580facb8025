/**
 * The OFB connector when the bank pushes back: its 429/423 and 5xx, answers that break the
 * specification, a refused token while the consent lives, the monthly budget, consents that
 * allow less, and what one session calls.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  InstitutionDownError,
  InstitutionRateLimitedError,
  InstitutionTimeoutError,
  ValidationErrors,
  VinculoError,
} from '../../../errors.js';
import type { LoginRequest, ResourceName } from '../../connector.js';
import { MONTHLY_LIMITS, secondsToNextMonth } from './budget.js';
import { accessState, CPF, spDay, startHarness, type Harness } from './testing.js';

describe('OFB connector: faults and limits', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.fault = undefined;
  });

  const login = (state: Record<string, unknown>, purpose: LoginRequest['purpose'] = 'access') =>
    h.connector.login({ institution: h.def, credentials: {}, state, purpose });
  const extract = (state: Record<string, unknown>, resource: ResourceName, window: { dateFrom?: string; dateTo?: string } = {}) =>
    h.connector.extract({ institution: h.def, credentials: {}, state, resource, now: new Date(h.clock.now), ...window });
  const ACCOUNTS = /^\/open-banking\/accounts\/v2\/accounts(\?|$)/;

  it('maps 429 (with Retry-After) to InstitutionRateLimitedError, 5xx to down, 504 to timeout', async () => {
    const { state } = await accessState(h);
    h.fault = { path: ACCOUNTS, status: 429, headers: { 'retry-after': '120' } };
    await assert.rejects(extract(state, 'ACCOUNTS'), (e: unknown) => {
      assert.ok(e instanceof InstitutionRateLimitedError && e.retryable);
      assert.equal(e.options.retryAfterSeconds, 120);
      return true;
    });
    h.fault = { path: ACCOUNTS, status: 423 };
    await assert.rejects(extract(state, 'ACCOUNTS'), InstitutionRateLimitedError);
    h.fault = { path: ACCOUNTS, status: 500 };
    await assert.rejects(extract(state, 'ACCOUNTS'), (e: unknown) => e instanceof InstitutionDownError && e.retryable);
    h.fault = { path: ACCOUNTS, status: 504 };
    await assert.rejects(extract(state, 'ACCOUNTS'), InstitutionTimeoutError);
    h.fault = { path: /^\/open-banking\/consents\//, status: 503 };
    await assert.rejects(login(state), InstitutionDownError, 'the consent cannot be checked: try later');
  });

  it('refuses an answer that breaks the specification, naming the JSON path and not the value', async () => {
    const { state } = await accessState(h);
    h.fault = { path: ACCOUNTS, body: (text) => text.replace(/"type":"[A-Z_]+"/, '"type":"CONTA_SECRETA_999"') };
    await assert.rejects(extract(state, 'ACCOUNTS'), (e: unknown) => {
      assert.ok(e instanceof VinculoError);
      assert.equal(e.code, 'unexpected_error');
      assert.equal(e.retryable, false);
      assert.match(e.message, /\$\.data\[0\]\.type/);
      assert.doesNotMatch(e.message, /SECRETA/);
      return true;
    });
  });

  it('retries later when the bank refuses the token of a consent that is still authorised', async () => {
    const { state } = await accessState(h);
    h.fault = { path: ACCOUNTS, status: 401 };
    await assert.rejects(extract(state, 'ACCOUNTS'), (e: unknown) => e instanceof VinculoError && e.retryable && e.code === 'institution_unavailable');
  });

  it('spends the monthly budget at login: 4 sessions, then rate limited until the month turns', async () => {
    const { state: first } = await accessState(h);
    assert.equal(MONTHLY_LIMITS.accounts, 4);
    let state = first;
    await extract(state, 'ACCOUNTS');
    for (let session = 2; session <= 4; session++) {
      const out = await login(state);
      assert.ok(out.kind === 'success');
      state = out.state;
      await extract(state, 'ACCOUNTS');
    }
    await assert.rejects(login(state), (e: unknown) => {
      assert.ok(e instanceof InstitutionRateLimitedError);
      assert.equal(e.options.retryAfterSeconds, secondsToNextMonth(new Date(h.clock.now)));
      return true;
    });
    assert.equal((await login(state, 'update')).kind, 'success', 'renewing access reserves nothing');

    // A state out of step with the bank (counts lost): the bank's own 429 stops it.
    const forged = (await login({ ...state, budget: { month: String((state.budget as { month: string }).month), used: {} } })) as { state: Record<string, unknown> };
    await assert.rejects(extract(forged.state, 'ACCOUNTS'), (e: unknown) => {
      assert.ok(e instanceof InstitutionRateLimitedError);
      assert.ok((e.options.retryAfterSeconds ?? 0) > 0, 'the bank says when its month turns');
      return true;
    });

    h.clock.advance(secondsToNextMonth(new Date(h.clock.now)) * 1000 + 3_600_000);
    const next = await login(state);
    assert.ok(next.kind === 'success');
    assert.ok((await extract(next.state, 'ACCOUNTS')).length > 0);
  });

  it('a session the bank refused (429/423 to each call) spends none of the month: the next one takes its reservation', async () => {
    const { state: first, consentId } = await accessState(h);
    const accountsUsed = (state: Record<string, unknown>) => (state.budget as { used: Record<string, number> }).used.accounts;
    const next = async (state: Record<string, unknown>) => {
      const out = await login(state);
      assert.ok(out.kind === 'success');
      return out.state;
    };
    await extract(first, 'ACCOUNTS');
    assert.equal(accountsUsed(first), 1);
    let state = first;
    for (const status of [429, 423, 429] as const) {
      state = await next(state);
      h.sandbox.faults.set(consentId, { status, retryAfter: 1 });
      try {
        await assert.rejects(extract(state, 'ACCOUNTS'), InstitutionRateLimitedError);
      } finally {
        h.sandbox.faults.clear(consentId);
      }
    }
    assert.equal(accountsUsed(state), 2, 'the refused sessions share one reservation');
    await extract(state, 'ACCOUNTS');

    // Refused once the bank has served a call of the session (here the list): the session counts.
    state = await next(state);
    h.fault = { path: /^\/open-banking\/accounts\/v2\/accounts\/[^/?]+$/, status: 429 };
    await assert.rejects(extract(state, 'ACCOUNTS'), InstitutionRateLimitedError);
    h.fault = undefined;
    state = await next(state);
    assert.equal(accountsUsed(state), 4);
    await extract(state, 'ACCOUNTS');
    await assert.rejects(login(state), InstitutionRateLimitedError, 'the month is spent');
  });

  it('makes each shared call once per session, and picks transactions-current for windows within D-6', async () => {
    const { state } = await accessState(h);
    h.calls.length = 0;
    await extract(state, 'ACCOUNTS');
    await extract(state, 'ACCOUNTS');
    await extract(state, 'BALANCES');
    const recent = await extract(state, 'TRANSACTIONS', { dateFrom: spDay(h, -3), dateTo: spDay(h) });
    await extract(state, 'TRANSACTIONS', { dateFrom: spDay(h, -30), dateTo: spDay(h) });
    const gets = (re: RegExp) => h.calls.filter((c) => re.test(c)).length;
    assert.equal(gets(/^GET \/open-banking\/accounts\/v2\/accounts\?/), 1, 'the account list once');
    assert.equal(gets(/^GET \/open-banking\/credit-cards-accounts\/v2\/accounts\?/), 1, 'the card list once');
    const deposits = gets(/^GET \/open-banking\/accounts\/v2\/accounts\/[^/?]+$/);
    const cards = gets(/^GET \/open-banking\/credit-cards-accounts\/v2\/accounts\/[^/?]+$/);
    assert.ok(deposits > 0 && cards > 0);
    assert.equal(gets(/\/balances$/), deposits, 'one balance call per account');
    assert.equal(gets(/\/limits$/), cards, 'one limits call per card');
    assert.equal(gets(/\/bills\?/), cards, 'bills once per card');
    assert.ok(gets(/\/transactions-current\?fromBookingDate=/) > 0 && gets(/\/transactions-current\?fromTransactionDate=/) > 0);
    assert.ok(gets(/\/transactions\?fromBookingDate=/) > 0 && gets(/\/transactions\?fromTransactionDate=/) > 0);
    assert.ok(recent.every((t) => String(t.value_date) >= spDay(h, -3)));

    // A new session asks again.
    const next = await login(state);
    h.calls.length = 0;
    await extract(next.kind === 'success' ? next.state : {}, 'ACCOUNTS');
    assert.equal(gets(/^GET \/open-banking\/accounts\/v2\/accounts\?/), 1);
  });

  it('extracts only what the consent allows, without asking the bank for the rest', async () => {
    const { state } = await accessState(h, { permissions: ['REGISTER'] });
    h.calls.length = 0;
    assert.deepEqual(await extract(state, 'ACCOUNTS'), []);
    assert.deepEqual(await extract(state, 'BALANCES'), []);
    assert.deepEqual(await extract(state, 'TRANSACTIONS', { dateFrom: spDay(h, -30), dateTo: spDay(h) }), []);
    assert.equal(h.calls.length, 0);
    assert.equal((await extract(state, 'OWNERS')).length, 1);
    await assert.rejects(extract(state, 'INVOICES'), (e: VinculoError) => e.code === 'unsupported_operation');
  });

  it('checks the consent request before calling the bank', async () => {
    h.calls.length = 0;
    await assert.rejects(
      h.connector.startConsent(h.def, { document: '12345678900', permissions: [], months: 5 as 3 }),
      (e: unknown) => e instanceof ValidationErrors && e.errors.map((x) => x.options.field).join() === 'document,permissions,months',
    );
    assert.equal(h.calls.length, 0);
    const started = await h.connector.startConsent(h.def, { document: CPF, permissions: ['ACCOUNTS'], months: 12 });
    assert.ok(!started.authorizationUrl.includes(CPF));
    assert.deepEqual((started.pending as { permissions: string[] }).permissions.sort(), [
      'ACCOUNTS_BALANCES_READ', 'ACCOUNTS_OVERDRAFT_LIMITS_READ', 'ACCOUNTS_READ', 'ACCOUNTS_TRANSACTIONS_READ', 'RESOURCES_READ',
    ]);
  });

  it('revoke reports an unreachable bank so the caller can try again', async () => {
    const { state } = await accessState(h);
    h.fault = { method: 'DELETE', path: /^\/open-banking\/consents\//, status: 503 };
    await assert.rejects(h.connector.revoke(h.def, state), (e: unknown) => e instanceof InstitutionDownError && e.retryable);
  });

  it('keeps the dates it was given, within the 12 months OFB serves', async () => {
    const { state } = await accessState(h);
    h.calls.length = 0;
    await extract(state, 'TRANSACTIONS', { dateFrom: spDay(h, -500), dateTo: spDay(h) });
    const asked = h.calls.find((c) => /accounts\/v2\/accounts\/[^/]+\/transactions\?/.test(c));
    assert.ok(asked);
    const from = new URLSearchParams(asked.split('?')[1]).get('fromBookingDate')!;
    assert.ok(from > spDay(h, -367) && from <= spDay(h, -364), `from ${from}`);
  });
});
