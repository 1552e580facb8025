import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table interfaces: the one description of what is stored. Row types for queries are derived
 * from these (`Selectable`/`Insertable`); migrations are typed against `Kysely<any>` instead,
 * so they never depend on today's shape.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface TenantsTable {
  id: string;
  name: string;
  /** Per-tenant HMAC key for institution_user_id, base64. */
  user_id_key: string;
  created_at: CreatedAt;
  /** bigint: milliseconds the tenant's sandbox clock runs ahead of real time (never negative). */
  clock_offset_ms: ColumnType<string, string | undefined, string>;
}

export interface ApiKeysTable {
  /** The public "secret key id" of Basic auth. */
  id: string;
  tenant_id: string;
  /** scrypt hash: `scrypt$N$r$p$salt$hash` (base64 parts). */
  password_hash: string;
  /** Shown as links' `created_by`. */
  user_id: string;
  created_at: CreatedAt;
  revoked_at: Timestamp | null;
}

export interface InstitutionsTable {
  id: number;
  name: string;
  type: string;
  display_name: string;
  website: string | null;
  country_codes: string[];
  primary_color: string;
  logo: string | null;
  icon_logo: string | null;
  text_logo: string | null;
  form_fields: ColumnType<unknown, string, string>;
  features: ColumnType<unknown, string, string>;
  resources: string[];
  integration_type: string;
  status: string;
}

export interface LinksTable {
  id: string;
  tenant_id: string;
  institution: string;
  access_mode: string;
  status: string;
  refresh_rate: string | null;
  created_by: string;
  external_id: string | null;
  institution_user_id: string;
  credentials_storage: string;
  stale_in: string | null;
  fetch_resources: string[];
  fetch_historical: boolean;
  last_accessed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  /** When the stored credentials must be deleted (`credentials_storage: Nd`). */
  credentials_expire_at: Timestamp | null;
  /** Held while an institution session is open for this link (too_many_sessions guard). */
  session_lease_until: Timestamp | null;
  session_lease_token: string | null;
  /** When the scheduler refreshes the link next (virtual clock); null when none is planned. */
  next_refresh_at: Timestamp | null;
  last_refresh_at: Timestamp | null;
  /** The claim the last scheduled refresh served (migration 0013). */
  refreshed_claim: Timestamp | null;
  /** 30d links: the day of the month (1–20) refreshes keep while they succeed. */
  refresh_day: number | null;
  /** Failed refreshes in a row (the 30d rule retries up to 6 times). */
  refresh_attempts: ColumnType<number, number | undefined, number>;
}

/** A tenant's own status for an institution, over the catalogue's. */
export interface TenantInstitutionStatusTable {
  tenant_id: string;
  institution: string;
  status: string;
}

/** A sealed envelope (see src/vault): data key wrapped by master key `key_id`. */
export interface SealedColumns {
  key_id: string;
  wrapped_key: string;
  ciphertext: string;
}

export interface LinkCredentialsTable extends SealedColumns {
  link_id: string;
  updated_at: Timestamp;
}

export interface MfaSessionsTable extends SealedColumns {
  id: string;
  link_id: string;
  tenant_id: string;
  purpose: string;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

/**
 * One object of a link's data (an account, a transaction, an invoice...). Every resource table
 * has these columns; the Belvo object itself is `data`, without the fields the server owns.
 */
export interface LinkDataTable {
  /** uuid v7: time-ordered. */
  id: string;
  tenant_id: string;
  link_id: string;
  /** The institution's own id of the object: the upsert key within a link. */
  internal_identification: string;
  collected_at: Timestamp;
  /** When `data` last changed. */
  changed_at: Timestamp;
  created_at: CreatedAt;
  /** The day the object is about (`YYYY-MM-DD`; never selected, only ordered and filtered on). */
  record_date: ColumnType<never, string | null, string | null>;
  data: ColumnType<Record<string, unknown>, string, string>;
}

/** Transactions and balances belong to an account as well as to a link. */
export interface AccountDataTable extends LinkDataTable {
  account_id: string;
}

/** A Connect widget session: what one `POST /api/token/` allows (see migration 0005_widget). */
export interface WidgetSessionsTable {
  id: string;
  tenant_id: string;
  key_id: string;
  /** Update mode: the one link this session may repair. */
  link_id: string | null;
  scopes: string[];
  widget: ColumnType<Record<string, unknown>, string, string>;
  link_options: ColumnType<Record<string, unknown>, string, string>;
  /** Links this session registered (read_links sees these and `link_id`). */
  links: ColumnType<string[], string[] | undefined, string[]>;
  refresh_jti: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  completed_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** A connection attempt of this session is running until then. */
  busy_until: Timestamp | null;
}

/** The table of each resource. */
export const DATA_TABLES = {
  ACCOUNTS: 'accounts',
  TRANSACTIONS: 'transactions',
  OWNERS: 'owners',
  BALANCES: 'balances',
  INVOICES: 'invoices',
  TAX_RETURNS: 'tax_returns',
  TAX_STATUS: 'tax_statuses',
  TAX_COMPLIANCE_STATUS: 'tax_compliance_statuses',
  EMPLOYMENT_RECORDS: 'employment_records',
} as const;
export type DataTable = (typeof DATA_TABLES)[keyof typeof DATA_TABLES];

/** A tenant's webhook endpoint. The signing secret and the Authorization value are sealed together. */
export interface WebhookEndpointsTable extends SealedColumns {
  id: string;
  tenant_id: string;
  url: string;
  has_authorization: boolean;
  created_at: CreatedAt;
}

/** One webhook event (the outbox): `id` is Belvo's `webhook_id`, `payload` the exact JSON body sent. */
export interface WebhookEventsTable {
  id: string;
  tenant_id: string;
  link_id: string | null;
  webhook_type: string;
  webhook_code: string;
  process_type: string;
  payload: string;
  created_at: Timestamp;
}

/** One event to one endpoint. Times are on the virtual clock. */
export interface WebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  /** pending | delivered | failed */
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, number | undefined, number>;
  last_status_code: number | null;
  last_error: string | null;
  /** A retry waiting for its time; null while a delivery job is queued or running, while waiting, and once final. */
  next_attempt_at: Timestamp | null;
  /** The start of the 24 h retry window: the first attempt, or when it began waiting. */
  first_attempt_at: Timestamp | null;
  /** The event's link (copied): deliveries to one endpoint go in order per link. */
  link_id: string | null;
  /** Pending without a job: an earlier delivery of its endpoint and link is still pending. */
  waiting: ColumnType<boolean, boolean | undefined, boolean>;
  /** bigint identity: creation order. */
  seq: ColumnType<string, never, never>;
  delivered_at: Timestamp | null;
  created_at: Timestamp;
}

