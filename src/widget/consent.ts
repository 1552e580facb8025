import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { ConnectorState } from '../connectors/connector.js';
import { apiError, fieldError, ValidationErrors, VinculoError } from '../errors.js';
import type { ConsentLinkOptions, Links } from '../links/service.js';
import * as consents from '../store/queries/ofb-consents.js';
import * as sessions from '../store/queries/widget-sessions.js';
import type { Database } from '../store/schema.js';
import type { Tenants } from '../tenants/service.js';
import type { Vault } from '../vault/index.js';
import { checkWidgetConfig, CONSENT_PERMISSIONS, type AppliedWidgetConfig, type ConsentPermission } from './config.js';
import { CallbackBody, type ConsentStartBody } from './schema.js';
import type { WidgetContext } from './service.js';
import { cpfDigits, isValidCpf } from '../documents/cpf.js';
import { withQuery } from './callback-url.js';

/**
 * Open Finance Brasil consents in the Connect widget. A bank's links are not made with a login
 * form but by the user's consent at the bank (an OAuth redirect, hybrid flow):
 *
 * 1. The widget page (Bearer token) calls `POST /widget/api/consents/` with the institution, the
 *    CPF, the permission groups and the duration. The connector's `startConsent` answers the
 *    bank's authorization URL, the OAuth `state` and a `pending` state, which is sealed into a
 *    consent session (table consent_sessions, ~10 minutes) found again by the hash of that `state`.
 * 2. The browser goes to the bank (top level: banks refuse to be framed).
 * 3. The bank sends it back to `GET /ofb/callback` with `code`/`id_token`/`state` in the URL
 *    fragment (or an `error`). The fragment never reaches a server, so that page's script posts
 *    it to `POST /ofb/callback`, which takes the consent session (one-time), finishes the consent,
 *    creates the link (Links.connectConsent), ends the widget session as a connection does, and
 *    answers where the browser goes: `callback_urls.success?link=&institution=` or
 *    `callback_urls.exit?last_encountered_error=...`, else the hosted widget page with the result.
 */

/** How long the user has at the bank before the consent session is refused. */
export const CONSENT_SESSION_TTL_SECONDS = 600;
/** The widget session's connection claim while a callback finishes its consent. */
const FINISH_TTL_SECONDS = 120;

const sessionAad = (id: string) => `ofb-consent-session:${id}`;
const hashState = (state: string) => createHash('sha256').update(state, 'utf8').digest('hex');

/** What is sealed per consent session: the connector's pending state and the user's CPF. */
interface SealedConsent {
  pending: ConnectorState;
  document: string;
}

/** `last_encountered_error` of an exit: Belvo's `{code, message}`. */
export interface ConsentError {
  code: string;
  message: string;
}

/** The answer of `POST /ofb/callback`: where the browser goes, and (for a widget that opened a window) what happened. */
export interface CallbackAnswer {
  redirect_url: string;
  outcome: 'success' | 'exit';
  institution: string;
  link?: string;
  last_encountered_error?: ConsentError;
}

function errorOf(err: unknown): ConsentError {
  if (err instanceof VinculoError) return { code: err.code, message: err.message };
  if (err instanceof ValidationErrors && err.errors[0]) return { code: err.errors[0].code, message: err.errors[0].message };
  return { code: 'unexpected_error', message: 'Something went wrong while finishing the consent' };
}

