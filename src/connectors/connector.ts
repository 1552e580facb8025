/**
 * The connector contract: the code that sits behind an institution, logs in with an end user's
 * credentials and (from the link-data issue on) extracts resources.
 *
 * Terminology
 * - institution definition: the catalogue entry a connector declares (what `GET /api/institutions/` shows).
 * - credentials: what the end user typed in the login form (`form_fields`); never logged, only sealed by the vault.
 * - connector state: opaque JSON a connector keeps per link between logins (e.g. "this password was rotated").
 *   The server stores it sealed next to the credentials and hands it back on the next login.
 * - challenge: an MFA step. The connector returns it with `pending`, opaque state the server keeps sealed in
 *   the MFA session and passes back to `answerChallenge` with the user's token.
 *
 * Connectors signal failures by throwing the domain errors of `./errors.ts` (InvalidCredentialsError,
 * InstitutionDownError, InstitutionTimeoutError...), never HTTP errors.
 */

export const INSTITUTION_TYPES = ['bank', 'fiscal', 'employment'] as const;
export type InstitutionType = (typeof INSTITUTION_TYPES)[number];

export const RESOURCES = [
  'ACCOUNTS',
  'TRANSACTIONS',
  'OWNERS',
  'BALANCES',
  'INVOICES',
  'TAX_RETURNS',
  'TAX_STATUS',
  'TAX_COMPLIANCE_STATUS',
  'EMPLOYMENT_RECORDS',
] as const;
export type ResourceName = (typeof RESOURCES)[number];

/** Names a login form field may have; they are also the credential keys of `Credentials`. */
export const CREDENTIAL_FIELDS = ['username', 'username2', 'username3', 'password', 'password2', 'username_type'] as const;
export type CredentialField = (typeof CREDENTIAL_FIELDS)[number];

export interface FormFieldValue {
  code: string;
  label: string;
  /**
   * A regular expression for the username when this code is chosen (e.g. the document number of
   * this document type). The Connect widget checks it in the browser; the server checks the code
   * and the username field's own `validation`.
   */
  validation: string;
  validation_message: string;
  placeholder: string;
}

/** One field of an institution's login form, exactly as Belvo's `InstitutionsFormField`. */
export interface FormField {
  name: CredentialField;
  type: 'text' | 'password' | 'select';
  label: string;
  /**
   * A regular expression (JavaScript and PostgreSQL compatible) the value must match. The server
   * checks it with JavaScript semantics (`new RegExp(validation).test(value)`) before calling the
   * connector, answering 400 `invalid` on the field with `validation_message`; the Connect widget
   * checks the same in the browser. So it must accept every value the connector can log in with.
   */
  validation: string;
  placeholder: string;
  validation_message: string;
  /** For `select` fields (`username_type`): the allowed codes. */
  values?: FormFieldValue[];
  /** Vinculo extension: the field may be left out (never shown in Belvo's catalogue). */
  optional?: boolean;
}

export interface InstitutionFeature {
  name: string;
  description: string;
}

/** What a connector declares about one institution. `status` is runtime state, kept by the server. */
export interface InstitutionDefinition {
  /** Stable integer id; never reuse one. */
  id: number;
  /** Belvo code, `<brand>_<country>_<kind>`, e.g. `erebor_mx_retail`. */
  name: string;
  type: InstitutionType;
  display_name: string;
  website: string | null;
  country_codes: string[];
  primary_color: string;
  logo: string | null;
  icon_logo: string | null;
  text_logo: string | null;
  form_fields: FormField[];
  features: InstitutionFeature[];
  resources: ResourceName[];
  integration_type: 'credentials' | 'openbanking';
}

/** What the end user typed. Only the fields of the institution's form are present. */
export type Credentials = Partial<Record<CredentialField, string>>;

export type ConnectorState = Record<string, unknown>;

/** Belvo's `token_generation_data`, shown to the end user to produce the token. */
export interface TokenGenerationData {
  instructions: string;
  type: string;
  /** What to show: the QR payload for a QR challenge, '' where there is nothing to show (Belvo types it a string). */
  value: string;
  /** false: the user confirms elsewhere (QR, push); the resume call carries no token. */
  expects_user_input: boolean;
}

export interface LoginRequest {
  institution: InstitutionDefinition;
  credentials: Credentials;
  /** A token sent up front (register / PUT `token`). */
  token?: string;
  /** State saved from this link's previous logins; `{}` for a new link. */
  state: ConnectorState;
  /** Why the server logs in, so a connector can behave like a real institution does on first vs later logins. */
  purpose: 'register' | 'update' | 'access';
  /**
   * The tenant's now (its sandbox clock), as `ExtractRequest.now`. Given wherever the caller knows
   * the tenant (refreshes, retrievals); a connector whose logins depend on time (consent expiry,
   * monthly budgets) uses it, and its own clock when absent.
   */
  now?: Date;
}

/**
 * A webhook the server sends on a connector's behalf, besides the ones it derives itself (e.g.
 * Belvo's `CONSENT` webhooks of Open Finance links). `data` never holds credentials or tokens.
 */
export interface ConnectorNotice {
  webhook_type: string;
  webhook_code: string;
  data: Record<string, unknown>;
}

