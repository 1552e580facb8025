import assert from 'node:assert/strict';
import { it } from 'node:test';
import { cpfFromBase } from '../src/connectors/ofb/mock/resources/documents.js';
import { describeStores } from './helpers/harness.js';
import { assertError, listAll } from './helpers/links.js';
import { APP, callbackParams, OFB_INSTITUTION, ofbSuite, ofdaToken, postCallback, startConsent } from './helpers/ofb.js';
import { assertSchema } from './helpers/openapi.js';

/**
 * Open Finance Brasil links end to end, with the real OFB connector and the sandbox bank
 * `ofmockbank_br_retail` (started in the server's process at its first use): the widget's consent,
 * the user at the bank (its pages walked with plain fetch), the callback, the first load and a
 * refresh with their webhooks, a consent revoked at the bank, and a link deleted by the client; and
 * the ways a consent ends without a link: the user's Rejeitar, a login at the bank with another CPF,
 * the bank failing to create the consent or answering server_error to the authorization.
 */

// One customer per consent, so each is found at the bank by its CPF.
const CPF = cpfFromBase('529982247');
const CPF_REJECTS = cpfFromBase('111444777');
const CPF_DELETED = cpfFromBase('390533447');
const CPF_MISMATCH = cpfFromBase('738162940');
/** Another customer of the bank, who logs in where CPF_MISMATCH's consent was asked. */
const CPF_LOGGED_IN = cpfFromBase('873401265');
const CPF_BANK_DOWN = cpfFromBase('604827315');
const CPF_AUTH_DOWN = cpfFromBase('215904786');

describeStores(
  'Open Finance Brasil links end to end',
  (h) => {
    const s = ofbSuite(h);
    const { bank, consentsOf, atTheBank, consentedLink } = s;
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
      await s.firstLoad(linkId);
    });

    it('at its next slot the scheduler refreshes the link: recurrent_update webhooks of what the bank changed', async () => {
      await s.refreshAtNextSlot(linkId);
    });

    it('a consent revoked at the bank: the next refresh makes the link invalid with LINK and CONSENT webhooks', async () => {
      await s.revokeAtTheBank(linkId, CPF);
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
      await s.deleteRevokesConsent(await consentedLink(CPF_DELETED), CPF_DELETED);
    });

    it('another CPF logs in at the bank → the exit URL with consent_failed saying why, and no link', async () => {
      const before = (await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`)).count;
      const callback = await atTheBank(CPF_MISMATCH, 'Autorizar', { loginCpf: CPF_LOGGED_IN });
      // The bank refused the login for this consent and said so to Vinculo.
      assert.equal(callbackParams(callback).error, 'access_denied');
      const done = await postCallback(callback);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.outcome, 'exit');
      assert.equal(done.body.link, undefined);
      const error = done.body.last_encountered_error;
      assert.equal(error?.code, 'consent_failed', JSON.stringify(error));
      // Clear about the cause (the bank's reason, what usually causes it, the bank's own words), and nothing personal.
      assert.match(error.message, /INTERNAL_SECURITY_REASON/);
      assert.match(error.message, /another CPF than the one the consent was requested for/);
      assert.match(error.message, /the institution said: "CPF autenticado diverge do loggedUser"/);
      assert.ok(!error.message.includes(CPF_MISMATCH) && !error.message.includes(CPF_LOGGED_IN), error.message);
      const redirect = new URL(done.body.redirect_url);
      assert.equal(`${redirect.origin}${redirect.pathname}`, `${APP}/exit`);
      assert.deepEqual(JSON.parse(redirect.searchParams.get('last_encountered_error')!), error);
      assert.equal(redirect.searchParams.get('institution'), OFB_INSTITUTION);
      // The bank rejected the consent itself.
      const [consent] = await consentsOf(CPF_MISMATCH);
      assert.equal(consent?.status, 'REJECTED');
      assert.deepEqual(consent.rejection, { rejectedBy: 'ASPSP', reason: { code: 'INTERNAL_SECURITY_REASON', additionalInformation: 'CPF autenticado diverge do loggedUser' } });
      assert.deepEqual(await consentsOf(CPF_LOGGED_IN), [], 'nothing was consented for the CPF that logged in');
      assert.equal((await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`)).count, before, 'no link');
    });

    it('the bank fails to create the consent (500): POST /widget/api/consents/ answers institution_down, and the next try goes through', async () => {
      (await bank()).faults.failConsentCreation(CPF_BANK_DOWN, 500);
      const token = await ofdaToken(s.c, { cpf: CPF_BANK_DOWN, success: `${APP}/success`, exit: `${APP}/exit` });
      const failed = await startConsent(h().baseUrl, token, { months: 12 });
      const error = assertError(failed, 400, 'institution_down');
      assert.match(error.message, /down/);
      assert.deepEqual(await consentsOf(CPF_BANK_DOWN), [], 'no consent was created at the bank');
      // The widget can offer to try again with the same token: the bank answers this time.
      const again = await startConsent(h().baseUrl, token, { months: 12 });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.equal(new URL(again.body.redirect_url).origin, (await bank()).baseUrl);
      assert.equal((await consentsOf(CPF_BANK_DOWN))[0]?.status, 'AWAITING_AUTHORISATION');
    });

    it('the bank\'s authorization endpoint answers error=server_error → the exit URL with institution_down, and no link', async () => {
      const before = (await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`)).count;
      (await bank()).faults.failAuthorization(CPF_AUTH_DOWN, 'server_error');
      const callback = await atTheBank(CPF_AUTH_DOWN, 'Autorizar');
      assert.equal(callbackParams(callback).error, 'server_error');
      const done = await postCallback(callback);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.outcome, 'exit');
      assert.equal(done.body.link, undefined);
      assert.deepEqual(done.body.last_encountered_error, { code: 'institution_down', message: 'The financial institution is down, try again later' });
      const redirect = new URL(done.body.redirect_url);
      assert.equal(`${redirect.origin}${redirect.pathname}`, `${APP}/exit`);
      assert.equal(JSON.parse(redirect.searchParams.get('last_encountered_error')!).code, 'institution_down');
      // The user never answered at the bank: the consent waits there until it expires.
      assert.equal((await consentsOf(CPF_AUTH_DOWN))[0]?.status, 'AWAITING_AUTHORISATION');
      assert.equal((await listAll(s.c, `/api/links/?institution=${OFB_INSTITUTION}`)).count, before, 'no link');
    });
  },
  { workers: true, listen: true },
);
