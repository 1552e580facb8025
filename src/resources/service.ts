import type { Kysely } from 'kysely';
import type { DataConnector, ExtractedRecord, ExtractRequest, LoginOutcome } from '../connectors/connector.js';
import type { Audit, AuditActor } from '../audit/index.js';
import { apiError, fieldError, isCredentialsRejected, ValidationErrors } from '../errors.js';
import { parseFilters } from '../filters/index.js';
import type { PageRequest } from '../pagination.js';
import { UUID, type Institution, type LinkAccess, type LinkSecrets } from '../links/access.js';
import { assertUsable, type LinkStatus } from '../links/status.js';
import { uuidv7 } from '../store/ids.js';
import * as data from '../store/queries/link-data.js';
import { hasAsyncEvent } from '../store/queries/webhooks.js';
import { noticeEvents } from '../webhooks/notices.js';
import type { Database, LinkRow } from '../store/schema.js';
import type { WebhookEvent } from '../webhooks/index.js';
import type { Principal } from '../tenants/service.js';
import { latestToday, resourceByName, type ResourceDefinition, type RetrieveParams } from './definitions.js';
import { toObject, toObjectJson, type ObjectSource } from './objects.js';
import type { ResumeRetrievalBody, RetrieveBody } from './schema.js';

/**
 * Where webhooks are written (the outbox of src/webhooks), inside the caller's transaction. Owned
 * here, by the code that emits, so neither emitter depends on the webhooks module's internals.
 */
export interface WebhookEmitter {
  emit(tx: Kysely<Database>, event: WebhookEvent): Promise<unknown>;
}

/** Extracted objects with their ids, and which of them are new or changed (when stored). */
export interface Placed {
  objects: ObjectSource[];
  inserted: string[];
  updated: string[];
}

/** What one retrieval stored: its accounts (for resources that embed them) and its records. */
export interface Collected {
  accounts: Placed;
  records: Placed;
  now: Date;
}

/** One resource request's extraction (its accounts too, for resources that embed them), before it is stored. */
export interface Extracted {
  def: ResourceDefinition;
  params: RetrieveParams;
  now: Date;
  accounts: ExtractedRecord[];
  records: ExtractedRecord[];
}

/** What a retrieval's MFA session keeps to finish the retrieval once answered. */
interface RetrievalResume {
  resource: string;
  params: RetrieveParams;
}

/** MFA sessions of retrievals are named by resource, so one resource's PATCH cannot finish another's. */
const sessionPurpose = (def: ResourceDefinition) => `retrieve:${def.path}`;

export interface RetrieveOptions {
  /** `X-Belvo-Request-Mode: async`: answer at once, retrieve in the background (a job). */
  async?: boolean;
  requestId: string;
}

/** A retrieval's answer: the objects, or only the request id when it runs in the background. */
export type RetrieveResult = { kind: 'objects'; saved: boolean; body: unknown } | { kind: 'accepted'; body: { request_id: string } };

/** Who a retrieval acts for: the audit log's actor and request, the MFA session's tenant. */
export type RetrievalActor = Pick<Principal, 'tenantId' | 'keyId' | 'requestId'>;

/** What a retrieval of a link uses, checked before it starts: where from, which account, which credentials. */
export interface RetrievalSource {
  inst: Institution;
  connector: DataConnector;
  /** The named account's internal id. */
  account?: string;
  secrets: LinkSecrets;
}

/** Where async retrievals go (src/resources/background.ts: a durable job). */
export interface BackgroundRetrieval {
  /** Takes the link's session for the job and queues it; throws `too_many_sessions` as a retrieval would. */
  accept(p: RetrievalActor, link: LinkRow, def: ResourceDefinition, params: RetrieveParams, requestId: string): Promise<void>;
}

/**
 * Link data: retrieving a resource from the institution now (and storing it), then listing,
 * reading and deleting what was stored. Generic over the resource definitions; the institution
 * session, secrets and MFA sessions go through LinkAccess.
 */
export class LinkData {
  constructor(
    private readonly access: LinkAccess,
    private readonly background: BackgroundRetrieval,
    private readonly audit: Audit,
    private readonly webhooks?: WebhookEmitter,
  ) {}

  private get db() {
    return this.access.db;
  }