export type LoginOutcome =
  | { kind: 'success'; state: ConnectorState; notices?: ConnectorNotice[] }
  | { kind: 'challenge'; challenge: TokenGenerationData; pending: ConnectorState };

export interface ChallengeAnswer {
  institution: InstitutionDefinition;
  credentials: Credentials;
  /** The `pending` object returned with the challenge. */
  pending: ConnectorState;
  /** The user's token; undefined when `expects_user_input` was false. */
  token?: string;
}

/**
 * A connector serves one or more institutions. Methods must be safe to call concurrently for
 * different links; the server guarantees one open institution session per link at a time.
 */
export interface Connector {
  /** The institutions this connector serves; the catalogue is built from these. */
  readonly institutions: readonly InstitutionDefinition[];
  /**
   * Logs in. Resolves `success` (with the state to keep) or `challenge` (MFA needed).
   * Throws InvalidCredentialsError, InstitutionDownError, InstitutionTimeoutError, ...
   */
  login(request: LoginRequest): Promise<LoginOutcome>;
  /** Answers an MFA challenge. A wrong token throws InvalidCredentialsError; may return a further challenge. */
  answerChallenge(answer: ChallengeAnswer): Promise<LoginOutcome>;
}

// ---- Data extraction (link-data issue) --------------------------------------------------------

/**
 * One object extracted from the institution, in Belvo's shape for its resource but WITHOUT the
 * fields the server owns (`id`, `link`, `created_at`, and for transactions/balances the embedded
 * `account` object). `internal_identification` is the institution's own stable id: the server
 * upserts on it, so extracting the same object twice never duplicates it.
 */
export interface ExtractedRecord {
  internal_identification: string;
  /** Transactions and balances: the `internal_identification` of their account. */
  account_internal_identification?: string;
  /** The rest of the Belvo object (e.g. for an account: category, balance, currency...). */
  [field: string]: unknown;
}

export interface ExtractRequest {
  institution: InstitutionDefinition;
  credentials: Credentials;
  /** The link's connector state after its latest successful login. */
  state: ConnectorState;
  resource: ResourceName;
  /** The server's clock; extraction never reads the wall clock itself (deterministic tests). */
  now: Date;
  /** Inclusive `YYYY-MM-DD` window (transactions, balances, invoices, monthly tax returns). */
  dateFrom?: string;
  dateTo?: string;
  /** Restrict to one account (its internal_identification). */
  account?: string;
  /** Invoices: INFLOW | OUTFLOW. Tax returns: yearly | monthly. */
  type?: string;
  /** Yearly tax returns: inclusive range of fiscal years. */
  yearFrom?: number;
  yearTo?: number;
  attachXml?: boolean;
  attachPdf?: boolean;
}

/** A connector that can extract data implements this besides `Connector`. */
export interface DataConnector extends Connector {
  /** Extracts one resource after a successful login. Throws the same domain errors as `login`. */
  extract(request: ExtractRequest): Promise<ExtractedRecord[]>;
}

// ---- Consent institutions (Open Finance) ------------------------------------------------------

/** What the end user agrees to share in the Connect widget, before the bank's own pages. */
export interface ConsentRequest {
  /** The user's CPF (digits only), as the bank will check it. */
  document: string;
  name?: string;
  /** Belvo's OFDA permission groups. */
  permissions: ('REGISTER' | 'ACCOUNTS' | 'CREDIT_CARDS')[];
  /** How long the consent lasts. */
  months: 3 | 6 | 9 | 12;
}

/**
 * A connector whose links are created by the user's consent at the institution (an OAuth
 * redirect) instead of a login form: `POST /api/links/` refuses them; the Connect widget runs
 * `startConsent` → the bank's pages → `finishConsent`, and the link keeps the returned `state`
 * (sealed, like credentials; its `credentials` are empty). `login` with purpose `access` then
 * renews the access and throws ConsentEndedError once the consent is gone; `revoke` ends the
 * consent at the institution when the link is deleted.
 *
 * `now` (last argument of each method): the tenant's now, as `LoginRequest.now` — when the
 * consent is created, read and ended in the tenant's (possibly virtual) time; the connector's own
 * clock when absent.
 */
export interface ConsentConnector extends DataConnector {
  /**
   * `state`: the OAuth `state` the institution sends back with the user (how the server finds the
   * consent session); `pending`: what `finishConsent` needs, kept sealed until then.
   */
  startConsent(
    institution: InstitutionDefinition,
    request: ConsentRequest,
    now?: Date,
  ): Promise<{ authorizationUrl: string; state: string; pending: ConnectorState }>;
  /** `callback`: the parameters the institution sent back (query, fragment or form). */
  finishConsent(
    institution: InstitutionDefinition,
    callback: Record<string, string>,
    pending: ConnectorState,
    now?: Date,
  ): Promise<{ state: ConnectorState; consentId: string; expiresAt: string | null }>;
  revoke(institution: InstitutionDefinition, state: ConnectorState, now?: Date): Promise<void>;
}

export const isConsentConnector = (c: Connector): c is ConsentConnector =>
  typeof (c as Partial<ConsentConnector>).startConsent === 'function' && typeof (c as Partial<ConsentConnector>).finishConsent === 'function';
