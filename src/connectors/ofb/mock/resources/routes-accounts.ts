/** Accounts API v2 (accounts-2.4.2): deposit, savings (and, not modelled, prepaid) accounts. */
import { dateWindow, notFound, transactionsClass, type Ctx, type Route } from './context.js';
import type { AccountFixture } from './fixture.js';

function account(ctx: Ctx): AccountFixture {
  const id = ctx.params.accountId;
  const a = ctx.fixture().accounts.find((x) => x.plan.accountId === id);
  if (!a) throw notFound('accountId', id);
  return a;
}

function transactions(current: boolean) {
  return (ctx: Ctx) => {
    ctx.checkQuery();
    const a = account(ctx);
    const w = dateWindow(ctx, 'fromBookingDate', 'toBookingDate', current);
    const page = ctx.page();
    ctx.count(transactionsClass(ctx, w, current), a.plan.accountId);
    const indicator = ctx.req.query.get('creditDebitIndicator');
    const items = a.transactions(w.from, w.to).filter((t) => !indicator || t.creditDebitType === indicator);
    return ctx.paginate(items, page, true);
  };
}

const spec = 'accounts' as const;

export const accountRoutes: Route[] = [
  {
    spec,
    template: '/accounts',
    permission: 'ACCOUNTS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      ctx.checkQuery();
      const page = ctx.page();
      ctx.count('accounts');
      const type = ctx.req.query.get('accountType');
      const items = ctx.fixture().accounts.filter((a) => !type || a.plan.type === type).map((a) => a.data);
      return ctx.paginate(items, page, false);
    },
  },
  {
    spec,
    template: '/accounts/{accountId}',
    permission: 'ACCOUNTS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      const a = account(ctx);
      ctx.count('accounts', a.plan.accountId);
      return { data: a.identification, ...ctx.single(true) };
    },
  },
  {
    spec,
    template: '/accounts/{accountId}/balances',
    permission: 'ACCOUNTS_BALANCES_READ',
    errorMeta: 'totals',
    handle(ctx) {
      const a = account(ctx);
      ctx.count('balances', a.plan.accountId);
      return { data: a.balances, ...ctx.single(true) };
    },
  },
  {
    spec,
    template: '/accounts/{accountId}/overdraft-limits',
    permission: 'ACCOUNTS_OVERDRAFT_LIMITS_READ',
    errorMeta: 'totals',
    handle(ctx) {
      const a = account(ctx);
      ctx.count('balances', a.plan.accountId);
      return { data: a.overdraftLimits, ...ctx.single(true) };
    },
  },
  { spec, template: '/accounts/{accountId}/transactions', permission: 'ACCOUNTS_TRANSACTIONS_READ', errorMeta: 'single', handle: transactions(false) },
  { spec, template: '/accounts/{accountId}/transactions-current', permission: 'ACCOUNTS_TRANSACTIONS_READ', errorMeta: 'single', handle: transactions(true) },
];
