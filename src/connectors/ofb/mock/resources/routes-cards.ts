/** Credit-cards-accounts API v2 (credit-cards-2.3.1): post-paid accounts, limits, bills, transactions. */
import { OfbError } from './http.js';
import { dateWindow, notFound, transactionsClass, type Ctx, type Route } from './context.js';
import { parseYmd } from './documents.js';
import type { CardFixture } from './fixture.js';
import type { CardTxFilter } from './fixture-cards.js';

function card(ctx: Ctx): CardFixture {
  const id = ctx.params.creditCardAccountId;
  const c = ctx.fixture().cards.find((x) => x.plan.creditCardAccountId === id);
  if (!c) throw notFound('creditCardAccountId', id);
  return c;
}

/** `payeeMCC` is `type: number` in the document: keep non-numeric text as text so the check fails. */
const coerce = { payeeMCC: (v: string) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v) };

function txFilter(ctx: Ctx): CardTxFilter {
  const q = ctx.req.query;
  return {
    ...(q.has('transactionType') ? { transactionType: q.get('transactionType') ?? '' } : {}),
    ...(q.has('payeeMCC') ? { payeeMCC: Number(q.get('payeeMCC')) } : {}),
  };
}

function transactions(current: boolean) {
  return (ctx: Ctx) => {
    ctx.checkQuery(coerce);
    const c = card(ctx);
    const w = dateWindow(ctx, 'fromTransactionDate', 'toTransactionDate', current);
    const page = ctx.page();
    ctx.count(transactionsClass(ctx, w, current), c.plan.creditCardAccountId);
    return ctx.paginate(c.transactions(w.from, w.to, txFilter(ctx)), page, true);
  };
}

const spec = 'credit-cards' as const;

export const cardRoutes: Route[] = [
  {
    spec,
    template: '/accounts',
    permission: 'CREDIT_CARDS_ACCOUNTS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      ctx.checkQuery();
      const page = ctx.page();
      ctx.count('accounts');
      return ctx.paginate(ctx.fixture().cards.map((c) => c.data), page, false);
    },
  },
  {
    spec,
    template: '/accounts/{creditCardAccountId}',
    permission: 'CREDIT_CARDS_ACCOUNTS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      const c = card(ctx);
      ctx.count('accounts', c.plan.creditCardAccountId);
      return { data: c.identification, ...ctx.single(true) };
    },
  },
  {
    spec,
    template: '/accounts/{creditCardAccountId}/limits',
    permission: 'CREDIT_CARDS_ACCOUNTS_LIMITS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      const c = card(ctx);
      ctx.count('balances', c.plan.creditCardAccountId);
      return { data: c.limits, ...ctx.single(true) };
    },
  },
  {
    spec,
    template: '/accounts/{creditCardAccountId}/bills',
    permission: 'CREDIT_CARDS_ACCOUNTS_BILLS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      ctx.checkQuery();
      const c = card(ctx);
      const q = ctx.req.query;
      // No pairing rule or window is documented for due dates: each bound applies alone.
      const from = q.has('fromDueDate') ? parseYmd(q.get('fromDueDate') ?? '') : null;
      const to = q.has('toDueDate') ? parseYmd(q.get('toDueDate') ?? '') : null;
      if (from !== null && to !== null && from > to) throw new OfbError(422, 'PARAMETRO_INVALIDO', 'Período inválido', 'fromDueDate é posterior a toDueDate.');
      const page = ctx.page();
      ctx.count('bills', c.plan.creditCardAccountId);
      const items = c.bills
        .filter((b) => (from === null || (parseYmd(b.dueDate) ?? 0) >= from) && (to === null || (parseYmd(b.dueDate) ?? 0) <= to))
        .map(({ cycle: _cycle, ...bill }) => bill);
      return ctx.paginate(items, page, false);
    },
  },
  {
    spec,
    template: '/accounts/{creditCardAccountId}/bills/{billId}/transactions',
    permission: 'CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      ctx.checkQuery(coerce);
      const c = card(ctx);
      const q = ctx.req.query;
      const hasFrom = q.has('fromTransactionDate');
      if (hasFrom !== q.has('toTransactionDate')) {
        throw new OfbError(400, 'PARAMETRO_NAO_INFORMADO', 'Parâmetro não informado', 'fromTransactionDate e toTransactionDate devem ser enviados juntos.');
      }
      const window = hasFrom ? { fromDay: parseYmd(q.get('fromTransactionDate') ?? '') ?? 0, toDay: parseYmd(q.get('toTransactionDate') ?? '') ?? 0 } : {};
      const items = c.billTransactions(ctx.params.billId, { ...txFilter(ctx), ...window });
      if (!items) throw notFound('billId', ctx.params.billId);
      const page = ctx.page();
      ctx.count('bills', `${c.plan.creditCardAccountId}/${ctx.params.billId}`);
      // The document gives this list Links + Meta with totals, unlike the other transaction lists.
      return ctx.paginate(items, page, false);
    },
  },
  { spec, template: '/accounts/{creditCardAccountId}/transactions', permission: 'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ', errorMeta: 'single', handle: transactions(false) },
  { spec, template: '/accounts/{creditCardAccountId}/transactions-current', permission: 'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ', errorMeta: 'single', handle: transactions(true) },
];