  /** POST /api/<resource>/ */
  async retrieve(p: Principal, def: ResourceDefinition, body: RetrieveBody, options: RetrieveOptions): Promise<RetrieveResult> {
    const params = def.params(body, latestToday(await this.access.now(p.tenantId)));
    const link = await this.access.find(p, body.link);
    if (!link) throw new ValidationErrors([fieldError.doesNotExist('link', 'id', body.link)]);
    assertUsable(link.status as LinkStatus);
    const source = await this.prepare(link, def, params);
    if (options.async) {
      // The session is taken before answering (and held by the job until it ends), so a
      // concurrent operation is refused to its caller, not lost.
      await this.background.accept(p, link, def, params, options.requestId);
      return { kind: 'accepted', body: { request_id: options.requestId } };
    }
    return this.answer(def, params, await this.access.withLease(link, () => this.run(p, link, def, params, source)));
  }

  /** Checks that `link` can retrieve `def` now and finds what the retrieval uses. */
  async prepare(link: LinkRow, def: ResourceDefinition, params: RetrieveParams): Promise<RetrievalSource> {
    const { inst, connector } = await this.source(link, def);
    const account = params.account ? await this.account(link, params.account) : undefined;
    this.access.assertUp(inst);
    const secrets = await this.access.secrets(link);
    if (!secrets) {
      throw apiError(
        'unsupported_operation',
        'This link does not keep credentials (credentials_storage): its data comes only from fetch_resources',
      );
    }
    return { inst, connector, account, secrets };
  }

  /**
   * Logs in with the stored credentials (and `params.token`) and collects `def`; the caller holds
   * the link's session. A challenge opens an MFA session and throws its 428. `announce` (an async
   * retrieval's request id): the webhook that tells the client it is done, written with the data.
   */
  async run(
    p: RetrievalActor,
    link: LinkRow,
    def: ResourceDefinition,
    params: RetrieveParams,
    { inst, connector, account, secrets }: RetrievalSource,
    announce?: string,
  ): Promise<Record<string, unknown>[]> {
    const outcome = await this.login(p, link, inst, connector, secrets, params.token);
    if (outcome.kind === 'challenge') {
      const session = await this.db.transaction().execute(async (tx) => {
        await this.access.recordAccessFailure(tx, link, 'access_challenged');
        const resume: RetrievalResume = { resource: def.path, params };
        return this.access.openSession(tx, p, link.id, sessionPurpose(def), { ...secrets, pending: outcome.pending, resume });
      });
      throw this.access.mfaRequired(session, link.id, outcome.challenge);
    }
    const kept = { credentials: secrets.credentials, state: outcome.state };
    // The connector's notices (an OFB consent about to expire) are sent once, with the login that
    // recorded them as sent: a retrieval that dropped them would lose them for good.
    const notices = this.webhooks ? (outcome.notices ?? []) : [];
    const fresh = notices.length
      ? await this.db.transaction().execute(async (tx) => {
          const row = await this.access.recordLogin(tx, link, kept, {}, secrets);
          // Belvo documents CONSENT webhooks as recurrent_update whatever triggered them.
          for (const event of noticeEvents(link, notices, 'recurrent_update')) await this.webhooks!.emit(tx, event);
          return row;
        })
      : await this.access.recordLogin(this.db, link, kept, {}, secrets);
    const onStored = announce === undefined ? undefined : (tx: Kysely<Database>, c: Collected) => this.announceAsync(tx, link, def, c, announce);
    return this.collect(fresh, inst, connector, kept, def, params, account, onStored);
  }

  /** PATCH /api/<resource>/: the MFA answer of an interrupted retrieval. */
  resume(p: Principal, def: ResourceDefinition, body: ResumeRetrievalBody): Promise<RetrieveResult> {
    return this.audit.around({ ...actor(p), action: 'resume', linkId: body.link }, () => this.resumeRetrieval(p, def, body));
  }

  private async resumeRetrieval(p: Principal, def: ResourceDefinition, body: ResumeRetrievalBody): Promise<RetrieveResult> {
    const session = await this.access.session<RetrievalResume>(p, body.session, body.link, [sessionPurpose(def)]);
    const link = await this.access.row(p, body.link);
    const { inst, connector } = await this.source(link, def);
    this.access.assertUp(inst);
    const { secrets } = session;
    const params: RetrieveParams = { ...secrets.resume!.params, saveData: body.save_data ?? secrets.resume!.params.saveData };
    const account = params.account ? await this.account(link, params.account) : undefined;
    const objects = await this.access.withLease(link, async () => {
      const kept = await this.access.answer(inst, session, body.token);
      const fresh = await this.db.transaction().execute(async (tx) => {
        await this.access.deleteSession(tx, session.row.id);
        return this.access.recordLogin(tx, link, kept);
      });
      return this.collect(fresh, inst, connector, kept, def, params, account);
    });
    return this.answer(def, params, objects);
  }

