/** Customers API v2 (customers-2.2.1, personal only) and Resources API v3 (resources-3.1.0). */
import { OfbError } from './http.js';
import type { Ctx, Route } from './context.js';

/** Customers' `Meta` is only `requestDateTime` (no totals), whatever the pagination. */
function customersPage(ctx: Ctx, items: unknown[]) {
  const { data, links, meta } = ctx.paginate(items, ctx.page(), false);
  return { data, links, meta: { requestDateTime: meta.requestDateTime } };
}

function single(ctx: Ctx, data: unknown) {
  ctx.checkQuery();
  ctx.count('customers');
  const { links, meta } = ctx.single(false);
  return { data, links, meta };
}

const business = (template: string, permission: string): Route => ({
  spec: 'customers',
  template,
  permission,
  errorMeta: 'single',
  handle() {
    // The mock bank only has personal customers (a CPF consent).
    throw new OfbError(404, 'RECURSO_NAO_ENCONTRADO', 'Recurso não encontrado', 'Cliente pessoa jurídica não encontrado para este consentimento.');
  },
});

export const customerRoutes: Route[] = [
  {
    spec: 'customers',
    template: '/personal/identifications',
    permission: 'CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ',
    errorMeta: 'single',
    handle(ctx) {
      ctx.checkQuery();
      ctx.page();
      ctx.count('customers');
      return customersPage(ctx, [ctx.fixture().identification]);
    },
  },
  {
    spec: 'customers',
    template: '/personal/qualifications',
    permission: 'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ',
    errorMeta: 'single',
    handle: (ctx) => single(ctx, ctx.fixture().qualification),
  },
  {
    spec: 'customers',
    template: '/personal/financial-relations',
    permission: 'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ',
    errorMeta: 'single',
    handle: (ctx) => single(ctx, ctx.fixture().financialRelation),
  },
  business('/business/identifications', 'CUSTOMERS_BUSINESS_IDENTIFICATIONS_READ'),
  business('/business/qualifications', 'CUSTOMERS_BUSINESS_ADITTIONALINFO_READ'),
  business('/business/financial-relations', 'CUSTOMERS_BUSINESS_ADITTIONALINFO_READ'),
];

export const resourceRoutes: Route[] = [
  {
    spec: 'resources',
    template: '/resources',
    permission: 'RESOURCES_READ',
    errorMeta: 'single',
    handle(ctx) {
      // "A transmissora deve considerar entrada como 25, caso seja informado algum valor menor."
      ctx.checkQuery({ 'page-size': (v) => (/^\d+$/.test(v) ? Math.max(25, Number(v)) : v) });
      const page = ctx.page(25);
      ctx.count('resources');
      const perms = new Set(ctx.grant.permissions);
      // A resource is listed when the consent covers its API (its *_READ permission).
      const items = ctx.fixture().resources.filter((r) => (r.type === 'ACCOUNT' ? perms.has('ACCOUNTS_READ') : perms.has('CREDIT_CARDS_ACCOUNTS_READ')));
      return ctx.paginate(items, page, false);
    },
  },
];
