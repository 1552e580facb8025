/**
 * The widget page as its connection flows (login.ts, open-finance.ts) see it: the session they
 * run in, the card their screens go on, and how a connection ends. main.ts's Widget implements
 * it and hands itself to each flow: the flows are modules of their own, and main.ts stays the
 * page's composition.
 */
import type { Api, ApiError, Institution, Link, SessionInfo } from './api.js';
import type { Translate } from './i18n.js';
import type { WidgetOptions } from './options.js';

/** The `source` of this page's postMessage messages: to the client's page, and to the bank's window. */
export const MESSAGE_SOURCE = 'vinculo-widget';

/** The screens, by the names PAGE_LOAD events and onExit's `step` give them. */
export type Page =
  | '/loading'
  | '/institutions'
  | '/login'
  | '/consent'
  | '/consent-window'
  | '/working'
  | '/mfa'
  | '/success'
  | '/error'
  | '/exit-survey'
  | '/closed';

export interface ScreenOptions {
  /** The screen's heading, which takes focus unless `focus` names what does; false: none. */
  title: string | false;
  /** What the header's back button does; none without. */
  back?: () => void;
  focus?: HTMLElement | null;
  /** false: no close button. */
  close?: boolean;
}

export interface WidgetPage {
  readonly t: Translate;
  readonly options: WidgetOptions;
  readonly api: Api;
  readonly session: SessionInfo;
  /** Non-secret values typed into a form (login fields, the consent's CPF), kept when it is shown again. */
  readonly typed: Record<string, string>;
  /** The institution being connected: PAGE_LOAD and ERROR events and the exit data name it. */
  institution: Institution | null;
  show(page: Page, body: (Node | null)[], opts: ScreenOptions): void;
  /** A spinner with `text` while a request is under way. */
  working(text: string): void;
  showInstitutions(): Promise<void>;
  success(link: Link): void;
  recordError(e: ApiError): void;
  fail(err: unknown, retry: () => void): void;
}
