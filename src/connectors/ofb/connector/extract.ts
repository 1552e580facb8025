/**
 * Collects what one resource needs from the bank and maps it (../mapping/). Only what the granted
 * permissions cover is asked for; the rest is left out without an error. List endpoints are
 * walked through `links.next`.
 *
 * The server extracts several resources per session (a refresh: ACCOUNTS, then TRANSACTIONS and
 * BALANCES, each preceded by ACCOUNTS again for the embedded account): the calls they share are
 * made once per session (SessionCache), so the monthly budget reserved at login covers them.
 */
import { VinculoError } from '../../../errors.js';
import type { ExtractedRecord, ResourceName } from '../../connector.js';
import { OfbRateLimitedError, type OfbClient, type Query } from '../client/index.js';
import {
  mapAccounts,
  mapBalances,
  mapOwners,
  mapTransactions,
  type MappingContext,
  type OfbAccountBalancesData,
  type OfbAccountData,
  type OfbAccountIdentificationData,
  type OfbAccounts,
  type OfbAccountTransaction,
  type OfbCardAccountData,
  type OfbCardBill,
  type OfbCardIdentificationData,
  type OfbCardLimit,
  type OfbCardTransaction,
  type OfbPersonalIdentification,
} from '../mapping/index.js';
import { saoPauloDay } from './budget.js';

export const ACCOUNTS_PATH = '/open-banking/accounts/v2/accounts';
export const CARDS_PATH = '/open-banking/credit-cards-accounts/v2/accounts';
export const IDENTIFICATIONS_PATH = '/open-banking/customers/v2/personal/identifications';

/**
 * Per session, the promise of each shared call (the oldest sessions are dropped first), and for
 * the sessions a login of this process opened, whether the bank counted any of their calls.
 */
export class SessionCache {
  private readonly sessions = new Map<string, Map<string, Promise<unknown>>>();
  /** Session → some call of it may count against the consent's monthly limits. */
  private readonly opened = new Map<string, boolean>();
  constructor(
    private readonly maxSessions = 64,
    private readonly maxOpened = 10_000,
  ) {}

