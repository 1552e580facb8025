/**
 * The login behaviour every sandbox institution shares: reserved usernames, passwords and tokens
 * make a login succeed, fail, time out or ask for MFA, so client code can exercise each path.
 * The table of rules is in docs/connectors.md.
 *
 * It is deterministic on purpose (no clock, no randomness): the same request always gives the same
 * outcome, and everything a later login must remember travels in the connector `state`.
 */
import { createHash } from 'node:crypto';
import { InstitutionTimeoutError, InvalidCredentialsError, InvalidTokenError } from '../../errors.js';
import type {
  ChallengeAnswer,
  ConnectorState,
  Credentials,
  DataConnector,
  ExtractedRecord,
  ExtractRequest,
  InstitutionDefinition,
  LoginOutcome,
  LoginRequest,
  TokenGenerationData,
} from '../connector.js';
import { extractSandbox } from './data/index.js';

/** The one MFA token the sandbox accepts. */
export const SANDBOX_TOKEN = '123456';
/** The password that is always rejected. */
export const WRONG_PASSWORD = 'wrong';

/** Username prefixes that select a behaviour; matched case-insensitively (so a CURP or RFC starting `MFA` works). */
export const SANDBOX_USERS = {
  mfa: 'mfa',
  expirePassword: 'expire_password',
  expireToken: 'expire_token',
  timeout: 'timeout',
  slow: 'slow',
} as const;

/** How long each data extraction of a `slow…` user takes: a slow bank, for shutdown and load drills. */
export const SLOW_EXTRACT_MS = 2_000;

/** Builds the challenge shown to the end user (Belvo's `token_generation_data`). */
export type ChallengeFactory = (institution: InstitutionDefinition, credentials: Credentials) => TokenGenerationData;

export const numericChallenge: ChallengeFactory = () => ({
  instructions: `Enter the 6-digit code sent to your phone (sandbox: ${SANDBOX_TOKEN})`,
  type: 'numeric',
  value: '',
  expects_user_input: true,
});

export interface SandboxOptions {
  /** Challenge at every login (register and later), not only `mfa…` users at registration. */
  challengeEveryLogin?: boolean;
  /** The institution's kind of challenge; numeric by default. */
  challenge?: ChallengeFactory;
}

/** What the sandbox remembers per link between logins (a type alias: it must fit `ConnectorState`). */
type SandboxState = {
  /** expire_password users: fingerprint of the password that expired after the first login. */
  expiredPassword?: string;
  /** expire_token users: the first login happened, so every later one needs a token. */
  tokenRequired?: true;
  /** Sandbox control `reset_login`: logins fail until the user gives credentials again (PUT). */
  loginRejected?: true;
  /** Sandbox control `require_token`: the next login asks for a token, once. */
  tokenOnce?: true;
};

/** What the sandbox controls (`POST /sandbox/links/{id}/…`) can make the institution do next. */
export type SandboxControl = 'reset_login' | 'require_token';

/** What the server keeps while a challenge is open. */
type SandboxPending = {
  /** The state to keep once the challenge is answered. */
  state: SandboxState;
  /** The challenge expected no input (QR, push): answering without a token confirms it. */
  confirmOnDevice: boolean;
};

/** A connector for a family of sandbox institutions; holds no state of its own. */
export class SandboxConnector implements DataConnector {
  private readonly challenge: ChallengeFactory;

  constructor(
    readonly institutions: readonly InstitutionDefinition[],
    private readonly options: SandboxOptions = {},
  ) {
    this.challenge = options.challenge ?? numericChallenge;
  }

