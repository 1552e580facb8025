import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Fault } from '../src/connectors/ofb/mock/resources/index.js';
import { BANK } from '../src/connectors/ofb/mock/resources/bank.js';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { describeStores } from './helpers/harness.js';
import { assertError, listAll } from './helpers/links.js';
import { OFB_INSTITUTION, ofbSuite, type Envelope } from './helpers/ofb.js';
import { waitFor } from './helpers/receiver.js';

/**
 * Open Finance Brasil links over time, through the server (public API, webhooks, the scheduler on
 * the tenant's sandbox clock), with the real OFB connector and the sandbox bank:
 *
 * - the bank's 429 (with Retry-After) and 423 put the refresh back — the link stays valid, no LINK
 *   or CONSENT webhook, nothing stored is touched — and the retry, once the bank answers again,
 *   stores the new data with the usual webhooks;
 * - a consent within seven days of its expiration says so once (Belvo's CONSENT
 *   `openfinance_consent_about_to_expire`), and ends the link once expired.
 *
 * Only the tenant's sandbox clock moves (`POST /sandbox/clock/advance/`): the connector and the
 * sandbox bank answer at the tenant's now, so its consents age and expire with it.
 */

const DAY = 86_400_000;
// One customer per consent, so each is found at the bank by its CPF.
const CPF_LIMITED = cpfFromBase('452137680');
const CPF_EXPIRING = cpfFromBase('318274650');
const CPF_RETRIEVED = cpfFromBase('527190364');

