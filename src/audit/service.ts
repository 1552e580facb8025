import type { Kysely, Selectable } from 'kysely';
import { ValidationErrors, VinculoError } from '../errors.js';
import * as q from '../store/queries/audit.js';
import type { AuditLogTable, Database } from '../store/schema.js';

/**
 * What is audited: every use of an end user's credentials, and every change to API keys.
 * - `register`: POST /api/links/ (the institution login with the credentials given);
 *   `widget_connect`: the same through the Connect widget (POST /widget/api/links/).
 * - `update`: PUT /api/links/{id}/ (new credentials), API or widget; `reconnect`: the widget's
 *   repair of a `token_required` link with the stored credentials.
 * - `resume`: an MFA answer (PATCH /api/links/, PATCH /api/{resource}/, the widget's).
 * - `login`: a login with the stored credentials — a refresh or first load (actor `system`), a
 *   retrieval (POST /api/{resource}/), a PATCH switching a link to recurrent.
 * - `delete`: DELETE /api/links/{id}/ (the credentials go with the link); also, by `system`, the
 *   housekeeping's deletion of a link left `unconfirmed` past VINCULO_UNCONFIRMED_LINK_DAYS.
 * - `credentials_expire`: a link's stored credentials were deleted because their
 *   `credentials_storage` period ran out (actor `system`): by the housekeeping (the link stays,
 *   invalid), or after a `nostore` link's first load (kept only for it).
 * - `key_create`, `key_revoke`: API keys (the CLI, the bootstrap key at start).
 */
export type AuditAction =
  | 'register'
  | 'widget_connect'
  | 'update'
  | 'reconnect'
  | 'resume'
  | 'login'
  | 'delete'
  | 'credentials_expire'
  | 'key_create'
  | 'key_revoke';

/** Background work (refreshes, first loads, the bootstrap key) and the command line. */
export const SYSTEM = 'system';
export const CLI = 'cli';

/** Who acted, for whom, in which request. */
export interface AuditActor {
  tenantId: string;
  /** An API key id (for widget calls: the key that issued the token), `system` or `cli`. */
  actor: string;
  requestId?: string | null;
}

export interface AuditEntry extends AuditActor {
  action: AuditAction;
  linkId?: string | null;
  /** Key actions: the key created or revoked. */
  keyId?: string | null;
  /** `success`, or the error code the operation ended with. */
  outcome: string;
}

/** A record as read back: the table's row, its tenant by name. */
export type AuditRecord = Omit<Selectable<AuditLogTable>, 'id' | 'tenant_id'> & { tenant: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CODE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The error code an operation ended with: a catalogue code (the first field error's for a
 * validation failure), never the message. Anything unexpected is `unexpected_error`, as its answer.
 */
export function outcomeOf(err: unknown): string {
  const code = err instanceof VinculoError ? err.code : err instanceof ValidationErrors ? err.errors[0]?.code : undefined;
  return code && CODE.test(code) ? code : 'unexpected_error';
}

/** The link a failed operation made anyway (a registration that stopped at its MFA challenge). */
function linkOfError(err: unknown): string | null {
  const link = err instanceof VinculoError ? err.options.extra?.link : undefined;
  return typeof link === 'string' ? link : null;
}

export interface AuditLogger {
  error(obj: object, msg: string): void;
}

/**
 * The audit log: who used credentials or keys, when, on which link, with what outcome. Records
 * hold ids and codes only. A record that cannot be written is logged and the operation goes on
 * (`record`, `around`); inside the operation's own transaction (`write`) it is part of it.
 */
export class Audit {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: AuditLogger = { error: (obj, msg) => console.error(msg, obj) },
  ) {}

  /** Writes `entry` in the caller's transaction: committed with the operation, or not at all. */
  async write(tx: Kysely<Database>, entry: AuditEntry): Promise<void> {
    await q.insertAuditRecord(tx, toRow(entry));
  }

  /** Writes `entries` in the caller's transaction, in one statement. */
  async writeMany(tx: Kysely<Database>, entries: readonly AuditEntry[]): Promise<void> {
    await q.insertAuditRecords(tx, entries.map(toRow));
  }

  /** Writes `entry` on its own; a failure is logged, never thrown. */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await q.insertAuditRecord(this.db, toRow(entry));
    } catch (err) {
      this.logger.error({ err, audit: { ...entry } }, 'audit record could not be written');
    }
  }

  /**
   * Runs `fn` and records how it ended: `success` (or what `outcome` makes of its result), or the
   * error's code. The link is the entry's, else what `link` finds in the result (or, on a 428, in
   * the error). Rethrows the operation's error unchanged.
   */
  async around<T>(
    entry: AuditActor & { action: AuditAction; linkId?: string | null },
    fn: () => Promise<T>,
    options: { link?: (result: T) => string | null; outcome?: (result: T) => string } = {},
  ): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      await this.record({ ...entry, linkId: entry.linkId ?? linkOfError(err), outcome: outcomeOf(err) });
      throw err;
    }
    await this.record({ ...entry, linkId: entry.linkId ?? options.link?.(result) ?? null, outcome: options.outcome?.(result) ?? 'success' });
    return result;
  }

  /** Records newest first, optionally of one tenant (by name) or link, since a moment. */
  async list(filters: q.AuditFilters): Promise<AuditRecord[]> {
    if (filters.linkId !== undefined && !UUID.test(filters.linkId)) return [];
    return q.listAuditRecords(this.db, filters);
  }
}

function toRow(e: AuditEntry): q.NewAuditRecord {
  return {
    tenant_id: e.tenantId,
    actor: e.actor,
    action: e.action,
    // Only ids go in: a malformed id a caller sent (a 404) is not worth keeping.
    link_id: e.linkId && UUID.test(e.linkId) ? e.linkId : null,
    key_id: e.keyId ?? null,
    outcome: e.outcome,
    request_id: e.requestId ?? null,
  };
}
