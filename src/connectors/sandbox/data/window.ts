/**
 * The date window of an extraction: `dateFrom` / `dateTo` (inclusive), by default the last 365
 * days, never past today (there is no future data to extract).
 */
import type { ExtractRequest } from '../../connector.js';
import { dayOf, parseIsoDate } from './calendar.js';

/** Default window when the request gives no dates: the last 365 days. */
export const DEFAULT_WINDOW_DAYS = 365;

export interface Window {
  from: number;
  to: number;
}

/** The request's inclusive window as day numbers, clamped to today; null when empty. */
export function requestWindow(request: ExtractRequest, defaultDays = DEFAULT_WINDOW_DAYS): Window | null {
  const today = dayOf(request.now);
  const to = Math.min(parseIsoDate(request.dateTo) ?? today, today);
  const from = parseIsoDate(request.dateFrom) ?? today - (defaultDays - 1);
  return from <= to ? { from, to } : null;
}

