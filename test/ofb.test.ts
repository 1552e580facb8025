import assert from 'node:assert/strict';
import { it } from 'node:test';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { describeStores } from './helpers/harness.js';
import { assertError, listAll } from './helpers/links.js';
import { APP, OFB_INSTITUTION, ofbSuite, postCallback } from './helpers/ofb.js';
import { assertSchema } from './helpers/openapi.js';
import { waitFor } from './helpers/receiver.js';

/**
 * Open Finance Brasil links end to end, with the real OFB connector and the sandbox bank
 * `ofmockbank_br_retail` (started in the server's process at its first use): the widget's consent,
 * the user at the bank (its pages walked with plain fetch), the callback, the first load and a
 * refresh with their webhooks, a consent revoked at the bank, and a link deleted by the client.
 */

// One customer per consent, so each is found at the bank by its CPF.
const CPF = cpfFromBase('529982247');
const CPF_REJECTS = cpfFromBase('111444777');
const CPF_DELETED = cpfFromBase('390533447');

describeStores(
  'Open Finance Brasil links end to end',
  (h) => {
    const s = ofbSuite(h);
    const { events, waitEvent, linkRow, bank, passSlot, consentsOf, atTheBank, consentedLink } = s;
    let linkId = '';

    it('POST /api/links/ refuses the OFB sandbox bank: its links come from a consent', async () => {
      const res = await s.c.request('POST', '/api/links/', { institution: OFB_INSTITUTION, username: CPF, password: 'x' });
      assertError(res, 400, 'unsupported_operation');
    });

    it('Autorizar at the bank → the callback creates a valid link and sends the user to the success URL', async () => {
      const callback = await atTheBank(CPF, 'Autorizar');
      // The callback page is served where the bank sent the user.
      const page = await fetch(new URL(callback.pathname, callback));
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script src="\/ofb\/callback\.js"><\/script>/);

      const done = await postCallback(callback);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.outcome, 'success', JSON.stringify(done.body));
      linkId = done.body.link;
      const redirect = new URL(done.body.redirect_url);
      assert.equal(`${redirect.origin}${redirect.pathname}`, `${APP}/success`);
      assert.equal(redirect.searchParams.get('link'), linkId);
      assert.equal(redirect.searchParams.get('institution'), OFB_INSTITUTION);

      const link = await s.c.request('GET', `/api/links/${linkId}/`);
      assert.equal(link.status, 200, JSON.stringify(link.body));
      assert.equal(link.body.status, 'valid');
      assert.equal(link.body.institution, OFB_INSTITUTION);
      assertSchema('Link', link.body);
      const [consent] = await consentsOf(CPF);
      assert.equal(consent?.status, 'AUTHORISED');

      // The state is single use: the same answer posted again finds no consent session.
      assertError(await postCallback(callback), 400, 'invalid', 'state');
    });

    it('the first load sends historical_update webhooks and stores accounts, a card, transactions and owners', async () => {
      for (const type of ['ACCOUNTS', 'TRANSACTIONS', 'OWNERS', 'BALANCES']) {
        const hook = await waitEvent(linkId, type, 'historical_update');
        assert.equal(hook.process_type, 'historical_update');
      }
      const accounts = await listAll(s.c, `/api/accounts/?link=${linkId}`);
      for (const a of accounts.results) assertSchema('Account', a);
      assert.equal(events(linkId).find((e) => e.webhook_type === 'ACCOUNTS')!.data.total_accounts, accounts.count);
      const checking = accounts.results.find((a) => a.category === 'CHECKING_ACCOUNT');
      assert.ok(checking, `a checking account in ${JSON.stringify(accounts.results.map((a) => a.category))}`);
      assert.equal(checking.balance_type, 'ASSET');
      assert.equal(typeof checking.balance.current, 'number');
      const card = accounts.results.find((a) => a.category === 'CREDIT_CARD');
      assert.ok(card, 'a credit card account');
      assert.ok(card.credit_data && typeof card.credit_data === 'object', 'the card has credit_data');
      assert.ok(accounts.results.every((a) => a.link === linkId && a.institution.name === OFB_INSTITUTION));

      const transactions = await listAll(s.c, `/api/transactions/?link=${linkId}&page_size=1000`);
      assert.ok(transactions.count > 0, 'transactions were loaded');
      for (const t of transactions.results) assertSchema('Transaction', t);
      assert.equal(events(linkId).find((e) => e.webhook_type === 'TRANSACTIONS')!.data.total_transactions, transactions.count);
      const accountsWithTx = new Set(transactions.results.map((t) => t.account.id));
      assert.ok(accountsWithTx.has(checking.id) && accountsWithTx.has(card.id), 'both the account and the card have transactions');

      const owners = await listAll(s.c, `/api/owners/?link=${linkId}`);
      assert.ok(owners.count >= 1, 'the customer is an owner');
      for (const o of owners.results) assertSchema('Owner', o);
      const balances = await listAll(s.c, `/api/balances/?link=${linkId}&date_from=2000-01-01&date_to=2100-01-01`);
      assert.ok(balances.count >= 1, 'balances were loaded');
      for (const b of balances.results) assertSchema('Balance', b);
    });

    it('at its next slot the scheduler refreshes the link: recurrent_update webhooks of what the bank changed', async () => {
      const before = await linkRow(linkId);
      assert.ok(before.last_refresh_at && before.next_refresh_at, 'the first load ran and planned a refresh');
      await passSlot(before.next_refresh_at);
      await waitFor('the refresh', async () => (await linkRow(linkId)).last_refresh_at! > before.last_refresh_at!, 30_000);
      // The bank's card transactions carry their collection instant: a refresh always updates some.
      const hook = await waitFor('a TRANSACTIONS recurrent_update webhook', () =>
        events(linkId).find((e) => e.webhook_type === 'TRANSACTIONS' && e.process_type === 'recurrent_update'),
      );
      assert.match(hook.webhook_code, /^(new_transactions_available|transactions_updated|transactions_deleted)$/);
      assert.ok(hook.data.count > 0, JSON.stringify(hook.data));
      const row = await linkRow(linkId);
      assert.equal(row.status, 'valid');
      assert.ok(row.next_refresh_at && row.next_refresh_at > before.next_refresh_at, 'the next refresh is planned');
      assert.ok(!events(linkId).some((e) => e.webhook_type === 'LINK' || e.webhook_type === 'CONSENT'), 'nothing wrong with the link');
    });

    it('a consent revoked at the bank: the next refresh makes the link invalid with LINK and CONSENT webhooks', async () => {
      const [consent] = await consentsOf(CPF);
      assert.ok(consent);
      (await bank()).faults.revokeConsent(consent.consentId);
      await passSlot((await linkRow(linkId)).next_refresh_at!);
      const invalid = await waitEvent(linkId, 'LINK', 'invalid_credentials');
      assert.equal(invalid.process_type, 'recurrent_update');
      assert.equal(invalid.data.status, 400);
      const expired = await waitEvent(linkId, 'CONSENT', 'openfinance_consent_expired');
      assert.equal(expired.data.consent_id, consent.consentId);
      assert.equal(expired.data.institution, OFB_INSTITUTION);
      // What the bank said: the customer revoked it.
      assert.equal(expired.data.rejected_by, 'USER');
      assert.equal(expired.data.rejection_reason, 'CUSTOMER_MANUALLY_REVOKED');
      const link = await s.c.request('GET', `/api/links/${linkId}/`);
      assert.equal(link.body.status, 'invalid');
      assert.equal((await linkRow(linkId)).next_refresh_at, null, 'an invalid link is not refreshed');
    });

    it('Rejeitar at the bank → the exit URL with consent_rejected, and no link', async () => {
      const callback = await atTheBank(CPF_REJECTS, 'Rejeitar');
      const done = await postCallback(callback);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.outcome, 'exit');
      assert.equal(done.body.link, undefined);
      assert.equal(done.body.last_encountered_error?.code, 'consent_rejected');
      const redirect = new URL(done.body.redirect_url);
      assert.equal(`${redirect.origin}${redirect.pathname}`, `${APP}/exit`);
      assert.equal(JSON.parse(redirect.searchParams.get('last_encountered_error')!).code, 'consent_rejected');
      assert.equal(redirect.searchParams.get('institution'), OFB_INSTITUTION);
      const [consent] = await consentsOf(CPF_REJECTS);
      assert.equal(consent?.status, 'REJECTED');
      // Replayed, the same answer is refused.
      assertError(await postCallback(callback), 400, 'invalid', 'state');
      const links = await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`);
      assert.equal(links.count, 1, 'only the first consent made a link');
    });

    it('DELETE /api/links/{id}/ revokes the consent at the bank (rejected by the TPP)', async () => {
      const id = await consentedLink(CPF_DELETED);
      // Deleted once its first load is over: a delete racing the load's writes is another matter.
      await waitFor('the first load', async () => (await linkRow(id)).last_refresh_at, 30_000);
      const [consent] = await consentsOf(CPF_DELETED);
      assert.equal(consent?.status, 'AUTHORISED');
      const res = await s.c.request('DELETE', `/api/links/${id}/`);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      const after = (await consentsOf(CPF_DELETED))[0]!;
      assert.equal(after.status, 'REJECTED');
      assert.equal(after.rejection?.rejectedBy, 'TPP');
      assert.equal((await s.c.request('GET', `/api/links/${id}/`)).status, 404);
    });
  },
  { workers: true, listen: true },
);
