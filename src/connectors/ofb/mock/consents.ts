/**
 * The mock bank's consent resources (Consents API v3.3.1, `/open-banking/consents/v3`): the
 * store with its life cycle, and the HTTP handler for POST / GET / DELETE.
 *
 * Life cycle (consents-3.3.1.yml `info` + `ResponseConsentRead.rejection`):
 * - POST → AWAITING_AUTHORISATION;
 * - the customer presses Autorizar → AUTHORISED; Rejeitar → REJECTED by USER,
 *   CUSTOMER_MANUALLY_REJECTED;
 * - 60 min without a decision → REJECTED by ASPSP, CONSENT_EXPIRED;
 * - `expirationDateTime` reached → REJECTED by ASPSP, CONSENT_MAX_DATE_REACHED;
 * - revoked at the bank (test fault) → REJECTED by USER, CUSTOMER_MANUALLY_REVOKED;
 * - DELETE by the receiver → REJECTED by TPP (CUSTOMER_MANUALLY_REJECTED while awaiting,
 *   CUSTOMER_MANUALLY_REVOKED once authorised); DELETE of a REJECTED one → 422.
 * Time-driven transitions are applied lazily whenever a consent is read, against the injected
 * clock, so tests move time instead of sleeping. That clock may differ per request (the sandbox
 * bank answers each receiver call at the receiver's virtual time, the customer's pages at the
 * bank's own): a status change is never dated before the previous one.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { loadSpec, specVersion } from '../spec/validate.js';

export type ConsentStatus = 'AWAITING_AUTHORISATION' | 'AUTHORISED' | 'REJECTED';
export type RejectedBy = 'USER' | 'ASPSP' | 'TPP';
export type RejectionCode =
  | 'CONSENT_EXPIRED'
  | 'CUSTOMER_MANUALLY_REJECTED'
  | 'CUSTOMER_MANUALLY_REVOKED'
  | 'CONSENT_MAX_DATE_REACHED'
  | 'CONSENT_TECHNICAL_ISSUE'
  | 'INTERNAL_SECURITY_REASON';

export interface Consent {
  consentId: string;
  clientId: string;
  /** `loggedUser.document.identification` (CPF) sent by the receiver. */
  cpf: string;
  rel: string;
  permissions: string[];
  creationDateTime: Date;
  statusUpdateDateTime: Date;
  expirationDateTime?: Date;
  status: ConsentStatus;
  rejection?: { rejectedBy: RejectedBy; reason: { code: RejectionCode; additionalInformation?: string } };
  /** oidc-provider Grant created when the customer authorised; revoked when the consent dies. */
  grantId?: string;
}

/** AWAITING_AUTHORISATION → REJECTED after this long (consents-3.3.1 `info`). */
export const AWAITING_TIMEOUT_MS = 60 * 60_000;

/** The URN namespace of this bank's consent ids (`urn:ofmockbank:<uuid>`). */
export const CONSENT_URN_NAMESPACE = 'ofmockbank';

/**
 * Permission groups ("agrupamentos", consents-3.3.1 `info` table). A request must carry every
 * permission of at least one group for each permission it asks for.
 */
