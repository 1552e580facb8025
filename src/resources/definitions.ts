import type { TSchema } from 'typebox';
import type { ExtractedRecord, ExtractRequest, ResourceName } from '../connectors/connector.js';
import { fieldError, ValidationErrors, type VinculoError } from '../errors.js';
import type { FilterSet } from '../filters/index.js';
import { DATA_TABLES, type DataTable } from '../store/schema.js';
import * as filters from './filters.js';
import { DatedBody, DocumentBody, InvoicesBody, StandardBody, TaxReturnsBody, type RetrieveBody } from './schema.js';

/**
 * The link-data resources, declared once: each one's URL, table, request body, list filters and
 * the rules its retrieval request follows. Routes, service and store are generic over these.
 */

/**
 * A retrieval request, checked and normalised; kept in the MFA session when a 428 interrupts it.
 * Its window, type, years and attachments are the connector's `ExtractRequest` fields as they are.
 */
export interface RetrieveParams
  extends Pick<ExtractRequest, 'dateFrom' | 'dateTo' | 'type' | 'yearFrom' | 'yearTo' | 'attachXml' | 'attachPdf'> {
  link: string;
  token?: string;
  saveData: boolean;
  /** The account's id (our uuid), when the request names one; the connector gets its internal id. */
  account?: string;
}

export interface ResourceDefinition {
  name: ResourceName;
  /** The URL segment: `/api/<path>/`. */
  path: string;
  table: DataTable;
  body: TSchema;
  /** The POST answer is one object instead of an array (tax status, tax compliance status). */
  single: boolean;
  /** Objects embed their whole account instead of a `link` (transactions, balances). */
  embedsAccount: boolean;
  filters: FilterSet;
  /** Filters a list must have (transactions need `link`). */
  requiredFilters: readonly string[];
  /** The day the object is about, for newest-first order and date filters. */
  recordDate(record: ExtractedRecord): string | null;
  /** Checks the request's own rules (dates, years) against `today`. */
  params(body: RetrieveBody, today: string): RetrieveParams;
}

const DAY_MS = 86_400_000;
/** Invoices are retrieved at most this many days at a time (SAT's limit, as Belvo's). */
export const MAX_INVOICE_WINDOW_DAYS = 365;

/**
 * The last calendar day that has begun anywhere (UTC+14): the SDK sends its own local today as
 * `date_to`, which may already be tomorrow in UTC.
 */
export function latestToday(now: Date): string {
  return new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}

const isCalendarDay = (s: string) => {
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(s);
};

function base(body: RetrieveBody): RetrieveParams {
  return { link: body.link, token: body.token, saveData: body.save_data ?? true };
}

/** `date_from`/`date_to`: real days, in order, none in the future, optionally a maximum span. */
function window(body: RetrieveBody, today: string, maxDays?: number): Pick<RetrieveParams, 'dateFrom' | 'dateTo'> {
  const errors: VinculoError[] = [];
  const from = body.date_from;
  const to = body.date_to;
  if (from === undefined) errors.push(fieldError.required('date_from'));
  else if (!isCalendarDay(from)) errors.push(fieldError.invalid('date_from', 'Date has wrong format. Use YYYY-MM-DD.'));
  if (to === undefined) errors.push(fieldError.required('date_to'));
  else if (!isCalendarDay(to)) errors.push(fieldError.invalid('date_to', 'Date has wrong format. Use YYYY-MM-DD.'));
  else if (to > today) errors.push(fieldError.invalid('date_to', 'date_to cannot be in the future.'));
  if (!errors.length && from! > to!) errors.push(fieldError.invalid('date_from', 'date_from must be earlier than or equal to date_to.'));
  if (!errors.length && maxDays !== undefined) {
    const span = (Date.parse(to!) - Date.parse(from!)) / DAY_MS;
    if (span > maxDays) errors.push(fieldError.invalid('date_to', `The date range cannot be longer than ${maxDays} days.`));
  }
  if (errors.length) throw new ValidationErrors(errors);
  return { dateFrom: from, dateTo: to };
}

function years(body: RetrieveBody, today: string): Pick<RetrieveParams, 'yearFrom' | 'yearTo'> {
  const errors: VinculoError[] = [];
  const from = body.year_from === undefined ? undefined : Number(body.year_from);
  const to = body.year_to === undefined ? undefined : Number(body.year_to);
  const thisYear = Number(today.slice(0, 4));
  if (from === undefined) errors.push(fieldError.required('year_from'));
  if (to === undefined) errors.push(fieldError.required('year_to'));
  else if (to > thisYear) errors.push(fieldError.invalid('year_to', 'year_to cannot be in the future.'));
  if (!errors.length && from! > to!) errors.push(fieldError.invalid('year_from', 'year_from must be earlier than or equal to year_to.'));
  if (errors.length) throw new ValidationErrors(errors);
  return { yearFrom: from, yearTo: to };
}

