/**
 * What answers on the bank's one HTTPS port: `/interaction/…` (the bank's pages), `/open-banking/…`
 * (the consents API, then the mounted resource handlers, else an OFB 404), and everything else
 * to oidc-provider. Also reads what each route needs from the request: the Bearer token and the
 * trusted client certificate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { randomUUID, type X509Certificate } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { MockBankContext, MockBankHandler } from './bank.js';
import type { ConsentFaults } from './consent-faults.js';
import { handleConsentsRequest, zulu, type ConsentsApiContext, type ConsentStore } from './consents.js';
import { trustedPeerCertificate } from './credentials.js';
import type { TokenChecks } from './tokens.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface BankRoutesInput {
  oidc: Provider;
  store: ConsentStore;
  /** The bank's now (the request's own while one is handled). */
  clock: () => Date;
  baseUrl: string;
  /** Origin for the consents API's `links` (see MockBankOptions.linksOrigin). */
  linksOrigin: string;
  handlers: MockBankHandler[];
  tokens: TokenChecks;
  faults: ConsentFaults;
  /** The `/interaction/…` handler (interaction.ts). */
  interaction: Listener;
}

const bearer = (req: IncomingMessage): string | undefined => {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
};

const peer = (req: IncomingMessage): X509Certificate | undefined => trustedPeerCertificate(req.socket as TLSSocket);

function notFound(res: ServerResponse, req: IncomingMessage, clock: () => Date): void {
  const sent = req.headers['x-fapi-interaction-id'];
  res.statusCode = 404;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('x-fapi-interaction-id', typeof sent === 'string' ? sent : randomUUID());
  res.end(
    JSON.stringify({
      errors: [{ code: 'NAO_ENCONTRADO', title: 'Não encontrado', detail: `${req.method} ${req.url} não existe.` }],
      meta: { requestDateTime: zulu(clock()) },
    }),
  );
}

/** The request listener of the bank's port. */
export function bankRoutes(input: BankRoutesInput): Listener {
  const { clock, handlers, tokens, faults, interaction } = input;

  const bankContext: MockBankContext = {
    clock,
    baseUrl: input.baseUrl,
    clientCertificate: peer,
    authorize: tokens.authorize,
  };

  const consentsContext: ConsentsApiContext = {
    store: input.store,
    clock,
    baseUrl: input.linksOrigin,
    async authenticate(req) {
      const token = bearer(req);
      if (!token) return null;
      return tokens.consentsCaller(token, peer(req));
    },
    creationFault: (cpf) => faults.takeConsentCreation(cpf),
  };

  const providerCallback = input.oidc.callback();

  return async function route(req, res) {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith('/interaction/')) {
        await interaction(req, res);
        return;
      }
      if (path.startsWith('/open-banking/')) {
        if (await handleConsentsRequest(req, res, consentsContext)) return;
        for (const handler of handlers) {
          if (await handler(req, res, bankContext)) return;
        }
        notFound(res, req, clock);
        return;
      }
      providerCallback(req, res);
    } catch (err) {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`mock bank error: ${(err as Error).message}`);
      } else {
        res.destroy(err as Error);
      }
    }
  };
}