  async login({ institution, credentials, token, state, purpose }: LoginRequest): Promise<LoginOutcome> {
    const username = credentials.username ?? '';
    const user = username.toLowerCase();
    const hasPassword = institution.form_fields.some((f) => f.name === 'password');
    const password = credentials.password ?? '';

    if (hasPassword && password === '') throw new InvalidCredentialsError();
    if (user.startsWith(SANDBOX_USERS.timeout)) throw new InstitutionTimeoutError();
    if (hasPassword && password === WRONG_PASSWORD) throw new InvalidCredentialsError();

    const previous = readState(state);
    if (previous.loginRejected && purpose !== 'update') throw new InvalidCredentialsError();
    const fingerprint = hasPassword ? passwordFingerprint(institution, username, password) : undefined;
    if (previous.expiredPassword !== undefined && previous.expiredPassword === fingerprint) {
      throw new InvalidCredentialsError();
    }

    const next: SandboxState = { ...previous };
    delete next.loginRejected;
    delete next.tokenOnce;
    // The first successful login is what expires the password; later ones must not expire the new one.
    if (user.startsWith(SANDBOX_USERS.expirePassword) && fingerprint && !next.expiredPassword) next.expiredPassword = fingerprint;
    if (user.startsWith(SANDBOX_USERS.expireToken)) next.tokenRequired = true;

    const needsToken =
      this.options.challengeEveryLogin === true ||
      (user.startsWith(SANDBOX_USERS.mfa) && purpose === 'register') ||
      previous.tokenRequired === true ||
      previous.tokenOnce === true;
    if (!needsToken) return { kind: 'success', state: next };
    // A token sent up front answers the challenge before it is asked.
    if (token) return checkToken(token, next);

    const challenge = this.challenge(institution, credentials);
    const pending: SandboxPending = { state: next, confirmOnDevice: !challenge.expects_user_input };
    return { kind: 'challenge', challenge, pending };
  }

  async answerChallenge({ pending, token }: ChallengeAnswer): Promise<LoginOutcome> {
    const open = readPending(pending);
    // QR / push: the user confirmed on their device, so the resume call carries no token.
    if (!token && open.confirmOnDevice) return { kind: 'success', state: open.state };
    return checkToken(token, open.state);
  }

  /** The sandbox controls: returns the link's connector state with the behaviour armed. */
  control(action: SandboxControl, state: ConnectorState): ConnectorState {
    const next: SandboxState = { ...readState(state) };
    if (action === 'reset_login') next.loginRejected = true;
    else next.tokenOnce = true;
    return next;
  }

  /** Deterministic generated data (see ./data/index.ts): a function of username, institution and `now`. */
  async extract(request: ExtractRequest): Promise<ExtractedRecord[]> {
    if ((request.credentials.username ?? '').toLowerCase().startsWith(SANDBOX_USERS.slow)) {
      await new Promise((resolve) => setTimeout(resolve, SLOW_EXTRACT_MS));
    }
    return extractSandbox(request);
  }
}

function checkToken(token: string | undefined, state: SandboxState): LoginOutcome {
  if (token !== SANDBOX_TOKEN) throw new InvalidTokenError();
  return { kind: 'success', state };
}

/**
 * Identifies a password without keeping it: the state is sealed, but still should not hold a
 * secret the link's credentials already hold. Salted with institution and username so equal
 * passwords of different users give different fingerprints.
 */
function passwordFingerprint(institution: InstitutionDefinition, username: string, password: string): string {
  return createHash('sha256').update(JSON.stringify(['vinculo-sandbox', institution.name, username, password])).digest('hex');
}

/** State comes back from storage; keep only what this connector wrote. */
function readState(state: ConnectorState): SandboxState {
  const out: SandboxState = {};
  if (typeof state.expiredPassword === 'string') out.expiredPassword = state.expiredPassword;
  if (state.tokenRequired === true) out.tokenRequired = true;
  if (state.loginRejected === true) out.loginRejected = true;
  if (state.tokenOnce === true) out.tokenOnce = true;
  return out;
}

function readPending(pending: ConnectorState): SandboxPending {
  const state = pending.state !== null && typeof pending.state === 'object' ? (pending.state as ConnectorState) : {};
  return { state: readState(state), confirmOnDevice: pending.confirmOnDevice === true };
}
