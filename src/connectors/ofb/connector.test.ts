/**
 * The OFB connector against the in-process sandbox bank: consent → login → every resource, the
 * next day's refresh, token renewal, the customer refusing, the consent ending at the bank or by
 * expiry (with Belvo's CONSENT notices), the tenant's now carried to the bank, and revocation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertSchema } from '../../../test/helpers/openapi.js';
import { ConsentEndedError, isCredentialsRejected, VinculoError } from '../../errors.js';
import type { ExtractedRecord, LoginRequest, ResourceName } from '../connector.js';
import { asServed, withAccount } from './mapping/testing.js';
import { ALL, accessState, consent, CPF, DAY, spDay, startHarness, type Harness } from './connector/testing.js';

describe('OFB connector over the sandbox bank', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  const login = (state: Record<string, unknown>, purpose: LoginRequest['purpose'] = 'access') =>
    h.connector.login({ institution: h.def, credentials: {}, state, purpose });
  const extract = (state: Record<string, unknown>, resource: ResourceName, window: { dateFrom?: string; dateTo?: string } = {}) =>
    h.connector.extract({ institution: h.def, credentials: {}, state, resource, now: new Date(h.clock.now), ...window });
  const successState = (o: Awaited<ReturnType<typeof login>>) => {
    assert.equal(o.kind, 'success');
    return o.kind === 'success' ? o.state : {};
  };
  const ids = (records: ExtractedRecord[]) => records.map((r) => r.internal_identification);

  it('serves the catalogue lazily and refuses logins that are not consents', async () => {
    assert.deepEqual(h.connector.institutions, [h.def]);
    assert.equal(h.entryLoads, 0, 'the bank is not touched before first use');
    await assert.rejects(login({}, 'register'), (e: VinculoError) => e.code === 'unsupported_operation' && /Connect widget/.test(e.message));
    await assert.rejects(
      h.connector.answerChallenge({ institution: h.def, credentials: {}, pending: {}, token: '123456' }),
      (e: VinculoError) => e.code === 'unsupported_operation',
    );
  });

  it('runs consent → login → every resource, and the next day finds new data under the same ids', async () => {
    const { started, finish } = await consent(h);
    assert.ok(!JSON.stringify(started.pending).includes(CPF), 'the pending consent holds no CPF');
    const done = await finish();
    assert.equal(h.sandbox.bank.consents.get(done.consentId)?.status, 'AUTHORISED');
    assert.ok(done.expiresAt && Date.parse(done.expiresAt) > h.clock.now + 80 * DAY);
    const state = done.state as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state, 'plain JSON');
    assert.ok(!JSON.stringify(state).includes(CPF), 'the state holds no CPF');
    assert.equal(typeof state.accessToken, 'string');
    assert.equal(typeof state.refreshToken, 'string');
    assert.equal(state.consentId, done.consentId);

    const s1 = successState(await login(done.state));
    const window = { dateFrom: spDay(h, -89), dateTo: spDay(h) };
    const accounts = await extract(s1, 'ACCOUNTS');
    const balances = await extract(s1, 'BALANCES');
    const transactions = await extract(s1, 'TRANSACTIONS', window);
    const owners = await extract(s1, 'OWNERS');

    const at = new Date(h.clock.now);
    assert.ok(accounts.some((a) => a.category === 'CREDIT_CARD') && accounts.some((a) => a.category !== 'CREDIT_CARD'), 'deposits and cards');
    assert.ok(transactions.length > 0 && balances.length > 0);
    for (const list of [accounts, balances, transactions, owners]) {
      assert.equal(new Set(ids(list)).size, list.length, 'unique internal_identifications');
      for (const r of list) assert.ok(typeof r.internal_identification === 'string' && r.internal_identification.length > 0);
    }
    for (const a of accounts) assertSchema('Account', asServed(a, at));
    for (const t of transactions) assertSchema('Transaction', withAccount(t, accounts, at));
    for (const b of balances) assertSchema('Balance', withAccount(b, accounts, at));
    for (const o of owners) assertSchema('Owner', asServed(o, at));
    assert.deepEqual(owners.map((o) => o.document_id), [{ document_type: 'CPF', document_number: CPF }]);

    // The next São Paulo day at 23:59 (UTC−3): its transactions (the bank's card purchases run from
    // 08:00 to 23:30 every day) have all happened, whatever the time of day the test runs at.
    const spNow = h.clock.now - 3 * 3_600_000;
    h.clock.advance(spNow - (spNow % DAY) + DAY + (23 * 60 + 59) * 60_000 + 3 * 3_600_000 - h.clock.now);
    const s2 = successState(await login(s1));
    assert.notEqual(s2.accessToken, s1.accessToken, 'the expired access token was renewed');
    assert.equal(s2.refreshToken, s1.refreshToken, 'OFB refresh tokens are not rotated');
    assert.deepEqual(ids(await extract(s2, 'ACCOUNTS')), ids(accounts));
    const later = await extract(s2, 'TRANSACTIONS', { dateFrom: window.dateFrom, dateTo: spDay(h) });
    const laterIds = new Set(ids(later));
    const settled = transactions.filter((t) => t.status === 'PROCESSED');
    assert.ok(settled.length > 0 && settled.every((t) => laterIds.has(t.internal_identification)), 'settled transactions keep their ids');
    assert.ok(later.some((t) => t.value_date === spDay(h)), "the new day's transactions");
  });

  it('renews the access token only when it is about to expire', async () => {
    const { state } = await accessState(h);
    h.clock.advance(10 * 60_000);
    const kept = successState(await login(state));
    assert.equal(kept.accessToken, state.accessToken, 'five minutes left: kept');
    h.clock.advance(6 * 60_000);
    const renewed = successState(await login(kept));
    assert.notEqual(renewed.accessToken, kept.accessToken);
    assert.ok(Date.parse(String(renewed.accessExpiresAt)) > h.clock.now + 10 * 60_000);
    assert.ok((await extract(renewed, 'ACCOUNTS')).length > 0, 'the new token reads data');
  });

  it('turns Rejeitar at the bank into consent_rejected, with nothing personal in the message', async () => {
    const { finish } = await consent(h, { decision: 'Rejeitar' });
    await assert.rejects(finish(), (e: VinculoError) => {
      assert.equal(e.code, 'consent_rejected');
      assert.equal(e.retryable, false);
      assert.ok(!e.message.includes(CPF));
      return true;
    });
  });

  it('ends the link when the customer revokes the consent at the bank', async () => {
    const { state, consentId } = await accessState(h);
    h.sandbox.bank.faults.revokeConsent(consentId);
    const check = (e: unknown) => {
      assert.ok(e instanceof ConsentEndedError && isCredentialsRejected(e));
      assert.deepEqual(e.notices, [
        {
          webhook_type: 'CONSENT',
          webhook_code: 'openfinance_consent_expired',
          data: {
            consent_id: consentId,
            action: 'renew',
            institution: h.def.name,
            institution_display_name: h.def.display_name,
            institution_icon_logo: null,
            consent_due_date: new Date(String(state.consentExpiresAt)).toISOString(),
            status: 'REJECTED',
            rejected_by: 'USER',
            rejection_reason: 'CUSTOMER_MANUALLY_REVOKED',
          },
        },
      ]);
      return true;
    };
    await assert.rejects(extract(state, 'ACCOUNTS'), check, 'a refused token during extraction checks the consent');
    await assert.rejects(login(state), check);
    await assert.rejects(login(state, 'update'), check);
  });

  it('says once, within 7 days of the expiry, that the consent is about to expire; then ends the link', async () => {
    const { state } = await accessState(h, { months: 3 });
    const due = Date.parse(String(state.consentExpiresAt));
    h.clock.advance(due - h.clock.now - 8 * DAY);
    const early = await login(state);
    assert.equal(early.kind === 'success' && early.notices, undefined, 'eight days before: nothing yet');
    h.clock.advance(2 * DAY);
    const warned = await login(successState(early));
    assert.ok(warned.kind === 'success');
    assert.deepEqual(warned.notices, [
      {
        webhook_type: 'CONSENT',
        webhook_code: 'openfinance_consent_about_to_expire',
        data: {
          consent_id: state.consentId,
          consent_due_date: new Date(due).toISOString(),
          action: 'renew',
          institution: h.def.name,
          institution_display_name: h.def.display_name,
          institution_icon_logo: null,
        },
      },
    ]);
    const again = await login(warned.state);
    assert.equal(again.kind === 'success' && again.notices, undefined, 'sent once');
    h.clock.advance(7 * DAY);
    await assert.rejects(login(successState(again)), (e: unknown) => {
      assert.ok(e instanceof ConsentEndedError);
      assert.equal(e.notices[0]?.webhook_code, 'openfinance_consent_expired');
      assert.equal(e.notices[0]?.data.status, 'REJECTED');
      assert.equal(e.notices[0]?.data.rejection_reason, 'CONSENT_MAX_DATE_REACHED');
      return true;
    });
  });

  it('follows the now each request brings (the tenant’s clock): the bank’s consent and data at that time, tokens on its own clock', async () => {
    const clockBefore = h.clock.now;
    // A tenant whose sandbox clock runs 40 days ahead of the bank's and the connector's.
    const at = (days: number) => new Date(clockBefore + (40 + days) * DAY);
    const done = await (await consent(h, { months: 3, now: at(0) })).finish();
    const atBank = h.sandbox.bank.consents.get(done.consentId);
    assert.equal(atBank?.creationDateTime.toISOString(), at(0).toISOString(), 'created at the tenant’s now');
    assert.ok(done.expiresAt && Date.parse(done.expiresAt) > at(0).getTime() + 85 * DAY, 'three months from the tenant’s now');

    const state = successState(await h.connector.login({ institution: h.def, credentials: {}, state: done.state, purpose: 'access', now: at(1) }));
    assert.equal((state.budget as { month: string }).month, new Date(at(1).getTime() - 3 * 3_600_000).toISOString().slice(0, 7), 'budgeted in the tenant’s month');
    assert.equal(state.accessToken, (done.state as Record<string, unknown>).accessToken, 'the token is fresh on the connector’s clock: kept');
    const transactions = await h.connector.extract({ institution: h.def, credentials: {}, state, resource: 'TRANSACTIONS', now: at(1), dateFrom: spDay(h, 30) });
    assert.ok(
      transactions.some((t) => t.status === 'PROCESSED' && String(t.value_date) > spDay(h, 30)),
      'the bank shows what happened by the tenant’s now, weeks past its own',
    );

    const due = Date.parse(String(state.consentExpiresAt));
    await assert.rejects(h.connector.login({ institution: h.def, credentials: {}, state, purpose: 'access', now: new Date(due + 3_600_000) }), (e: unknown) => {
      assert.ok(e instanceof ConsentEndedError);
      assert.equal(e.notices[0]?.data.rejection_reason, 'CONSENT_MAX_DATE_REACHED');
      return true;
    });
    assert.equal(h.sandbox.bank.consents.get(done.consentId)?.status, 'REJECTED', 'expired at the bank for the tenant');
    assert.equal(h.clock.now, clockBefore, 'neither the bank’s nor the connector’s clock moved');
  });

  it('revokes: the consent is REJECTED by the TPP at the bank, the link ends, and revoking again is harmless', async () => {
    const { state, consentId } = await accessState(h, { permissions: ALL });
    await h.connector.revoke(h.def, state);
    const atBank = h.sandbox.bank.consents.get(consentId);
    assert.equal(atBank?.status, 'REJECTED');
    assert.equal(atBank?.rejection?.rejectedBy, 'TPP');
    await assert.rejects(login(state), ConsentEndedError);
    await h.connector.revoke(h.def, state);
    await h.connector.revoke(h.def, {});
  });
});