const noDate = () => null;
const dateField = (name: string) => (r: ExtractedRecord) => (typeof r[name] === 'string' ? (r[name] as string).slice(0, 10) : null);

/** A resource that is one document per link and request (tax status, compliance, employment records). */
function document(
  name: ResourceName,
  path: string,
  table: DataTable,
  options: { single?: boolean; recordDate?: ResourceDefinition['recordDate'] },
): ResourceDefinition {
  return {
    name,
    path,
    table,
    body: DocumentBody,
    single: options.single ?? false,
    embedsAccount: false,
    filters: filters.linkObjectFilters,
    requiredFilters: [],
    recordDate: options.recordDate ?? noDate,
    params: (body) => ({ ...base(body), attachPdf: body.attach_pdf ?? false }),
  };
}

const RESOURCE_LIST: ResourceDefinition[] = [
  {
    name: 'ACCOUNTS',
    path: 'accounts',
    table: DATA_TABLES.ACCOUNTS,
    body: StandardBody,
    single: false,
    embedsAccount: false,
    filters: filters.accountFilters,
    requiredFilters: [],
    recordDate: noDate,
    params: base,
  },
  {
    name: 'TRANSACTIONS',
    path: 'transactions',
    table: DATA_TABLES.TRANSACTIONS,
    body: DatedBody,
    single: false,
    embedsAccount: true,
    filters: filters.transactionFilters,
    requiredFilters: ['link'],
    recordDate: dateField('value_date'),
    params: (body, today) => ({ ...base(body), ...window(body, today), account: body.account }),
  },
  {
    name: 'OWNERS',
    path: 'owners',
    table: DATA_TABLES.OWNERS,
    body: StandardBody,
    single: false,
    embedsAccount: false,
    filters: filters.ownerFilters,
    requiredFilters: [],
    recordDate: noDate,
    params: base,
  },
  {
    name: 'BALANCES',
    path: 'balances',
    table: DATA_TABLES.BALANCES,
    body: DatedBody,
    single: false,
    embedsAccount: true,
    filters: filters.balanceFilters,
    requiredFilters: [],
    recordDate: dateField('value_date'),
    params: (body, today) => ({ ...base(body), ...window(body, today), account: body.account }),
  },
  {
    name: 'INVOICES',
    path: 'invoices',
    table: DATA_TABLES.INVOICES,
    body: InvoicesBody,
    single: false,
    embedsAccount: false,
    filters: filters.invoiceFilters,
    requiredFilters: [],
    recordDate: dateField('invoice_date'),
    params: (body, today) => ({
      ...base(body),
      ...window(body, today, MAX_INVOICE_WINDOW_DAYS),
      type: body.type,
      attachXml: body.attach_xml ?? false,
    }),
  },
  {
    name: 'TAX_RETURNS',
    path: 'tax-returns',
    table: DATA_TABLES.TAX_RETURNS,
    body: TaxReturnsBody,
    single: false,
    embedsAccount: false,
    filters: filters.taxReturnFilters,
    requiredFilters: [],
    recordDate: noDate,
    params: (body, today) => {
      const type = body.type ?? 'yearly';
      const range = type === 'monthly' ? window(body, today) : years(body, today);
      return { ...base(body), ...range, type, attachPdf: body.attach_pdf ?? false };
    },
  },
  document('TAX_STATUS', 'tax-status', DATA_TABLES.TAX_STATUS, { single: true }),
  document('TAX_COMPLIANCE_STATUS', 'tax-compliance-status', DATA_TABLES.TAX_COMPLIANCE_STATUS, { single: true }),
  document('EMPLOYMENT_RECORDS', 'employment-records', DATA_TABLES.EMPLOYMENT_RECORDS, { recordDate: dateField('report_date') }),
];

export const RESOURCE_DEFINITIONS: readonly ResourceDefinition[] = Object.freeze(RESOURCE_LIST.map((d) => Object.freeze(d)));

export const resourceByName = (name: ResourceName): ResourceDefinition => RESOURCE_DEFINITIONS.find((d) => d.name === name)!;