  get<T>(session: string | null, key: string, load: () => Promise<T>): Promise<T> {
    if (session === null) return load();
    let calls = this.sessions.get(session);
    if (!calls) {
      calls = new Map();
      this.sessions.set(session, calls);
      if (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    }
    const known = calls.get(key);
    if (known) return known as Promise<T>;
    const loading = load();
    calls.set(key, loading);
    // A failed call is not remembered: the next extraction asks again.
    loading.catch(() => calls.delete(key));
    return loading;
  }

  /** A login of this process opened `session`: none of its calls has been made yet. */
  open(session: string): void {
    this.opened.set(session, false);
    if (this.opened.size > this.maxOpened) this.opened.delete(this.opened.keys().next().value!);
  }

  /** A call of `session` may count against the consent's monthly limits (see `counted`). */
  used(session: string | null): void {
    if (session !== null && this.opened.has(session)) this.opened.set(session, true);
  }

  /**
   * True when a login of this process opened `session` and none of its calls counted (the bank
   * refused each with 429/423, or none was made): its reservation is unspent. Forgets the session.
   */
  takeUnused(session: string): boolean {
    const unused = this.opened.get(session) === false;
    this.opened.delete(session);
    return unused;
  }
}

export interface ExtractContext {
  client: OfbClient;
  accessToken: string;
  permissions: ReadonlySet<string>;
  pageSize: number;
  session: string | null;
  cache: SessionCache;
  mapping: MappingContext;
  now: Date;
  /** Only this account (its internal_identification). */
  account?: string;
  dateFrom?: string;
  dateTo?: string;
}

interface Wanted {
  identification?: boolean;
  balances?: boolean;
  bills?: boolean;
  transactions?: { from: string; to: string; current: boolean };
}

export async function extractResource(resource: ResourceName, ctx: ExtractContext): Promise<ExtractedRecord[]> {
  switch (resource) {
    case 'ACCOUNTS':
      return mapAccounts(await collectAccounts(ctx, { identification: true, balances: true, bills: true }), ctx.mapping);
    case 'BALANCES':
      return onlyAccount(mapBalances(await collectAccounts(ctx, { balances: true }), ctx.mapping), ctx.account);
    case 'TRANSACTIONS': {
      const window = transactionWindow(ctx);
      if (!window) return [];
      return onlyAccount(mapTransactions(await collectAccounts(ctx, { bills: true, transactions: window }), ctx.mapping), ctx.account);
    }
    case 'OWNERS': {
      if (!ctx.permissions.has('CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ')) return [];
      const list = await all<OfbPersonalIdentification>(ctx, IDENTIFICATIONS_PATH, {});
      return mapOwners(list);
    }
    default:
      throw new VinculoError('unsupported_operation', 'The resource you are trying to access is not supported by this institution');
  }
}

const onlyAccount = (records: ExtractedRecord[], account: string | undefined) =>
  account === undefined ? records : records.filter((r) => r.account_internal_identification === account);

/**
 * A call to the bank's data APIs, noted against the session: it counts towards the consent's
 * monthly limits unless the bank refused it with 429/423 (the bank counts the calls it serves,
 * as the sandbox bank does); an answer, or a 5xx or timeout the bank may have served, counts.
 */
async function counted<T>(ctx: ExtractContext, call: () => Promise<T>): Promise<T> {
  try {
    const out = await call();
    ctx.cache.used(ctx.session);
    return out;
  } catch (err) {
    if (!(err instanceof OfbRateLimitedError)) ctx.cache.used(ctx.session);
    throw err;
  }
}

const all = <T>(ctx: ExtractContext, path: string, query: Query): Promise<T[]> =>
  counted(ctx, async () => {
    const data: T[] = [];
    for await (const page of ctx.client.pages<T>(path, ctx.accessToken, { ...query, 'page-size': ctx.pageSize })) {
      // A page served counts, even if a later one is refused.
      ctx.cache.used(ctx.session);
      data.push(...page.data);
    }
    return data;
  });

const shared = <T>(ctx: ExtractContext, key: string, load: () => Promise<T>): Promise<T> => ctx.cache.get(ctx.session, key, load);

const one = <T>(ctx: ExtractContext, path: string): Promise<T> =>
  shared(ctx, path, () => counted(ctx, async () => (await ctx.client.getResource<{ data: T }>(path, ctx.accessToken)).data));

const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
const plusDays = (d: string, n: number) => new Date(day(d) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * The window asked for, within what OFB serves (12 months back); `transactions-current` when it
 * starts within the last 7 days (D-6), the cheap class. Null when nothing is left of it.
 */
export function transactionWindow(ctx: Pick<ExtractContext, 'now' | 'dateFrom' | 'dateTo'>): Wanted['transactions'] | null {
  const today = saoPauloDay(ctx.now);
  const [y, m, dd] = today.split('-').map(Number) as [number, number, number];
  // 29 February rolls over to 1 March: a day later than the bank's limit, never earlier.
  const floor = new Date(Date.UTC(y - 1, m - 1, dd)).toISOString().slice(0, 10);
  const to = ctx.dateTo ?? today;
  let from = ctx.dateFrom ?? plusDays(today, -6);
  if (from < floor) from = floor;
  if (from > to) return null;
  return { from, to, current: from >= plusDays(today, -6) };
}

async function collectAccounts(ctx: ExtractContext, want: Wanted): Promise<OfbAccounts> {
  const has = (p: string) => ctx.permissions.has(p);
  const pick = <T>(items: T[], id: (i: T) => string) => (ctx.account === undefined ? items : items.filter((i) => id(i) === ctx.account));
  const out: OfbAccounts = { deposits: [], cards: [] };
  const tx = want.transactions;

  if (has('ACCOUNTS_READ')) {
    const list = await shared(ctx, ACCOUNTS_PATH, () => all<OfbAccountData>(ctx, ACCOUNTS_PATH, {}));
    out.deposits = await Promise.all(
      pick(list, (a) => a.accountId).map(async (account) => {
        const base = `${ACCOUNTS_PATH}/${encodeURIComponent(account.accountId)}`;
        const [identification, balances, transactions] = await Promise.all([
          want.identification ? one<OfbAccountIdentificationData>(ctx, base) : undefined,
          want.balances && has('ACCOUNTS_BALANCES_READ') ? one<OfbAccountBalancesData>(ctx, `${base}/balances`) : undefined,
          tx && has('ACCOUNTS_TRANSACTIONS_READ')
            ? all<OfbAccountTransaction>(ctx, `${base}/transactions${tx.current ? '-current' : ''}`, { fromBookingDate: tx.from, toBookingDate: tx.to })
            : undefined,
        ]);
        return { account, identification, balances, ...(tx?.current ? { transactionsCurrent: transactions } : { transactions }) };
      }),
    );
  }

  if (has('CREDIT_CARDS_ACCOUNTS_READ')) {
    const list = await shared(ctx, CARDS_PATH, () => all<OfbCardAccountData>(ctx, CARDS_PATH, {}));
    out.cards = await Promise.all(
      pick(list, (c) => c.creditCardAccountId).map(async (account) => {
        const base = `${CARDS_PATH}/${encodeURIComponent(account.creditCardAccountId)}`;
        const [identification, limits, bills, transactions] = await Promise.all([
          want.identification ? one<OfbCardIdentificationData>(ctx, base) : undefined,
          want.balances && has('CREDIT_CARDS_ACCOUNTS_LIMITS_READ') ? one<OfbCardLimit[]>(ctx, `${base}/limits`) : undefined,
          want.bills && has('CREDIT_CARDS_ACCOUNTS_BILLS_READ') ? shared(ctx, `${base}/bills`, () => all<OfbCardBill>(ctx, `${base}/bills`, {})) : undefined,
          tx && has('CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ')
            ? all<OfbCardTransaction>(ctx, `${base}/transactions${tx.current ? '-current' : ''}`, { fromTransactionDate: tx.from, toTransactionDate: tx.to })
            : undefined,
        ]);
        return { account, identification, limits, bills, ...(tx?.current ? { transactionsCurrent: transactions } : { transactions }) };
      }),
    );
  }
  return out;
}
