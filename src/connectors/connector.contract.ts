/**
 * The contract every connector is tested against: one shared suite, run from each connector's own
 * `*.test.ts` (`runConnectorContract({ name, make })`). The definition checks always run; the
 * login cases follow the sandbox conventions (docs/connectors.md) and can be skipped, each with
 * the reason it does not apply.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstitutionTimeoutError, InvalidCredentialsError } from '../errors.js';
import {
  CREDENTIAL_FIELDS,
  INSTITUTION_TYPES,
  RESOURCES,
  type Connector,
  type ConnectorState,
  type Credentials,
  type InstitutionDefinition,
  type LoginOutcome,
  type LoginRequest,
} from './connector.js';

export const CONTRACT_CASES = [
  'any_username',
  'login',
  'wrong_password',
  'mfa_register',
  'mfa_later',
  'expire_password',
  'expire_token',
  'timeout',
  'deterministic',
] as const;
export type ContractCase = (typeof CONTRACT_CASES)[number];

export interface ContractOptions {
  /** Suite title, usually the connector's family. */
  name: string;
  /** Builds the connector under test; called once per case, and twice by the determinism case. */
  make: () => Connector;
  /** Login cases that do not apply to this connector, each with the reason (shown as the skip message). */
  skip?: Partial<Record<ContractCase, string>>;
}

/**
 * Usernames the sandbox conventions accept at every institution, as Belvo's sandbox does ("any
 * combination of username and password"): none of them reserved, most shaped like no document.
 */
export const ANY_USERNAMES: readonly string[] = [
  'user_valid',
  'any thing',
  'José Ñúñez 名前 😀',
  'x'.repeat(200),
  '12AB',
  'a.b@example.com',
  ' padded ',
  'tab\tinside',
  'ABCD800101XY1',
  'GOMC800101HDFRRR09',
  '1020304050',
];
/** Passwords the sandbox accepts (anything non-empty but `wrong`). */
export const ANY_PASSWORDS: readonly string[] = ['pass_valid', 'any thing', 'ñ😀', 'p'.repeat(200), ' '];
/** One user of each reserved prefix (docs/connectors.md), in the cases the contract uses them. */
export const RESERVED_USERNAMES: readonly string[] = ['mfa_user', 'expire_password_user', 'expire_token_user', 'timeout_user'];