describeStores(
  'Open Finance Brasil links over time',
  (h) => {
    const s = ofbSuite(h);

    /** The link's objects as the API serves them, each list sorted by id. */
    async function stored(link: string) {
      const all = async (path: string) =>
        (await listAll(s.c, `/api/${path}/?link=${link}&page_size=1000`)).results.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return {
        accounts: await all('accounts'),
        transactions: await all('transactions'),
        owners: await all('owners'),
        balances: await all('balances'),
      };
    }

    const ids = (list: { id: string }[]) => list.map((o) => o.id);
    const problems = (events: readonly Pick<Envelope, 'webhook_type'>[]) => events.filter((e) => e.webhook_type === 'LINK' || e.webhook_type === 'CONSENT');

    let linkId = '';

    it('a consented link is loaded', async () => {
      linkId = await s.consentedLink(CPF_LIMITED);
      for (const type of ['ACCOUNTS', 'TRANSACTIONS', 'OWNERS', 'BALANCES']) await s.waitEvent(linkId, type, 'historical_update');
      const row = await waitFor('the first load', async () => {
        const r = await s.linkRow(linkId);
        return r.last_refresh_at && r.next_refresh_at ? r : null;
      }, 30_000);
      assert.equal(row.status, 'valid');
    });

    /**
     * The bank answers `fault` to every data call of the link's consent: the refresh at the next
     * slot is put back no earlier than `notBeforeSeconds`, and nothing else changes; then the bank
     * answers again and the retry stores the refresh.
     */
    async function refusedThenRetried(fault: Fault, notBeforeSeconds: number, whileRefused?: () => Promise<void>) {
      const [consent] = await s.consentsOf(CPF_LIMITED);
      assert.ok(consent);
      const before = await s.linkRow(linkId);
      assert.equal(before.refresh_attempts, 0);
      const slot = before.next_refresh_at!;
      const kept = await stored(linkId);
      for (const [kind, list] of Object.entries(kept)) assert.ok(list.length > 0, `${kind} stored by the first load`);
      const written = await s.written(linkId);
      const faults = await s.faults();
      faults.set(consent.consentId, fault);
      try {
        await s.passSlot(slot);
        const put = await waitFor('the refresh put back', async () => {
          const r = await s.linkRow(linkId);
          return r.refresh_attempts > 0 ? r : null;
        });
        // The bank's answer decides when to come back: not before Retry-After (or the backoff).
        assert.ok(put.next_refresh_at!.getTime() >= slot.getTime() + 60_000 + notBeforeSeconds * 1000, `retry at ${put.next_refresh_at!.toISOString()}`);
        assert.ok(put.next_refresh_at!.getTime() < slot.getTime() + 7 * DAY, `sooner than the next regular slot: ${put.next_refresh_at!.toISOString()} (slot ${slot.toISOString()})`);
        assert.equal(put.status, 'valid');
        assert.deepEqual(put.last_refresh_at, before.last_refresh_at, 'nothing was refreshed');
        assert.equal((await s.c.request('GET', `/api/links/${linkId}/`)).body.status, 'valid');
        await whileRefused?.();
        // Nothing was written: no webhook (no LINK or CONSENT error, no data) and no object changed.
        assert.deepEqual(await s.written(linkId), written);
        assert.deepEqual(await stored(linkId), kept);
      } finally {
        faults.clear(consent.consentId);
      }

      // The bank answers again: the retry stores the refresh with the usual webhooks.
      const seen = s.events(linkId).length;
      const retry = (await s.linkRow(linkId)).next_refresh_at!;
      await s.passSlot(retry);
      const after = await waitFor('the retry', async () => {
        const r = await s.linkRow(linkId);
        return r.last_refresh_at! > before.last_refresh_at! ? r : null;
      }, 30_000);
      assert.equal(after.status, 'valid');
      assert.equal(after.refresh_attempts, 0);
      assert.ok(after.next_refresh_at! > retry, 'the next refresh is planned');
      const hook = await waitFor('a TRANSACTIONS recurrent_update webhook', () =>
        s.events(linkId).slice(seen).find((e) => e.webhook_type === 'TRANSACTIONS' && e.process_type === 'recurrent_update'),
      );
      assert.match(hook.webhook_code, /^(new_transactions_available|transactions_updated|transactions_deleted)$/);
      assert.deepEqual(problems(await s.written(linkId)), [], 'no LINK or CONSENT webhook');

      // Nothing stored before is lost: accounts, owners and balances stay; settled transactions keep their ids.
      const now = await stored(linkId);
      for (const kind of ['accounts', 'owners', 'balances'] as const) {
        const present = new Set(ids(now[kind]));
        assert.deepEqual(ids(kept[kind]).filter((id) => !present.has(id)), [], `${kind} kept`);
      }
      const present = new Set(ids(now.transactions));
      const settled = kept.transactions.filter((t) => t.status === 'PROCESSED');
      assert.ok(settled.length > 0);
      assert.deepEqual(ids(settled).filter((id) => !present.has(id)), [], 'settled transactions kept');
    }

    it('429 with Retry-After: the refresh is put back past it, the link stays valid, and the retry stores the new data', async () => {
      await refusedThenRetried({ status: 429, retryAfter: 3600 }, 3600, async () => {
        // A retrieval meanwhile answers the bank's refusal, with its Retry-After, and changes nothing.
        const res = await s.c.request('POST', '/api/accounts/', { link: linkId, save_data: true });
        assertError(res, 400, 'institution_unavailable');
        assert.equal(res.headers['retry-after'], '3600');
      });
    });

    it('423: the refresh is put back (the backoff, as the bank gave no Retry-After), and retried as well', async () => {
      await refusedThenRetried({ status: 423 }, 300);
    });

    it('a consent within 7 days of its expiration: one CONSENT openfinance_consent_about_to_expire, not again; expired, the link ends', async () => {
      const link = await s.consentedLink(CPF_EXPIRING, 3);
      const loaded = await waitFor('the first load', async () => {
        const r = await s.linkRow(link);
        return r.last_refresh_at && r.next_refresh_at ? r : null;
      }, 30_000);
      const [consent] = await s.consentsOf(CPF_EXPIRING);
      assert.ok(consent?.expirationDateTime);
      const due = consent.expirationDateTime;
      const aboutToExpire = async () => (await s.written(link)).filter((e) => e.webhook_code === 'openfinance_consent_about_to_expire');
      assert.deepEqual(await aboutToExpire(), [], 'three months ahead: nothing to say');

      // The tenant's clock six days before the expiration: the link's slot has passed.
      const sixDaysBefore = new Date(due.getTime() - 6 * DAY);
      assert.ok(loaded.next_refresh_at! < sixDaysBefore);
      await s.advanceTo(sixDaysBefore);
      await waitFor('the refresh', async () => (await s.linkRow(link)).last_refresh_at! > loaded.last_refresh_at!, 30_000);
      const hook = await s.waitEvent(link, 'CONSENT', 'openfinance_consent_about_to_expire');
      assert.equal(hook.process_type, 'recurrent_update');
      assert.deepEqual(hook.data, {
        consent_id: consent.consentId,
        consent_due_date: due.toISOString(),
        action: 'renew',
        institution: OFB_INSTITUTION,
        institution_display_name: BANK.brandName,
        institution_icon_logo: null,
      });
      assert.equal((await s.linkRow(link)).status, 'valid');

      // The next refresh (run now, in the same week) says nothing more.
      const warned = await s.linkRow(link);
      const refreshed = await s.c.request('POST', `/sandbox/links/${link}/refresh/`);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(refreshed.body.status, 'valid');
      assert.ok((await s.linkRow(link)).last_refresh_at! > warned.last_refresh_at!, 'refreshed');
      assert.equal((await aboutToExpire()).length, 1, 'sent once');

      // Past the expiration: the bank has ended the consent; the link ends with LINK and CONSENT webhooks.
      const row = await s.linkRow(link);
      const expiredAt = new Date(Math.max(due.getTime() + 3_600_000, row.next_refresh_at!.getTime() + 60_000));
      await s.advanceTo(expiredAt);
      const invalid = await s.waitEvent(link, 'LINK', 'invalid_credentials');
      assert.equal(invalid.data.status, 400);
      const expired = await s.waitEvent(link, 'CONSENT', 'openfinance_consent_expired');
      assert.equal(expired.data.consent_id, consent.consentId);
      assert.equal(expired.data.consent_due_date, due.toISOString());
      assert.equal(expired.data.rejected_by, 'ASPSP');
      assert.equal(expired.data.rejection_reason, 'CONSENT_MAX_DATE_REACHED');
      assert.equal((await s.c.request('GET', `/api/links/${link}/`)).body.status, 'invalid');
      assert.equal((await aboutToExpire()).length, 1, 'still once');
      const received = s.events(link).filter((e) => e.webhook_code === 'openfinance_consent_about_to_expire');
      assert.equal(received.length, 1, 'delivered once');
    });

    it('a retrieval is the first to meet the last 7 days: it sends the CONSENT notice, and no later refresh repeats it', async () => {
      // A single link: no scheduled refresh meets the last week before the retrieval does.
      const link = await s.consentedLink(CPF_RETRIEVED, 3, { accessMode: 'single' });
      assert.equal((await s.linkRow(link)).next_refresh_at, null);
      const consent = (await s.consentsOf(CPF_RETRIEVED)).at(-1);
      assert.ok(consent?.expirationDateTime);
      await s.advanceTo(new Date(consent.expirationDateTime.getTime() - 6 * DAY));
      assert.deepEqual(await s.written(link), [], 'nothing happened to the link meanwhile');

      const retrieved = await s.c.request('POST', '/api/accounts/', { link });
      assert.equal(retrieved.status, 201, JSON.stringify(retrieved.body));
      const notices = (await s.written(link)).filter((e) => e.webhook_code === 'openfinance_consent_about_to_expire');
      assert.equal(notices.length, 1, 'written with the retrieval');
      assert.equal(notices[0]!.process_type, 'recurrent_update');
      const hook = await s.waitEvent(link, 'CONSENT', 'openfinance_consent_about_to_expire');
      assert.equal(hook.data.consent_id, consent.consentId);

      const refreshed = await s.c.request('POST', `/sandbox/links/${link}/refresh/`);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal((await s.written(link)).filter((e) => e.webhook_code === 'openfinance_consent_about_to_expire').length, 1, 'not again');
    });
  },
  { workers: true, listen: true },
);
