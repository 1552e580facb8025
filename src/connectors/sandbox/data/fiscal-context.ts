/**
 * What every fiscal record of one extraction starts from: the request, the taxpayer behind its
 * RFC, their invoice book, the request's clock (`now` as epoch ms and as a day number) and the
 * month totals the tax returns sum, computed once per month; plus the number formats the records
 * share. One context serves one extraction.
 */
import type { ExtractRequest } from '../../connector.js';
import { dayOf } from './calendar.js';
import { InvoiceBook, monthTotals, type MonthTotals } from './fiscal-invoices.js';
import { planTaxpayer, type Taxpayer } from './fiscal-taxpayer.js';

export const cents = (n: number) => Math.round(n) / 100;
export const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
export const hhmmss = (sec: number) => `${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor((sec % 3600) / 60))}:${pad2(sec % 60)}`;

export class FiscalContext {
  readonly tp: Taxpayer;
  readonly book: InvoiceBook;
  readonly today: number;
  readonly nowMs: number;
  private readonly months = new Map<number, MonthTotals>();

  constructor(readonly request: ExtractRequest) {
    this.tp = planTaxpayer(request.institution, request.credentials);
    this.book = new InvoiceBook(this.tp);
    this.today = dayOf(request.now);
    this.nowMs = request.now.getTime();
  }

  month(m: number): MonthTotals {
    let t = this.months.get(m);
    if (!t) {
      t = monthTotals(this.book, m);
      this.months.set(m, t);
    }
    return t;
  }
}
