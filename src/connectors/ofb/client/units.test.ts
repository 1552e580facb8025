/**
 * Pure parts of the OFB client: permission groups against the consents document, Retry-After,
 * redaction, status mapping, callback normalisation, OAuth error mapping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { PERMISSION_GROUPS } from '../mock/consents.js';
import { loadSpec } from '../spec/validate.js';
import { consentPath, zulu } from './consents.js';
import {
  errorForStatus,
  OfbAuthorizationError,
  OfbRateLimitedError,
  OfbRequestError,
  OfbResponseError,
  OfbUnauthorizedError,
  OfbUnavailableError,
  parseRetryAfter,
  redact,
} from './errors.js';
import { callbackUrl, mapOAuthError } from './oauth.js';
import { ofbPermissionsFor, type OfbProductGroup } from './permissions.js';

const NOW = new Date('2025-06-15T15:00:00Z');

describe('ofbPermissionsFor', () => {
  const documented: string[] = (loadSpec('consents') as any).components.schemas.CreateConsent.properties.data.properties.permissions.items.enum;
  const all: OfbProductGroup[] = ['REGISTER', 'ACCOUNTS', 'CREDIT_CARDS'];

  it('maps each group to its permissions plus RESOURCES_READ', () => {
    assert.deepEqual(ofbPermissionsFor(['ACCOUNTS']), ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'ACCOUNTS_TRANSACTIONS_READ', 'ACCOUNTS_OVERDRAFT_LIMITS_READ', 'RESOURCES_READ']);
    assert.deepEqual(ofbPermissionsFor(['REGISTER']), ['CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ', 'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ', 'RESOURCES_READ']);
    assert.equal(ofbPermissionsFor(['CREDIT_CARDS']).length, 6);
    const every = ofbPermissionsFor([...all, 'ACCOUNTS']);
    assert.equal(new Set(every).size, every.length, 'no duplicates');
    assert.throws(() => ofbPermissionsFor([]), TypeError);
  });

  it('only yields documented permissions, in complete groups of the consents table', () => {
    for (const groups of [['REGISTER'], ['ACCOUNTS'], ['CREDIT_CARDS'], all] as OfbProductGroup[][]) {
      const perms = ofbPermissionsFor(groups);
      for (const p of perms) {
        assert.ok(documented.includes(p), `${p} is in CreateConsent's enum`);
        const complete = Object.values(PERMISSION_GROUPS).some((g) => g.includes(p) && g.every((m) => perms.includes(m)));
        assert.ok(complete, `${p} belongs to a complete group for ${groups.join('+')}`);
      }
    }
  });
});

describe('errors', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('120', NOW), 120);
    assert.equal(parseRetryAfter('Sun, 15 Jun 2025 15:01:30 GMT', NOW), 90);
    assert.equal(parseRetryAfter('Sun, 15 Jun 2025 14:00:00 GMT', NOW), 0);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter('-5', NOW), undefined);
    assert.equal(parseRetryAfter(null, NOW), undefined);
  });

  it('maps statuses to the typed errors', () => {
    const d = { now: NOW, interactionId: 'id-1' };
    assert.ok(errorForStatus('x', 401, d) instanceof OfbUnauthorizedError);
    assert.ok(errorForStatus('x', 403, d) instanceof OfbUnauthorizedError);
    const limited = errorForStatus('x', 423, { ...d, retryAfter: '9' });
    assert.ok(limited instanceof OfbRateLimitedError && limited.retryAfterSeconds === 9 && limited.status === 423);
    assert.ok(errorForStatus('x', 503, d) instanceof OfbUnavailableError);
    assert.ok(errorForStatus('x', 422, d) instanceof OfbRequestError);
    assert.ok(errorForStatus('x', 302, d) instanceof OfbResponseError);
    assert.equal(errorForStatus('x', 500, d).interactionId, 'id-1');
  });

  it('masks documents and JWTs in bank-provided text', () => {
    const text = redact('cpf 529.982.247-25 / 52998224725 cnpj 11.222.333/0001-81 token eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln ok');
    assert.doesNotMatch(text, /\d{3}\.\d{3}|\d{11}|0001|eyJ/);
    assert.match(text, /\[document\].*\[jwt\] ok$/);
    assert.equal(redact('consent urn:bank:123 has 12 items'), 'consent urn:bank:123 has 12 items');
  });

  it('maps openid-client errors without keeping their cause', () => {
    const denied = mapOAuthError(
      new oidc.AuthorizationResponseError('x', { cause: new URLSearchParams({ error: 'access_denied', error_description: 'CPF 52998224725 refused' }) }),
      'callback',
      'callback',
      NOW,
    );
    assert.ok(denied instanceof OfbAuthorizationError);
    assert.equal(denied.code, 'access_denied');
    assert.equal(denied.description, 'CPF [document] refused');
    assert.equal(denied.cause, undefined);

    const claim = new oidc.ClientError('unexpected JWT claim value encountered', { cause: { claim: 'nonce' } });
    claim.code = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED';
    const inCallback = mapOAuthError(claim, 'grant', 'callback', NOW);
    assert.ok(inCallback instanceof OfbAuthorizationError && inCallback.code === 'invalid_callback');
    assert.ok(mapOAuthError(claim, 'refresh', 'endpoint', NOW) instanceof OfbResponseError);

    const unknown = new RangeError('bug');
    assert.equal(mapOAuthError(unknown, 'x', 'endpoint', NOW), unknown, 'programming errors pass through');
  });
});

describe('callbackUrl', () => {
  const redirect = 'https://vinculo.example/ofb/callback';

  it('puts the response in the fragment of the registered redirect_uri, however it arrived', async () => {
    const expected = `${redirect}#code=c&id_token=t&state=s`;
    assert.equal((await callbackUrl(`${redirect}#code=c&id_token=t&state=s`, redirect)).href, expected);
    assert.equal((await callbackUrl(new URL('https://proxy.internal/cb?code=c&id_token=t&state=s'), redirect)).href, expected);
    assert.equal((await callbackUrl({ code: 'c', id_token: 't', state: 's' }, redirect)).href, expected);
    const formPost = new Request(redirect, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=c&id_token=t&state=s',
    });
    assert.equal((await callbackUrl(formPost, redirect)).href, expected);
  });
});

describe('consents helpers', () => {
  it('formats dates without fractions and consent ids as path segments', () => {
    assert.equal(zulu(new Date('2025-06-15T15:00:00.123Z')), '2025-06-15T15:00:00Z');
    assert.throws(() => zulu('not a date'), TypeError);
    assert.equal(consentPath('urn:bank:a/b'), '/open-banking/consents/v3/consents/urn:bank:a%2Fb');
    assert.throws(() => consentPath('../x'), TypeError);
  });
});