export const PERMISSION_GROUPS: Record<string, readonly string[]> = {
  'Dados Cadastrais PF': ['CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ', 'RESOURCES_READ'],
  'Informações complementares PF': ['CUSTOMERS_PERSONAL_ADITTIONALINFO_READ', 'RESOURCES_READ'],
  'Dados Cadastrais PJ': ['CUSTOMERS_BUSINESS_IDENTIFICATIONS_READ', 'RESOURCES_READ'],
  'Informações complementares PJ': ['CUSTOMERS_BUSINESS_ADITTIONALINFO_READ', 'RESOURCES_READ'],
  'Contas - Saldos': ['ACCOUNTS_READ', 'ACCOUNTS_BALANCES_READ', 'RESOURCES_READ'],
  'Contas - Limites': ['ACCOUNTS_READ', 'ACCOUNTS_OVERDRAFT_LIMITS_READ', 'RESOURCES_READ'],
  'Contas - Extratos': ['ACCOUNTS_READ', 'ACCOUNTS_TRANSACTIONS_READ', 'RESOURCES_READ'],
  'Cartão - Limites': ['CREDIT_CARDS_ACCOUNTS_READ', 'CREDIT_CARDS_ACCOUNTS_LIMITS_READ', 'RESOURCES_READ'],
  'Cartão - Transações': ['CREDIT_CARDS_ACCOUNTS_READ', 'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ', 'RESOURCES_READ'],
  'Cartão - Faturas': [
    'CREDIT_CARDS_ACCOUNTS_READ',
    'CREDIT_CARDS_ACCOUNTS_BILLS_READ',
    'CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ',
    'RESOURCES_READ',
  ],
  'Operações de Crédito': [
    'LOANS_READ', 'LOANS_WARRANTIES_READ', 'LOANS_SCHEDULED_INSTALMENTS_READ', 'LOANS_PAYMENTS_READ',
    'FINANCINGS_READ', 'FINANCINGS_WARRANTIES_READ', 'FINANCINGS_SCHEDULED_INSTALMENTS_READ', 'FINANCINGS_PAYMENTS_READ',
    'UNARRANGED_ACCOUNTS_OVERDRAFT_READ', 'UNARRANGED_ACCOUNTS_OVERDRAFT_WARRANTIES_READ',
    'UNARRANGED_ACCOUNTS_OVERDRAFT_SCHEDULED_INSTALMENTS_READ', 'UNARRANGED_ACCOUNTS_OVERDRAFT_PAYMENTS_READ',
    'INVOICE_FINANCINGS_READ', 'INVOICE_FINANCINGS_WARRANTIES_READ',
    'INVOICE_FINANCINGS_SCHEDULED_INSTALMENTS_READ', 'INVOICE_FINANCINGS_PAYMENTS_READ', 'RESOURCES_READ',
  ],
  Investimento: [
    'BANK_FIXED_INCOMES_READ', 'CREDIT_FIXED_INCOMES_READ', 'FUNDS_READ', 'VARIABLE_INCOMES_READ',
    'TREASURE_TITLES_READ', 'RESOURCES_READ',
  ],
  Câmbio: ['EXCHANGES_READ', 'RESOURCES_READ'],
};

/**
 * What this retail bank offers (PF only): registration data, accounts, credit cards. Other
 * permissions are dropped from the answer, as the spec tells a transmissora to do.
 */
export const SUPPORTED_PERMISSIONS: ReadonlySet<string> = new Set([
  'CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ',
  'CUSTOMERS_PERSONAL_ADITTIONALINFO_READ',
  'RESOURCES_READ',
  'ACCOUNTS_READ',
  'ACCOUNTS_BALANCES_READ',
  'ACCOUNTS_TRANSACTIONS_READ',
  'ACCOUNTS_OVERDRAFT_LIMITS_READ',
  'CREDIT_CARDS_ACCOUNTS_READ',
  'CREDIT_CARDS_ACCOUNTS_LIMITS_READ',
  'CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ',
  'CREDIT_CARDS_ACCOUNTS_BILLS_READ',
  'CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ',
]);

/** pt-BR labels for the consent page. */
export const PERMISSION_LABELS: Record<string, string> = {
  CUSTOMERS_PERSONAL_IDENTIFICATIONS_READ: 'Dados cadastrais (identificação)',
  CUSTOMERS_PERSONAL_ADITTIONALINFO_READ: 'Informações complementares',
  RESOURCES_READ: 'Lista de produtos e serviços',
  ACCOUNTS_READ: 'Contas',
  ACCOUNTS_BALANCES_READ: 'Saldos das contas',
  ACCOUNTS_TRANSACTIONS_READ: 'Extratos das contas',
  ACCOUNTS_OVERDRAFT_LIMITS_READ: 'Limites das contas',
  CREDIT_CARDS_ACCOUNTS_READ: 'Cartões de crédito',
  CREDIT_CARDS_ACCOUNTS_LIMITS_READ: 'Limites dos cartões',
  CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ: 'Transações dos cartões',
  CREDIT_CARDS_ACCOUNTS_BILLS_READ: 'Faturas dos cartões',
  CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ: 'Transações das faturas',
};

/** RFC 3339 "zulu" without fractions: the spec's date-time pattern rejects milliseconds. */
export const zulu = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export type ConsentListener = (consent: Consent) => void;

const notBefore = (at: Date, earliest: Date): Date => (at.getTime() < earliest.getTime() ? earliest : at);

export class ConsentStore {
  private readonly consents = new Map<string, Consent>();
  private readonly listeners: ConsentListener[] = [];

  constructor(private readonly clock: () => Date) {}

  /** Called once when a consent becomes REJECTED (the bank revokes its tokens there). */
  onRejected(listener: ConsentListener): void {
    this.listeners.push(listener);
  }