const TOKEN = '123456';
const BAD_TOKEN = '000000';
const NAME = /^[a-z]+_[a-z]{2}_[a-z]+$/;
/** Regex syntax JavaScript accepts but PostgreSQL does not (lookbehind, named groups, \p{}, \u{}). */
const NOT_POSTGRES = /\(\?<|\\k<|\\p\{|\\P\{|\\u\{/;

export function runConnectorContract({ name, make, skip = {} }: ContractOptions): void {
  describe(`connector contract: ${name}`, () => {
    describe('definitions', () => {
      const institutions = make().institutions;
      it('declares at least one institution, with unique ids and names', () => {
        assert.ok(institutions.length > 0);
        assert.equal(new Set(institutions.map((d) => d.id)).size, institutions.length, 'unique ids');
        assert.equal(new Set(institutions.map((d) => d.name)).size, institutions.length, 'unique names');
      });
      for (const def of institutions) it(`${def.name} is well formed`, () => checkDefinition(def));
    });

    for (const def of make().institutions) {
      describe(def.name, () => {
        const hasPassword = def.form_fields.some((f) => f.name === 'password');
        const noPassword = hasPassword ? undefined : 'the form has no password field';
        const when = (c: ContractCase, auto?: string) => ({ skip: skip[c] ?? auto ?? false });
        const creds = (username: string, password = 'pass_valid') => credentialsFor(def, username, password);
        const req = (credentials: Credentials, extra: Partial<LoginRequest> = {}): LoginRequest => ({
          institution: def,
          credentials,
          state: {},
          purpose: 'register',
          ...extra,
        });

        it('any_username: the form accepts any username and password, reserved ones too, and each logs in', when('any_username'), async () => {
          for (const username of [...ANY_USERNAMES, ...RESERVED_USERNAMES]) {
            for (const [what, pattern] of usernameRules(def)) {
              assert.ok(new RegExp(pattern).test(username), `${what} (${pattern}) accepts ${JSON.stringify(username)}`);
            }
          }
          for (const f of def.form_fields.filter((f) => f.type === 'password')) {
            for (const password of ANY_PASSWORDS) {
              assert.ok(new RegExp(f.validation).test(password), `${f.name} (${f.validation}) accepts ${JSON.stringify(password)}`);
            }
          }
          const c = make();
          for (const username of ANY_USERNAMES) {
            // Institutions that challenge at every login are answered as an end user would.
            const credentials = creds(username);
            const state = await settle(c, def, credentials, c.login(req(credentials)));
            await settle(c, def, credentials, c.login(req(credentials, { state, purpose: 'access' })));
          }
          if (hasPassword) {
            for (const password of ANY_PASSWORDS) await settle(c, def, creds('user_valid', password), c.login(req(creds('user_valid', password))));
          }
        });

        it('login: any username with a non-empty password logs in, and again with the state it kept', when('login'), async () => {
          const c = make();
          const first = success(await c.login(req(creds('user_valid'))));
          assert.deepEqual(JSON.parse(JSON.stringify(first)), first, 'state is plain JSON');
          success(await c.login(req(creds('user_valid'), { state: first, purpose: 'access' })));
        });

        it('wrong_password: `wrong` (or an empty password) is InvalidCredentialsError', when('wrong_password', noPassword), async () => {
          const c = make();
          await assert.rejects(c.login(req(creds('user_valid', 'wrong'))), InvalidCredentialsError);
          await assert.rejects(c.login(req(creds('user_valid', 'wrong'), { purpose: 'update' })), InvalidCredentialsError);
          await assert.rejects(c.login(req(creds('user_valid', ''))), InvalidCredentialsError);
        });

        it('mfa_register: an mfa… user is challenged; 000000 fails, 123456 succeeds, also up front', when('mfa_register'), async () => {
          const c = make();
          const credentials = creds('mfa_user');
          const out = await c.login(req(credentials));
          assert.equal(out.kind, 'challenge');
          if (out.kind !== 'challenge') return;
          assert.ok(out.challenge.instructions.length > 0 && out.challenge.type.length > 0);
          assert.equal(typeof out.challenge.expects_user_input, 'boolean');
          const answer = (token?: string) => c.answerChallenge({ institution: def, credentials, pending: out.pending, token });
          await assert.rejects(answer(BAD_TOKEN), InvalidCredentialsError);
          // A wrong token leaves the challenge open: the same pending state still answers.
          success(await answer(TOKEN));
          if (out.challenge.expects_user_input) await assert.rejects(answer(undefined), InvalidCredentialsError);
          else success(await answer(undefined));
          success(await c.login(req(credentials, { token: TOKEN })));
          await assert.rejects(c.login(req(credentials, { token: BAD_TOKEN })), InvalidCredentialsError);
        });

        it('mfa_later: an mfa… user is challenged at registration only', when('mfa_later'), async () => {
          const c = make();
          const credentials = creds('mfa_user');
          const state = await settle(c, def, credentials, c.login(req(credentials)));
          success(await c.login(req(credentials, { state, purpose: 'update' })));
          success(await c.login(req(credentials, { state, purpose: 'access' })));
        });

        it('expire_password: the password expires after one login; a different one repairs it', when('expire_password', noPassword), async () => {
          const c = make();
          const old = creds('expire_password_user', 'old-pass');
          const renewed = creds('expire_password_user', 'new-pass');
          const first = await settle(c, def, old, c.login(req(old)));
          assert.ok(!JSON.stringify(first).includes('old-pass'), 'the state never holds the password');
          await assert.rejects(c.login(req(old, { state: first, purpose: 'update' })), InvalidCredentialsError);
          await assert.rejects(c.login(req(old, { state: first, purpose: 'access' })), InvalidCredentialsError);
          const fixed = await settle(c, def, renewed, c.login(req(renewed, { state: first, purpose: 'update' })));
          const later = await settle(c, def, renewed, c.login(req(renewed, { state: fixed, purpose: 'access' })));
          await settle(c, def, renewed, c.login(req(renewed, { state: later, purpose: 'access' })));
          await assert.rejects(c.login(req(old, { state: later, purpose: 'update' })), InvalidCredentialsError);
        });

        it('expire_token: after one login, every login needs a token', when('expire_token'), async () => {
          const c = make();
          const credentials = creds('expire_token_user');
          const first = await settle(c, def, credentials, c.login(req(credentials)));
          for (const purpose of ['update', 'access'] as const) {
            const out = await c.login(req(credentials, { state: first, purpose }));
            assert.equal(out.kind, 'challenge', `${purpose} without a token`);
            if (out.kind !== 'challenge') return;
            const answer = (token: string) => c.answerChallenge({ institution: def, credentials, pending: out.pending, token });
            await assert.rejects(answer(BAD_TOKEN), InvalidCredentialsError);
            const done = success(await answer(TOKEN));
            success(await c.login(req(credentials, { state: done, purpose, token: TOKEN })));
            assert.equal((await c.login(req(credentials, { state: done, purpose }))).kind, 'challenge', 'still needs one later');
          }
        });

        it('timeout: a timeout… user is InstitutionTimeoutError', when('timeout'), async () => {
          const c = make();
          await assert.rejects(c.login(req(creds('timeout_user'))), InstitutionTimeoutError);
          await assert.rejects(c.login(req(creds('timeout_user'), { purpose: 'access' })), InstitutionTimeoutError);
        });

        it('deterministic: the same request twice gives the same outcome and state', when('deterministic'), async () => {
          const expireToken = creds('expire_token_user');
          const scenarios: Record<string, (c: Connector) => Promise<unknown>> = {
            plain: (c) => c.login(req(creds('user_valid'))),
            mfa: (c) => c.login(req(creds('mfa_user'))),
            'mfa, token up front': (c) => c.login(req(creds('mfa_user'), { token: TOKEN })),
            'expire_password, first login': (c) => c.login(req(creds('expire_password_user'))),
            'expire_token, second login': async (c) => {
              const state = await settle(c, def, expireToken, c.login(req(expireToken)));
              return c.login(req(expireToken, { state, purpose: 'access' }));
            },
            wrong: (c) => c.login(req(creds('user_valid', 'wrong'))),
            timeout: (c) => c.login(req(creds('timeout_user'))),
          };
          for (const [scenario, run] of Object.entries(scenarios)) {
            assert.deepEqual(await outcomeOf(() => run(make())), await outcomeOf(() => run(make())), scenario);
          }
        });
      });
    }
  });
}

function checkDefinition(def: InstitutionDefinition): void {
  assert.match(def.name, NAME);
  assert.ok(Number.isInteger(def.id) && def.id > 0 && def.id <= 2 ** 31 - 1, 'id is a positive int32');
  assert.ok(INSTITUTION_TYPES.includes(def.type), `type ${def.type}`);
  assert.ok(def.display_name.trim().length > 0, 'display_name');
  assert.ok(def.country_codes.length > 0 && def.country_codes.every((c) => /^[A-Z]{2}$/.test(c)), 'country_codes');
  const country = def.name.split('_')[1].toUpperCase();
  assert.ok(def.country_codes.includes(country), `the name's country ${country} is in country_codes`);
  assert.match(def.primary_color, /^#[0-9a-fA-F]{6}$/);
  if (def.website !== null) assert.match(def.website, /^https:\/\/\S+$/);
  for (const logo of [def.logo, def.icon_logo, def.text_logo]) {
    if (logo !== null) assert.match(logo, /^(https:\/\/|\/)\S+$/, 'logos are absolute URLs or site paths');
  }
  assert.ok(def.resources.length > 0, 'resources is not empty');
  assert.equal(new Set(def.resources).size, def.resources.length, 'resources are unique');
  for (const r of def.resources) assert.ok(RESOURCES.includes(r), `resource ${r}`);
  assert.ok(['credentials', 'openbanking'].includes(def.integration_type));
  for (const f of def.features) assert.ok(f.name.length > 0 && f.description.length > 0, 'feature name and description');

  assert.ok(def.form_fields.length > 0, 'a login form');
  assert.ok(def.form_fields.some((f) => f.name === 'username'), 'a username field');
  assert.equal(new Set(def.form_fields.map((f) => f.name)).size, def.form_fields.length, 'field names are unique');
  for (const f of def.form_fields) {
    assert.ok(CREDENTIAL_FIELDS.includes(f.name), `field ${f.name}`);
    assert.ok(['text', 'password', 'select'].includes(f.type), `${f.name} type ${f.type}`);
    assert.ok(f.label.length > 0 && f.validation_message.length > 0, `${f.name} label and validation_message`);
    checkPattern(f.validation, f.name);
    if (f.type === 'select') {
      assert.ok(f.values && f.values.length > 0, `${f.name} lists its values`);
      assert.equal(new Set(f.values.map((v) => v.code)).size, f.values.length, `${f.name} codes are unique`);
      for (const v of f.values) {
        assert.ok(v.label.length > 0, `${f.name}=${v.code} label`);
        checkPattern(v.validation, `${f.name}=${v.code}`);
        assert.ok(new RegExp(v.validation).test(v.placeholder), `${f.name}=${v.code} placeholder matches its validation`);
      }
    }
  }
  // The catalogue is stored as JSON: nothing may be lost on the way (undefined, class instances).
  assert.deepEqual(JSON.parse(JSON.stringify(def)), { ...def });
}

/**
 * The rules a username must pass in this form: the username field's `validation`, and each
 * select value's `validation` (it applies to the username, e.g. a document number per document type).
 */
function usernameRules(def: InstitutionDefinition): [string, string][] {
  const rules: [string, string][] = [];
  for (const f of def.form_fields) {
    if (f.name === 'username') rules.push(['username', f.validation]);
    for (const v of f.values ?? []) rules.push([`${f.name}=${v.code}`, v.validation]);
  }
  return rules;
}

/** Anchored, valid in JavaScript, and free of syntax PostgreSQL's regex engine lacks. */
function checkPattern(pattern: string, what: string): void {
  assert.doesNotThrow(() => new RegExp(pattern), `${what}: validation compiles`);
  assert.ok(pattern.startsWith('^') && pattern.endsWith('$'), `${what}: validation is anchored`);
  assert.doesNotMatch(pattern, NOT_POSTGRES, `${what}: validation is PostgreSQL compatible`);
}

/** Fills the institution's form: the given username and password, the first code of each select. */
function credentialsFor(def: InstitutionDefinition, username: string, password: string): Credentials {
  const credentials: Credentials = {};
  for (const f of def.form_fields) {
    if (f.name === 'username') credentials.username = username;
    else if (f.type === 'password') credentials[f.name] = password;
    else if (f.values?.length) credentials[f.name] = f.values[0].code;
    else if (!f.optional) credentials[f.name] = f.placeholder;
  }
  return credentials;
}

function success(outcome: LoginOutcome): ConnectorState {
  assert.equal(outcome.kind, 'success', `expected success, got ${JSON.stringify(outcome)}`);
  return outcome.kind === 'success' ? outcome.state : {};
}

/**
 * Drives a login to success the way an end user would: answers each challenge with the sandbox
 * token (or with nothing when it expects no input). Lets sequences run on institutions that
 * challenge at every login.
 */
async function settle(
  c: Connector,
  institution: InstitutionDefinition,
  credentials: Credentials,
  login: Promise<LoginOutcome>,
): Promise<ConnectorState> {
  let outcome = await login;
  for (let round = 0; outcome.kind === 'challenge' && round < 3; round++) {
    const token = outcome.challenge.expects_user_input ? TOKEN : undefined;
    outcome = await c.answerChallenge({ institution, credentials, pending: outcome.pending, token });
  }
  return success(outcome);
}

/** The outcome, or the error's class and code, as plain data to compare. */
async function outcomeOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    return { error: (err as Error).name, code: (err as { code?: unknown }).code };
  }
}