  async list(p: Principal, def: ResourceDefinition, query: Record<string, unknown>, page: PageRequest) {
    const missing = def.requiredFilters.filter((name) => query[name] === undefined || query[name] === '');
    if (missing.length) throw new ValidationErrors(missing.map((name) => fieldError.required(name)));
    const filters = parseFilters(def.filters, query);
    const { count, rows } = await data.pageRows(this.db, def.table, p.tenantId, filters, page);
    // JSON text per object: the route answers it as is (src/resources/objects.ts, toObjectJson).
    return { count, results: rows.map((r) => toObjectJson(def, r)) };
  }

  async get(p: Principal, def: ResourceDefinition, id: string): Promise<Record<string, unknown>> {
    const row = UUID.test(id) ? await data.findRow(this.db, def.table, p.tenantId, id) : undefined;
    if (!row) throw apiError('not_found');
    return toObject(def, row);
  }

  async destroy(p: Principal, def: ResourceDefinition, id: string): Promise<void> {
    if (!UUID.test(id) || !(await data.deleteRow(this.db, def.table, p.tenantId, id))) throw apiError('not_found');
  }

  // ---- internals ---------------------------------------------------------------------------

  /** The link's institution and its data connector, if it provides `def` at all. */
  private async source(link: LinkRow, def: ResourceDefinition): Promise<{ inst: Institution; connector: DataConnector }> {
    const inst = await this.access.institution(link);
    const connector = inst.connector as Partial<DataConnector>;
    if (!inst.definition.resources.includes(def.name) || typeof connector.extract !== 'function') {
      throw apiError('unsupported_operation');
    }
    return { inst, connector: connector as DataConnector };
  }

  /** The request's `account`: one of this link's stored accounts. */
  private async account(link: LinkRow, id: string): Promise<string> {
    const account = await data.findLinkAccount(this.db, link.id, id);
    if (!account) throw new ValidationErrors([fieldError.doesNotExist('account', 'id', id)]);
    return account.internal_identification;
  }

  /** Logs in with the stored credentials (audited); a rejection invalidates the link. */
  private async login(
    p: RetrievalActor,
    link: LinkRow,
    inst: Institution,
    connector: DataConnector,
    secrets: LinkSecrets,
    token: string | undefined,
  ): Promise<LoginOutcome> {
    const now = await this.access.now(link.tenant_id);
    try {
      return await this.audit.around(
        { ...actor(p), action: 'login', linkId: link.id },
        () => connector.login({ ...secrets, institution: inst.definition, token, purpose: 'access', now }),
        { outcome: (o) => (o.kind === 'challenge' ? 'token_required' : 'success') },
      );
    } catch (err) {
      if (isCredentialsRejected(err)) await this.access.recordAccessFailure(this.db, link, 'access_rejected');
      throw err;
    }
  }

  /**
   * Extracts `def` (and, for objects that embed their account, the accounts first) and, when
   * asked to, stores it: new objects are inserted, known ones (same internal_identification)
   * updated in place, all in one transaction — in which `onStored` runs too (the refresh writes
   * its webhooks there). Returns the API objects in extraction order.
   */
  async collect(
    link: LinkRow,
    inst: Institution,
    connector: DataConnector,
    secrets: LinkSecrets,
    def: ResourceDefinition,
    params: RetrieveParams,
    account?: string,
    onStored?: (tx: Kysely<Database>, collected: Collected) => Promise<unknown>,
  ): Promise<Record<string, unknown>[]> {
    const extracted = await this.extract(inst, connector, secrets, def, params, await this.access.now(link.tenant_id), account);
    return params.saveData ? this.db.transaction().execute((tx) => this.store(tx, link, extracted, onStored)) : this.store(this.db, link, extracted, onStored);
  }

  /** The connector's answer to one resource request at `now`, not stored yet (see `store`). */
  async extract(
    inst: Institution,
    connector: DataConnector,
    secrets: LinkSecrets,
    def: ResourceDefinition,
    params: RetrieveParams,
    now: Date,
    account?: string,
  ): Promise<Extracted> {
    const request: ExtractRequest = {
      institution: inst.definition,
      credentials: secrets.credentials,
      state: secrets.state,
      resource: def.name,
      now,
      dateFrom: params.dateFrom,
      dateTo: params.dateTo,
      account,
      type: params.type,
      yearFrom: params.yearFrom,
      yearTo: params.yearTo,
      attachXml: params.attachXml,
      attachPdf: params.attachPdf,
    };
    const accounts = def.embedsAccount ? await connector.extract({ ...request, resource: 'ACCOUNTS', account: undefined }) : [];
    const records = await connector.extract(request);
    return { def, params, now, accounts, records };
  }