  create(input: {
    clientId: string;
    cpf: string;
    rel: string;
    permissions: string[];
    expirationDateTime?: Date;
  }): Consent {
    const now = this.clock();
    const consent: Consent = {
      consentId: `urn:${CONSENT_URN_NAMESPACE}:${randomUUID()}`,
      clientId: input.clientId,
      cpf: input.cpf,
      rel: input.rel,
      permissions: input.permissions,
      creationDateTime: now,
      statusUpdateDateTime: now,
      expirationDateTime: input.expirationDateTime,
      status: 'AWAITING_AUTHORISATION',
    };
    this.consents.set(consent.consentId, consent);
    return consent;
  }

  /** The consent with time-driven transitions applied, or undefined. */
  get(consentId: string): Consent | undefined {
    const consent = this.consents.get(consentId);
    if (!consent) return undefined;
    const now = this.clock().getTime();
    if (consent.status === 'AWAITING_AUTHORISATION') {
      const deadline = consent.creationDateTime.getTime() + AWAITING_TIMEOUT_MS;
      if (now >= deadline) this.reject(consent, 'ASPSP', 'CONSENT_EXPIRED', new Date(deadline));
    } else if (consent.status === 'AUTHORISED' && consent.expirationDateTime) {
      if (now >= consent.expirationDateTime.getTime()) {
        this.reject(consent, 'ASPSP', 'CONSENT_MAX_DATE_REACHED', consent.expirationDateTime);
      }
    }
    return consent;
  }

  /** The customer pressed Autorizar. Only an AWAITING consent can be authorised. */
  authorise(consentId: string, grantId: string): Consent {
    const consent = this.get(consentId);
    if (!consent || consent.status !== 'AWAITING_AUTHORISATION') {
      throw new Error(`consent ${consentId} cannot be authorised (${consent?.status ?? 'unknown'})`);
    }
    consent.status = 'AUTHORISED';
    consent.statusUpdateDateTime = notBefore(this.clock(), consent.statusUpdateDateTime);
    consent.grantId = grantId;
    return consent;
  }

  /** Moves a live consent to REJECTED; a no-op on one already rejected. */
  reject(
    consentOrId: Consent | string,
    rejectedBy: RejectedBy,
    code: RejectionCode,
    at: Date = this.clock(),
    additionalInformation?: string,
  ): Consent | undefined {
    const consent = typeof consentOrId === 'string' ? this.consents.get(consentOrId) : consentOrId;
    if (!consent || consent.status === 'REJECTED') return consent;
    consent.status = 'REJECTED';
    consent.statusUpdateDateTime = notBefore(at, consent.statusUpdateDateTime);
    consent.rejection = {
      rejectedBy,
      reason: additionalInformation ? { code, additionalInformation } : { code },
    };
    for (const listener of this.listeners) listener(consent);
    return consent;
  }

  all(): Consent[] {
    return [...this.consents.keys()].map((id) => this.get(id)!);
  }
}

