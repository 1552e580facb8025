/**
 * The bank's side of an authorization: `/interaction/<uid>`, where oidc-provider hands over the
 * login and consent prompts. Drives the pages (pages.ts holds their markup) and moves the consent
 * through its life cycle on the customer's answers (CPF login, Autorizar / Rejeitar), ending each
 * interaction with oidc-provider's result.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { ACR_LOA2, consentIdsInScope } from './authorization-server.js';
import type { ConsentFaults } from './consent-faults.js';
import type { ConsentStore } from './consents.js';
import { consentPage, errorPage, loginPage } from './pages.js';
import { isValidCpf, normalizeCpf } from './resources/documents.js';

export interface InteractionInput {
  oidc: Provider;
  store: ConsentStore;
  /** The bank's now (the request's own while one is handled). */
  clock: () => Date;
  baseUrl: string;
  /** The receiver's name, shown on the pages. */
  clientName: string;
  faults: ConsentFaults;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(html);
}

/** The handler of every request under `/interaction/`. */
export function interactionHandler(input: InteractionInput): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { oidc, store, clock, baseUrl, clientName, faults } = input;

  return async function handleInteraction(req, res) {
    const url = new URL(req.url ?? '/', baseUrl);
    const [, , uid, action] = url.pathname.split('/');
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await oidc.interactionDetails(req, res);
    } catch {
      sendHtml(res, 400, errorPage('Sessão de autorização inválida ou expirada.'));
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage('Sessão de autorização inválida.'));
      return;
    }
    const params = details.params as Record<string, string | undefined>;
    const [consentId] = consentIdsInScope(params.scope);
    const consent = consentId ? store.get(consentId) : undefined;
    const deny = (description: string) =>
      oidc.interactionFinished(req, res, { error: 'access_denied', error_description: description }, { mergeWithLastSubmission: false });

    if (!consent || consent.status !== 'AWAITING_AUTHORISATION') {
      await deny(`consent is ${consent?.status ?? 'unknown'}`);
      return;
    }
    // An injected failure of the authorization endpoint, as soon as the user arrives.
    const failure = req.method === 'GET' && !action ? faults.takeAuthorization(consent.cpf) : undefined;
    if (failure) {
      await oidc.interactionFinished(
        req,
        res,
        { error: failure, error_description: 'the authorization server could not process the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (details.prompt.name === 'login') {
      if (req.method === 'GET' && !action) {
        sendHtml(res, 200, loginPage(details.uid, clientName));
        return;
      }
      if (req.method === 'POST' && action === 'login') {
        const typed = (await readForm(req)).get('cpf') ?? '';
        if (!isValidCpf(typed)) {
          sendHtml(res, 400, loginPage(details.uid, clientName, 'CPF inválido. Verifique o número digitado.'));
          return;
        }
        const cpf = normalizeCpf(typed);
        // FAPI-BR: the authenticated customer must be the consent's loggedUser.
        if (cpf !== consent.cpf) {
          store.reject(consent, 'ASPSP', 'INTERNAL_SECURITY_REASON', clock(), 'CPF autenticado diverge do loggedUser');
          await deny('authenticated CPF does not match the consent loggedUser');
          return;
        }
        await oidc.interactionFinished(
          req,
          res,
          { login: { accountId: cpf, acr: ACR_LOA2, amr: ['pwd'], remember: false } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
    }

    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      if (accountId !== consent.cpf) {
        store.reject(consent, 'ASPSP', 'INTERNAL_SECURITY_REASON', clock(), 'CPF autenticado diverge do loggedUser');
        await deny('authenticated CPF does not match the consent loggedUser');
        return;
      }
      if (req.method === 'GET' && !action) {
        sendHtml(
          res,
          200,
          consentPage({
            uid: details.uid,
            clientName,
            cpf: consent.cpf,
            permissions: consent.permissions,
            expirationDateTime: consent.expirationDateTime,
          }),
        );
        return;
      }
      if (req.method === 'POST' && action === 'decision') {
        const decision = (await readForm(req)).get('decision');
        if (decision === 'reject') {
          store.reject(consent, 'USER', 'CUSTOMER_MANUALLY_REJECTED');
          await deny('the customer rejected the consent');
          return;
        }
        if (decision !== 'authorize') {
          sendHtml(res, 400, errorPage('Escolha Autorizar ou Rejeitar.'));
          return;
        }
        const grant = details.grantId
          ? (await oidc.Grant.find(details.grantId))!
          : new oidc.Grant({ accountId, clientId: params.client_id! });
        const prompt = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (prompt.missingOIDCScope) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
        if (prompt.missingOIDCClaims) grant.addOIDCClaims(prompt.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        store.authorise(consent.consentId, grantId);
        await oidc.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
    }
    sendHtml(res, 404, errorPage('Página não encontrada.'));
  };
}