  /**
   * Stores what `extract` got (inside `db`, a transaction when it saves; several extractions may
   * share one, as a refresh does) and runs `onStored` there; the API objects.
   */
  async store(
    db: Kysely<Database>,
    link: LinkRow,
    { def, params, now, accounts, records }: Extracted,
    onStored?: (tx: Kysely<Database>, collected: Collected) => Promise<unknown>,
  ): Promise<Record<string, unknown>[]> {
    const accountsPlaced = await this.place(db, link, resourceByName('ACCOUNTS'), accounts, now, params.saveData);
    const byKey = new Map(accountsPlaced.objects.map((a) => [a.data.internal_identification as string, a]));
    const placed = await this.place(db, link, def, records, now, params.saveData, byKey);
    await onStored?.(db, { accounts: accountsPlaced, records: placed, now });
    return placed.objects.map((o) => toObject(def, o));
  }

  /**
   * Gives extracted records their ids: stored (upserted: a known internal_identification keeps
   * its id and created_at) or, for answers that store nothing, the ids they already have if any.
   */
  private async place(
    db: Kysely<Database>,
    link: LinkRow,
    def: ResourceDefinition,
    records: readonly ExtractedRecord[],
    now: Date,
    save: boolean,
    accounts?: ReadonlyMap<string, ObjectSource>,
  ): Promise<Placed> {
    // The same object twice in one extraction is one object (the last one wins).
    const unique = new Map<string, { record: Record<string, unknown>; account?: ObjectSource }>();
    for (const { account_internal_identification: accountKey, ...record } of records) {
      const account = accountKey === undefined ? undefined : accounts?.get(accountKey);
      if (accountKey !== undefined && !account) throw new Error(`${def.path}: the connector returned an object of unknown account ${accountKey}`);
      unique.set(record.internal_identification, { record, account });
    }
    const keys = [...unique.keys()];
    const ids: Map<string, { id: string; created_at: Date; inserted?: boolean; changed?: boolean }> = save
      ? await data
          .upsertRows(
            db,
            def.table,
            [...unique.values()].map(({ record, account }) => ({
              tenant_id: link.tenant_id,
              link_id: link.id,
              internal_identification: record.internal_identification as string,
              collected_at: now,
              record_date: def.recordDate(record as ExtractedRecord),
              data: record,
              account_id: account?.id,
            })),
          )
          .then((rows) => new Map(rows.map((r) => [r.internal_identification, r])))
      : await data.knownIds(db, def.table, link.id, keys);
    const placed: Placed = { objects: [], inserted: [], updated: [] };
    for (const key of keys) {
      const { record, account } = unique.get(key)!;
      const known = ids.get(key);
      const id = known?.id ?? uuidv7();
      if (known?.inserted) placed.inserted.push(id);
      else if (known?.changed) placed.updated.push(id);
      placed.objects.push({
        id,
        link_id: link.id,
        data: record,
        collected_at: now,
        created_at: known?.created_at ?? now,
        ...(account && { account }),
      });
    }
    return placed;
  }

  /** `new_transactions_available` (or `<resource>` …) carrying the request id of the 202. */
  private async announceAsync(tx: Kysely<Database>, link: LinkRow, def: ResourceDefinition, c: Collected, requestId: string) {
    // Once per request: a job run again after its first attempt committed does not say it twice.
    if (!this.webhooks || (await hasAsyncEvent(tx, link.tenant_id, link.id, requestId))) return;
    await this.webhooks.emit(tx, {
      tenantId: link.tenant_id,
      linkId: link.id,
      externalId: link.external_id,
      webhookType: def.name,
      webhookCode: `new_${def.path.replaceAll('-', '_')}_available`,
      processType: 'async_request',
      requestId,
      data: { count: c.records.objects.length, [`new_${def.path.replaceAll('-', '_')}`]: c.records.inserted.length },
    });
  }

  /** The POST/PATCH answer: 201 with what was stored, 200 when nothing was; one object for single resources. */
  private answer(def: ResourceDefinition, params: RetrieveParams, objects: Record<string, unknown>[]): RetrieveResult {
    if (def.single && objects.length === 0) throw apiError('not_found', `The institution has no ${def.path} for this link`);
    return { kind: 'objects', saved: params.saveData, body: def.single ? objects[0] : objects };
  }
}

const actor = (p: RetrievalActor): AuditActor => ({ tenantId: p.tenantId, actor: p.keyId, requestId: p.requestId });
