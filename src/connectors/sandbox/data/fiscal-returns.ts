/**
 * Which tax returns a request gets: monthly ones for the months of its date window, yearly ones
 * for its fiscal years (by default the five up to this one), none before the taxpayer registered.
 *
 * Tax returns are computed from the same invoices the invoices resource returns (income from
 * issued CFDIs, deductions from received ones, salaries from payroll CFDIs), so the numbers agree
 * across resources. A return exists once its filing date has passed.
 */
import type { ExtractedRecord } from '../../connector.js';
import { dayInMonth, monthOfDay, ymd } from './calendar.js';
import type { FiscalContext } from './fiscal-context.js';
import { filed, filing } from './fiscal-return-filing.js';
import { monthlyBusiness, monthlyPersonal } from './fiscal-returns-monthly.js';
import { yearlyBusiness, yearlyPersonal } from './fiscal-returns-yearly.js';
import { requestWindow } from './window.js';

export function taxReturns(fiscal: FiscalContext): ExtractedRecord[] {
  if (fiscal.request.type === 'monthly') {
    const window = requestWindow(fiscal.request);
    if (!window) return [];
    const out: ExtractedRecord[] = [];
    for (let m = monthOfDay(window.from); m <= monthOfDay(window.to); m++) {
      if (dayInMonth(m, 31) < fiscal.tp.startDay) continue;
      const f = filing(fiscal, 'monthly', m);
      if (filed(fiscal, f)) out.push(fiscal.tp.company ? monthlyBusiness(fiscal, m, f) : monthlyPersonal(fiscal, m, f));
    }
    return out;
  }
  const thisYear = ymd(fiscal.today).year;
  const yearTo = fiscal.request.yearTo ?? thisYear;
  const yearFrom = fiscal.request.yearFrom ?? yearTo - 4;
  const out: ExtractedRecord[] = [];
  for (let year = Math.max(yearFrom, ymd(fiscal.tp.startDay).year); year <= yearTo; year++) {
    const f = filing(fiscal, 'yearly', year);
    if (filed(fiscal, f)) out.push(fiscal.tp.company ? yearlyBusiness(fiscal, year, f) : yearlyPersonal(fiscal, year, f));
  }
  return out;
}