/** The `data` object of ResponseConsent / ResponseConsentRead. */
export function consentData(consent: Consent): Record<string, unknown> {
  return {
    consentId: consent.consentId,
    creationDateTime: zulu(consent.creationDateTime),
    status: consent.status,
    statusUpdateDateTime: zulu(consent.statusUpdateDateTime),
    permissions: consent.permissions,
    ...(consent.expirationDateTime ? { expirationDateTime: zulu(consent.expirationDateTime) } : {}),
    ...(consent.rejection ? { rejection: consent.rejection } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export const CONSENTS_BASE_PATH = '/open-banking/consents/v3/consents';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Who is calling, resolved by the bank from the Bearer token and the TLS client certificate. */
export interface ConsentsCaller {
  clientId: string;
}

export interface ConsentsApiContext {
  store: ConsentStore;
  clock: () => Date;
  baseUrl: string;
  /**
   * Resolves a client_credentials token bound to the presented certificate: null when there is
   * no such token (401), `insufficient_scope` when it lacks `consents` (403).
   */
  authenticate(req: IncomingMessage): Promise<ConsentsCaller | 'insufficient_scope' | null>;
  /**
   * Test seam: a status (5xx) to answer a valid `POST /consents` of this CPF (`loggedUser`) with
   * instead of creating the consent, or null to create it.
   */
  creationFault?(cpf: string): ConsentCreationFault | null;
}

/** The bank failing to create a consent: its documented server errors. */
export interface ConsentCreationFault {
  status: 500 | 504 | 529;
}

const CREATION_FAULT_TEXT: Record<ConsentCreationFault['status'], [string, string]> = {
  500: ['ERRO_INTERNO', 'Erro interno'],
  504: ['TEMPO_ESGOTADO', 'Tempo de resposta esgotado'],
  529: ['SITE_SOBRECARREGADO', 'Site sobrecarregado'],
};

let createConsentValidator: ValidateFunction | undefined;

/** Ajv validator for the `CreateConsent` request body, compiled from the spec copy. */
function validateCreateConsent(): ValidateFunction {
  if (createConsentValidator) return createConsentValidator;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addFormat('int32', true);
  ajv.addSchema({ $id: 'consents-request', components: loadSpec('consents').components });
  createConsentValidator = ajv.getSchema('consents-request#/components/schemas/CreateConsent')!;
  return createConsentValidator;
}

function send(
  res: ServerResponse,
  status: number,
  interactionId: string,
  body?: unknown,
): void {
  res.statusCode = status;
  res.setHeader('x-fapi-interaction-id', interactionId);
  res.setHeader('x-v', specVersion('consents'));
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

function errorBody(clock: () => Date, code: string, title: string, detail: string): unknown {
  return { errors: [{ code, title, detail }], meta: { requestDateTime: zulu(clock()) } };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/** Permissions asked that belong to no complete group in the request. */
function incompleteGroups(permissions: string[]): string[] {
  const asked = new Set(permissions);
  return permissions.filter(
    (p) => !Object.values(PERMISSION_GROUPS).some((g) => g.includes(p) && g.every((m) => asked.has(m))),
  );
}

/**
 * Handles `/open-banking/consents/v3/consents[/{consentId}]`. Returns false for other paths so
 * the caller can route them elsewhere.
 */
export async function handleConsentsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ConsentsApiContext,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', ctx.baseUrl);
  if (url.pathname !== CONSENTS_BASE_PATH && !url.pathname.startsWith(`${CONSENTS_BASE_PATH}/`)) return false;
  const { clock, store } = ctx;

  // x-fapi-interaction-id is required on every operation; a missing/invalid one gets a fresh id
  // and a 400, as the OFB APIs document for the header.
  const sent = req.headers['x-fapi-interaction-id'];
  const interactionId = typeof sent === 'string' && UUID.test(sent) ? sent : randomUUID();
  if (interactionId !== sent) {
    send(res, 400, interactionId, errorBody(clock, 'PARAMETRO_INVALIDO', 'Parâmetro inválido', 'x-fapi-interaction-id ausente ou inválido.'));
    return true;
  }

  const caller = await ctx.authenticate(req);
  if (!caller) {
    send(res, 401, interactionId, errorBody(clock, 'NAO_AUTORIZADO', 'Não autorizado', 'Token de acesso ausente, inválido ou não vinculado ao certificado apresentado.'));
    return true;
  }
  if (caller === 'insufficient_scope') {
    send(res, 403, interactionId, errorBody(clock, 'PROIBIDO', 'Proibido', 'O token não tem o escopo consents.'));
    return true;
  }

  const rest = url.pathname.slice(CONSENTS_BASE_PATH.length);
  if (rest === '' || rest === '/') {
    if (req.method !== 'POST') {
      send(res, 405, interactionId, errorBody(clock, 'METODO_NAO_PERMITIDO', 'Método não permitido', `${req.method} não é suportado.`));
      return true;
    }
    await createConsent(req, res, ctx, caller, interactionId);
    return true;
  }

  const consentId = decodeURIComponent(rest.slice(1));
  if (consentId.includes('/')) {
    // /extends and /extensions are not offered by this mock.
    send(res, 404, interactionId, errorBody(clock, 'NAO_ENCONTRADO', 'Não encontrado', 'Recurso não suportado por este banco.'));
    return true;
  }
  const consent = store.get(consentId);
  if (!consent || consent.clientId !== caller.clientId) {
    send(res, 404, interactionId, errorBody(clock, 'NAO_ENCONTRADO', 'Consentimento não encontrado', `Consentimento ${consentId} não encontrado.`));
    return true;
  }
  const self = `${ctx.baseUrl}${CONSENTS_BASE_PATH}/${consent.consentId}`;

  if (req.method === 'GET') {
    send(res, 200, interactionId, {
      data: consentData(consent),
      links: { self },
      meta: { requestDateTime: zulu(clock()) },
    });
    return true;
  }
  if (req.method === 'DELETE') {
    if (consent.status === 'REJECTED') {
      send(res, 422, interactionId, errorBody(clock, 'CONSENTIMENTO_EM_STATUS_REJEITADO', 'Consentimento em status rejeitado', 'O consentimento informado já se encontra no status REJECTED.'));
      return true;
    }
    const code = consent.status === 'AUTHORISED' ? 'CUSTOMER_MANUALLY_REVOKED' : 'CUSTOMER_MANUALLY_REJECTED';
    store.reject(consent, 'TPP', code);
    send(res, 204, interactionId);
    return true;
  }
  send(res, 405, interactionId, errorBody(clock, 'METODO_NAO_PERMITIDO', 'Método não permitido', `${req.method} não é suportado.`));
  return true;
}

async function createConsent(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ConsentsApiContext,
  caller: ConsentsCaller,
  interactionId: string,
): Promise<void> {
  const { clock, store } = ctx;
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    send(res, 400, interactionId, errorBody(clock, 'PARAMETRO_INVALIDO', 'Corpo inválido', 'O corpo da requisição não é um JSON válido.'));
    return;
  }
  const validate = validateCreateConsent();
  if (!validate(body)) {
    const detail = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ');
    send(res, 400, interactionId, errorBody(clock, 'PARAMETRO_INVALIDO', 'Parâmetro inválido', detail.slice(0, 2048)));
    return;
  }
  const data = (body as { data: CreateConsentData }).data;
  const fault = ctx.creationFault?.(data.loggedUser.document.identification);
  if (fault) {
    const [code, title] = CREATION_FAULT_TEXT[fault.status];
    send(res, fault.status, interactionId, errorBody(clock, code, title, 'O consentimento não pôde ser criado agora. Tente mais tarde.'));
    return;
  }
  const unprocessable = (code: string, title: string, detail: string): void =>
    send(res, 422, interactionId, errorBody(clock, code, title, detail));

  const permissions = [...new Set(data.permissions)];
  const hasPf = permissions.some((p) => p.startsWith('CUSTOMERS_PERSONAL_'));
  const hasPj = permissions.some((p) => p.startsWith('CUSTOMERS_BUSINESS_'));
  if (hasPf && hasPj) {
    unprocessable('PERMISSAO_PF_PJ_EM_CONJUNTO', 'Permissão PF e PJ em conjunto', 'Permissões de pessoa natural e jurídica não podem ser pedidas juntas.');
    return;
  }
  if (hasPj && !data.businessEntity) {
    unprocessable('INFORMACOES_PJ_NAO_INFORMADAS', 'Informações PJ não informadas', 'Permissões PJ exigem businessEntity.');
    return;
  }
  const incomplete = incompleteGroups(permissions);
  if (incomplete.length) {
    unprocessable('COMBINACAO_PERMISSOES_INCORRETA', 'Combinação de permissões incorreta', `Agrupamento incompleto para: ${incomplete.join(', ')}.`);
    return;
  }
  let expirationDateTime: Date | undefined;
  if (data.expirationDateTime !== undefined) {
    expirationDateTime = new Date(data.expirationDateTime);
    const now = clock();
    const max = new Date(now);
    max.setUTCFullYear(max.getUTCFullYear() + 1);
    if (!(expirationDateTime.getTime() > now.getTime()) || expirationDateTime.getTime() > max.getTime()) {
      unprocessable('DATA_EXPIRACAO_INVALIDA', 'Data de expiração inválida', 'expirationDateTime deve estar no futuro e em até 12 meses.');
      return;
    }
  }
  const granted = permissions.filter((p) => SUPPORTED_PERMISSIONS.has(p));
  // RESOURCES_READ alone is not a functional permission.
  if (!granted.some((p) => p !== 'RESOURCES_READ')) {
    unprocessable('SEM_PERMISSOES_FUNCIONAIS_RESTANTES', 'Sem permissões funcionais restantes', 'Nenhuma das permissões pedidas é oferecida por este banco.');
    return;
  }
  const consent = store.create({
    clientId: caller.clientId,
    cpf: data.loggedUser.document.identification,
    rel: data.loggedUser.document.rel,
    permissions: granted,
    expirationDateTime,
  });
  send(res, 201, interactionId, {
    data: consentData(consent),
    links: { self: `${ctx.baseUrl}${CONSENTS_BASE_PATH}/${consent.consentId}` },
    meta: { requestDateTime: zulu(clock()) },
  });
}

interface CreateConsentData {
  loggedUser: { document: { identification: string; rel: string } };
  businessEntity?: { document: { identification: string; rel: string } };
  permissions: string[];
  expirationDateTime?: string;
}