export class ConsentFlow {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly vault: Vault,
    private readonly tenants: Tenants,
    private readonly links: Links,
    /** Milliseconds since the epoch (tests move it to expire a consent session). */
    private readonly now: () => number = Date.now,
  ) {}

  /** `POST /widget/api/consents/`: starts the consent at the bank; answers where to send the user. */
  async start(ctx: WidgetContext, body: ConsentStartBody): Promise<{ redirect_url: string }> {
    for (const scope of ['write_links', 'write_consents'] as const) {
      if (!ctx.claims.scopes.includes(scope)) throw apiError('permission_denied', `This token does not have the ${scope} scope`);
    }
    if (ctx.session.link_id) throw apiError('permission_denied', 'This token is for updating one link; it cannot create links');
    const widget = checkWidgetConfig(ctx.session.widget);
    if (widget.openfinance_feature !== 'consent_link_creation') {
      throw apiError('permission_denied', 'This token was not issued for Open Finance consents (widget.openfinance_feature "consent_link_creation")');
    }
    const document = this.document(widget, body.document);
    const allowed: readonly ConsentPermission[] = widget.consent?.permissions ?? CONSENT_PERMISSIONS;
    const permissions = body.permissions ? [...new Set(body.permissions)] : [...allowed];
    const extra = permissions.filter((p) => !allowed.includes(p));
    if (extra.length) throw new ValidationErrors([fieldError.invalid('permissions', `Not allowed by this token: ${extra.join(', ')}.`)]);

    const tokenOptions = ctx.session.link_options as Pick<ConsentLinkOptions, 'credentials_storage' | 'stale_in' | 'fetch_resources'>;
    const options: ConsentLinkOptions = {
      ...tokenOptions,
      ...(body.access_mode ? { access_mode: body.access_mode } : {}),
      ...(body.external_id ? { external_id: body.external_id } : {}),
    };
    const started = await this.links.startConsent(
      ctx.principal,
      body.institution,
      { document, name: widget.consent?.identification_info?.[0]?.name, permissions, months: body.months },
      options,
    );
    let url: URL;
    try {
      url = new URL(started.authorizationUrl);
    } catch {
      throw apiError('unexpected_error', 'The institution gave no valid authorization URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw apiError('unexpected_error', 'The institution gave no valid authorization URL');
    const state = started.state;
    if (state.length < 8) throw apiError('unexpected_error', 'The institution gave no OAuth state to recognise its callback by');

    const id = randomUUID();
    const sealed: SealedConsent = { pending: started.pending, document };
    await consents.insertConsentSession(this.db, {
      id,
      tenant_id: ctx.principal.tenantId,
      widget_session_id: ctx.session.id,
      institution: started.institution.name,
      state_hash: hashState(state),
      options: options as Record<string, unknown>,
      expires_at: new Date(this.now() + CONSENT_SESSION_TTL_SECONDS * 1000),
      ...this.vault.sealJson(sealed, sessionAad(id)),
    });
    return { redirect_url: url.href };
  }

  /** The CPF: the token's `identification_info` when it has one (the body may only repeat it), else the body's. */
  private document(widget: AppliedWidgetConfig, given: string | undefined): string {
    const fromToken = widget.consent?.identification_info?.[0]?.number;
    if (fromToken) {
      if (given !== undefined && cpfDigits(given) !== fromToken) {
        throw new ValidationErrors([fieldError.invalid('document', 'Must be the CPF this token was issued for.')]);
      }
      return fromToken;
    }
    if (given === undefined) throw new ValidationErrors([fieldError.required('document')]);
    // Never echo the number: it identifies a person.
    if (!isValidCpf(given)) throw new ValidationErrors([fieldError.invalid('document', 'Must be a valid CPF (11 digits, check digits included).')]);
    return cpfDigits(given)!;
  }

  /**
   * `POST /ofb/callback`: what the bank sent back. An unknown or already used `state` is a 400
   * (there is no session to send the user back to); everything else answers where to go next.
   */
  async callback(params: Record<string, string>, requestId?: string): Promise<CallbackAnswer> {
    const state = params.state;
    const row = state ? await consents.takeConsentSession(this.db, hashState(state)) : undefined;
    if (!row) {
      throw new ValidationErrors([fieldError.invalid('state', 'Unknown or already used authorization: start again from the Connect widget.')]);
    }
    const session = await sessions.findWidgetSession(this.db, row.widget_session_id);
    let widget: AppliedWidgetConfig = { branding: {}, callback_urls: {}, theme: [] };
    try {
      widget = checkWidgetConfig(session?.widget);
    } catch {
      /* stored before a stricter check: no callback URLs then */
    }
    const exit = (error: ConsentError): CallbackAnswer => {
      const url = widget.callback_urls.exit;
      const redirect_url = url
        ? withQuery(url, { last_encountered_error: JSON.stringify(error), institution: row.institution })
        : `/widget/#${new URLSearchParams({ consent: 'error', code: error.code, institution: row.institution })}`;
      return { redirect_url, outcome: 'exit', institution: row.institution, last_encountered_error: error };
    };

    if (row.expires_at.getTime() <= this.now()) {
      return exit({ code: 'session_expired', message: 'The consent took too long to be given at the institution; please start again' });
    }
    const principal = session && !session.completed_at && !session.revoked_at ? await this.tenants.principalForKey(session.key_id) : null;
    if (!session || !principal || principal.tenantId !== row.tenant_id) {
      return exit({ code: 'authentication_failed', message: 'This widget session has ended' });
    }
    // One connection at a time per widget session, as for a login: two consents never both make a link.
    if (!(await sessions.claimWidgetSession(this.db, session.id, FINISH_TTL_SECONDS))) {
      return exit(errorOf(apiError('too_many_sessions')));
    }
    try {
      const sealed = this.vault.openJson<SealedConsent>(row, sessionAad(row.id));
      const link = await this.links.connectConsent(
        { ...principal, requestId, viaWidget: true },
        {
          institution: row.institution,
          callback: params,
          pending: sealed.pending,
          document: sealed.document,
          options: row.options as ConsentLinkOptions,
        },
      );
      await sessions.completeWidgetSession(this.db, session.id, link.id);
      const url = widget.callback_urls.success;
      const redirect_url = url
        ? withQuery(url, { link: link.id, institution: link.institution })
        : `/widget/#${new URLSearchParams({ consent: 'success', link: link.id, institution: link.institution })}`;
      return { redirect_url, outcome: 'success', institution: link.institution, link: link.id };
    } catch (err) {
      return exit(errorOf(err));
    } finally {
      await sessions.releaseWidgetSession(this.db, session.id);
    }
  }
}

// ---- the OAuth redirect's page ----------------------------------------------------------------

/** Only this page's own script, and its one call back to this origin. */
const CALLBACK_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CALLBACK_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Vinculo</title>
</head>
<body>
<p id="status" role="status">Finishing your connection…</p>
<noscript>This page needs JavaScript to finish connecting your account.</noscript>
<script src="/ofb/callback.js"></script>
</body>
</html>
`;

/**
 * The page's script (plain ES2017, no build): takes the bank's answer out of the address bar,
 * posts it, and follows the answer. A widget that opened this window (the embedded widget cannot
 * navigate its frame to a bank) is told the result and, once it acknowledges, the window closes.
 */
const CALLBACK_JS = `(function () {
  var words = {
    en: 'Finishing your connection…', es: 'Terminando tu conexión…', pt: 'Finalizando sua conexão…'
  };
  var lang = (navigator.language || 'en').slice(0, 2).toLowerCase();
  document.getElementById('status').textContent = words[lang] || words.en;
  var raw = location.hash.length > 1 ? location.hash.slice(1) : location.search.slice(1);
  history.replaceState(null, '', location.pathname);
  var params = {};
  new URLSearchParams(raw).forEach(function (value, key) { params[key] = value; });
  function go(url) { location.replace(url); }
  function tellOpener(answer, then) {
    var opener = window.opener;
    if (!opener) return then();
    var done = false;
    function onAck(e) {
      if (e.origin !== location.origin || e.source !== opener || !e.data || e.data.source !== 'vinculo-widget' || e.data.type !== 'consent-ack') return;
      done = true;
      window.removeEventListener('message', onAck);
      window.close();
    }
    window.addEventListener('message', onAck);
    try {
      opener.postMessage({ source: 'vinculo-consent', type: 'consent-result', answer: answer }, location.origin);
    } catch (e) { /* another origin opened this window */ }
    setTimeout(function () { if (!done) { window.removeEventListener('message', onAck); then(); } }, 1500);
  }
  fetch('/ofb/callback', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params: params }),
    credentials: 'omit',
    cache: 'no-store'
  }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (body) {
      if (res.ok && body && typeof body.redirect_url === 'string') {
        return tellOpener(body, function () { go(body.redirect_url); });
      }
      var code = Array.isArray(body) && body[0] && body[0].code ? body[0].code : 'unexpected_error';
      go('/widget/#consent=error&code=' + encodeURIComponent(code));
    });
  }).catch(function () {
    go('/widget/#consent=error&code=network_error');
  });
})();
`;

/** `GET /ofb/callback` (the OAuth redirect URI), its script, and `POST /ofb/callback`. Public: the state is the proof. */
// Takes the widget service, not its ConsentFlow: `vinculo openapi` registers routes over services it never calls.
export const consentCallbackRoutes: FastifyPluginAsyncTypebox<{ widget: { readonly consents: ConsentFlow } }> = async (app, { widget }) => {
  // A query-mode callback carries the authorization code in the URL: keep it out of the request log lines.
  app.get('/ofb/callback', { logLevel: 'warn' }, async (_req, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', CALLBACK_CSP)
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(CALLBACK_HTML),
  );
  app.get('/ofb/callback.js', async (_req, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(CALLBACK_JS),
  );
  app.post('/ofb/callback', { schema: { body: CallbackBody } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return widget.consents.callback(req.body.params, req.id);
  });
};