/** One use of credentials or of an API key (see migration 0007_retention_audit). Never a secret. */
export interface AuditLogTable {
  /** bigint identity: breaks ties between records of the same moment. */
  id: ColumnType<unknown, never, never>;
  at: ColumnType<Date, Date | string | undefined, never>;
  tenant_id: string;
  /** An API key id, `system` (background jobs) or `cli`. */
  actor: string;
  action: string;
  link_id: string | null;
  /** Key actions: the key created or revoked. */
  key_id: string | null;
  /** `success`, or the error code the operation ended with. */
  outcome: string;
  request_id: string | null;
}

/** One `Idempotency-Key` of a tenant (see migration 0008_request_limits). The answer is sealed once completed. */
export interface IdempotencyKeysTable {
  id: string;
  tenant_id: string;
  key: string;
  request_hash: string;
  /** running | completed */
  state: string;
  status: number | null;
  key_id: string | null;
  wrapped_key: string | null;
  ciphertext: string | null;
  claimed_at: Timestamp;
  expires_at: Timestamp;
  /** What the request has done, written with it (JSON, ids only): a takeover answers from it. */
  effect: string | null;
}

/** A secret key's token bucket (PostgreSQL only; the embedded store counts in memory). */
/**
 * Open Finance consent sessions (migration 0014): a consent the Connect widget started at a bank,
 * found again by the hash of the OAuth `state` the bank sends back; its pending state sealed.
 */
export interface ConsentSessionsTable extends SealedColumns {
  id: string;
  tenant_id: string;
  widget_session_id: string;
  institution: string;
  state_hash: string;
  options: ColumnType<Record<string, unknown>, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/**
 * Where the sandbox Open Finance bank of this database runs (migration 0015), one row per sandbox
 * institution, its client's key material sealed (see src/connectors/ofb/sandbox/shared.ts).
 */
export interface SandboxOfbBankTable extends SealedColumns {
  institution: string;
  discovery_url: string;
  api_base_url: string;
  client_id: string;
  redirect_uri: string;
  owner: string;
  started_at: ColumnType<Date, Date | string, Date | string>;
}

export interface RateLimitBucketsTable {
  key_id: string;
  tokens: number;
  updated_at: Timestamp;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  institutions: InstitutionsTable;
  links: LinksTable;
  link_credentials: LinkCredentialsTable;
  mfa_sessions: MfaSessionsTable;
  tenant_institution_status: TenantInstitutionStatusTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  accounts: LinkDataTable;
  transactions: AccountDataTable;
  owners: LinkDataTable;
  balances: AccountDataTable;
  invoices: LinkDataTable;
  tax_returns: LinkDataTable;
  tax_statuses: LinkDataTable;
  tax_compliance_statuses: LinkDataTable;
  employment_records: LinkDataTable;
  widget_sessions: WidgetSessionsTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limit_buckets: RateLimitBucketsTable;
  consent_sessions: ConsentSessionsTable;
  sandbox_ofb_bank: SandboxOfbBankTable;
}

export type Tenant = Selectable<TenantsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type InstitutionRow = Selectable<InstitutionsTable>;
export type LinkRow = Selectable<LinksTable>;
export type NewLink = Insertable<LinksTable>;
export type LinkUpdate = Updateable<LinksTable>;
export type MfaSessionRow = Selectable<MfaSessionsTable>;
export type Sealed = SealedColumns;
export type WidgetSessionRow = Selectable<WidgetSessionsTable>;
