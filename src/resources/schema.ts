import { Type, type Static, type TSchema } from 'typebox';
import type { ResourceName } from '../connectors/connector.js';
import { FLOW_TYPES } from './filters.js';

/** Request bodies of the link-data endpoints (Belvo's `*Request` schemas), declared once. */

const Link = Type.String({ format: 'uuid' });
const Token = Type.Optional(Type.String({ maxLength: 256 }));
const SaveData = Type.Optional(Type.Boolean());
/** `YYYY-MM-DD`; whether it is a real calendar day is checked by the service (a 400 naming the field). */
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Year = Type.Union([Type.String({ pattern: '^\\d{4}$' }), Type.Integer({ minimum: 1000, maximum: 9999 })]);

/** Accounts, owners: `StandardRequest`. */
export const StandardBody = Type.Object({ link: Link, token: Token, save_data: SaveData });

/** Transactions, balances: a date window, optionally one account. */
export const DatedBody = Type.Object({
  link: Link,
  account: Type.Optional(Type.String({ format: 'uuid' })),
  date_from: Day,
  date_to: Day,
  token: Token,
  save_data: SaveData,
});

export const InvoicesBody = Type.Object({
  link: Link,
  date_from: Day,
  date_to: Day,
  type: Type.Enum(FLOW_TYPES),
  attach_xml: Type.Optional(Type.Boolean()),
  token: Token,
  save_data: SaveData,
});

/** Yearly (`year_from`/`year_to`, the default) or monthly (`date_from`/`date_to`) returns. */
export const TaxReturnsBody = Type.Object({
  link: Link,
  type: Type.Optional(Type.Enum(['yearly', 'monthly'])),
  year_from: Type.Optional(Year),
  year_to: Type.Optional(Year),
  date_from: Type.Optional(Day),
  date_to: Type.Optional(Day),
  attach_pdf: Type.Optional(Type.Boolean()),
  token: Token,
  save_data: SaveData,
});

/** Tax status, tax compliance status, employment records: one document, optionally its PDF. */
export const DocumentBody = Type.Object({
  link: Link,
  attach_pdf: Type.Optional(Type.Boolean()),
  token: Token,
  save_data: SaveData,
});

type Fields<T> = { [K in keyof T]: T[K] };
/** Any retrieval body, already validated against its resource's schema: the fields the service reads. */
export type RetrieveBody = { link: string } & Partial<
  Omit<Fields<Static<typeof DatedBody>>, 'link'> &
    Omit<Fields<Static<typeof TaxReturnsBody>>, 'link' | 'type'> &
    Omit<Fields<Static<typeof InvoicesBody>>, 'link' | 'type'> &
    Omit<Fields<Static<typeof DocumentBody>>, 'link'> & { type: string }
>;

/** `PATCH /api/<resource>/`: answer the MFA challenge of a retrieval (`PatchBody`). */
export const ResumeRetrievalBody = Type.Object({
  session: Type.String({ pattern: '^[a-f0-9]{32}$' }),
  link: Link,
  token: Token,
  save_data: SaveData,
});
export type ResumeRetrievalBody = Static<typeof ResumeRetrievalBody>;

export const ObjectIdParams = Type.Object({ id: Type.String() });

// ---- answers (they document the API, src/http/openapi.ts; fastify does not serialize with them) ----

const Uuid = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });

/**
 * A link-data object: the fields the server owns (`id`, its `link`, `collected_at`, `created_at`)
 * around the institution's fields: Belvo's object of that name, as the connector extracted it.
 */
function dataObject(title: string, owner: Record<string, TSchema>) {
  return Type.Object(
    { id: Uuid, ...owner, collected_at: Instant, created_at: Instant },
    {
      title,
      description: `Belvo's \`${title}\`. The declared fields are the server's; the others are the institution's, as Belvo defines them.`,
      additionalProperties: true,
    },
  );
}

export const AccountObject = dataObject('Account', { link: Uuid });
/** Transactions and balances embed their whole account instead of a `link`. */
const inAccount = { account: AccountObject };

export const OBJECT_SCHEMAS = {
  ACCOUNTS: AccountObject,
  TRANSACTIONS: dataObject('Transaction', inAccount),
  OWNERS: dataObject('Owner', { link: Uuid }),
  BALANCES: dataObject('Balance', inAccount),
  INVOICES: dataObject('Invoice', { link: Uuid }),
  TAX_RETURNS: dataObject('TaxReturn', { link: Uuid }),
  TAX_STATUS: dataObject('TaxStatus', { link: Uuid }),
  TAX_COMPLIANCE_STATUS: dataObject('TaxComplianceStatus', { link: Uuid }),
  EMPLOYMENT_RECORDS: dataObject('EmploymentRecord', { link: Uuid }),
} as const satisfies Record<ResourceName, TSchema>;

/** 202: a background retrieval was accepted; its outcome comes by webhook, with this id. */
export const AcceptedRetrieval = Type.Object({ request_id: Type.String({ pattern: '^[a-f0-9]{32}$' }) }, { title: 'AcceptedRetrieval', additionalProperties: false });
