import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { apiError, fieldError } from '../errors.js';
import type { Database } from '../store/schema.js';
import * as q from '../store/queries/idempotency.js';
import type { Vault } from '../vault/index.js';

/**
 * Idempotent POSTs (Stripe's `Idempotency-Key` semantics): the first answer of a tenant's key is
 * kept for a day and replayed to a retry of the same request; another request under the same key
 * is refused (400 idempotency_key_reused), and so is a retry while the first still runs (409
 * idempotency_key_in_use). The database decides which request runs: a unique (tenant, key) row is
 * inserted `running` before the handler, so of two racing requests — in one process or several —
 * exactly one gets it.
 *
 * Answers are stored sealed by the vault (bound to the row's id): some hold what must not lie in
 * the database in clear — a webhook endpoint's signing secret (shown once), objects retrieved with
 * `save_data: false`, an MFA session id. Only what a replay returns is kept: status, body,
 * Content-Type and Location; never the request.
 */

/** A recorded answer, as a replay sends it. */
export interface StoredAnswer {
  status: number;
  /** Lower-case names: content-type, and location if the answer had one. */
  headers: Record<string, string>;
  body: string;
}

/**
 * What a request under a key has done, recorded in its own transaction (a recovery point): a
 * retry that takes over the key of a process that died answers from it instead of doing it again.
 */
export interface IdempotencyEffect {
  /** A registration stored this link. */
  link?: string;
}

export type Claimed = { kind: 'claimed'; claim: string; effect?: IdempotencyEffect } | { kind: 'replay'; answer: StoredAnswer };

export interface IdempotencyOptions {
  /** How long a key is remembered (default 24 h). */
  ttlMs?: number;
  /**
   * A process keeps its `running` claims fresh this often (default 5 s), so a claim left by a
   * process that died (kill -9, a lost machine) goes stale quickly: see `staleMs`.
   */
  heartbeatMs?: number;
  /** A key `running` and not kept fresh for this long was left by a dead process: the next retry takes it over (default 20 s). */
  staleMs?: number;
  /** A request still running after this long stops keeping its claim fresh (default 10 min): a hung handler cannot hold a key forever. */
  maxRunMs?: number;
  /** A claim that could not be released (the store failed) is tried again this often (default 1 s). */
  releaseRetryMs?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
/** Retrying a key that is `running` is a conflict; after these many lost races in a row, too. */
const CLAIM_ATTEMPTS = 3;
/** What the client should wait before retrying a key in use (seconds). */
const IN_USE_RETRY_SECONDS = 1;

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** The header's value as a key: 1–255 printable ASCII characters, else 400 invalid on the header. */
export function parseIdempotencyKey(value: string | string[]): string {
  if (typeof value === 'string' && /^[\x20-\x7e]{1,255}$/.test(value)) return value;
  throw fieldError.invalid(IDEMPOTENCY_HEADER, 'Must be 1 to 255 printable ASCII characters.');
}

/** JSON with object keys sorted at every level: two bodies that mean the same have the same text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/**
 * What makes two requests the same: method, path (trailing slashes ignored, as routing does),
 * query (sorted) and parsed body, plus `X-Belvo-Request-Mode`, which picks another operation
 * (an async retrieval answers 202) for the same path and body.
 */
export function requestHash(request: { method: string; url: string; body: unknown; mode?: string }): string {
  const q = request.url.indexOf('?');
  const path = (q < 0 ? request.url : request.url.slice(0, q)).replace(/\/+$/, '');
  const query = new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1));
  query.sort();
  return createHash('sha256')
    .update([request.method.toUpperCase(), path, query.toString(), request.mode ?? '', canonicalJson(request.body)].join('\0'))
    .digest('hex');
}

const aad = (id: string) => `idempotency:${id}`;

export class Idempotency {
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly heartbeatMs: number;
  private readonly maxRunMs: number;
  private readonly releaseRetryMs: number;
  /** Claims of requests running in this process (id → claimed at, ms), kept fresh by one timer. */
  private readonly live = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly now: () => Date;
  /** Claims whose release failed, to delete once the store answers (else their key is a 409 until stale). */
  private readonly unreleased = new Set<string>();
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly vault: Vault,
    options: IdempotencyOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DAY_MS;
    this.heartbeatMs = options.heartbeatMs ?? 5_000;
    this.staleMs = options.staleMs ?? 20_000;
    this.maxRunMs = options.maxRunMs ?? 10 * 60_000;
    this.releaseRetryMs = options.releaseRetryMs ?? 1000;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Before the handler: claims the key for this request, or returns the answer to replay. Throws
   * idempotency_key_reused (another request had the key) or idempotency_key_in_use.
   */
  async begin(tenantId: string, key: string, hash: string): Promise<Claimed> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const now = this.now();
      const claim = randomUUID();
      const row = { id: claim, tenant_id: tenantId, key, request_hash: hash, claimed_at: now, expires_at: new Date(now.getTime() + this.ttlMs) };
      let claimed: { effect: string | null } | null;
      try {
        claimed = await q.claimIdempotencyKey(this.db, row, new Date(now.getTime() - this.staleMs));
      } catch (err) {
        // The insert may have committed with its answer lost (the store went silent): never leave it `running`.
        this.releaseLater(claim);
        throw err;
      }
      if (claimed) {
        this.keepFresh(claim);
        return { kind: 'claimed', claim, ...(claimed.effect && { effect: JSON.parse(claimed.effect) as IdempotencyEffect }) };
      }
      const held = await q.findIdempotencyKey(this.db, tenantId, key);
      // Released between our insert and this read (its answer was a 5xx): claim it again.
      if (!held) continue;
      if (held.request_hash !== hash) throw apiError('idempotency_key_reused', undefined, { field: IDEMPOTENCY_HEADER });
      if (held.state !== 'completed' || !held.key_id || !held.wrapped_key || !held.ciphertext) break;
      const sealed = { key_id: held.key_id, wrapped_key: held.wrapped_key, ciphertext: held.ciphertext };
      return { kind: 'replay', answer: this.vault.openJson<StoredAnswer>(sealed, aad(held.id)) };
    }
    throw apiError('idempotency_key_in_use', undefined, { retryAfterSeconds: IN_USE_RETRY_SECONDS });
  }

  /** Inside the transaction that does it: what claim `claim`'s request has done (see IdempotencyEffect). */
  static recordEffect(tx: Kysely<Database>, claim: string, effect: IdempotencyEffect): Promise<void> {
    return q.recordIdempotencyEffect(tx, claim, JSON.stringify(effect));
  }

  /** After the handler: records the answer for replays. */
  async complete(claim: string, answer: StoredAnswer): Promise<void> {
    this.live.delete(claim);
    await q.completeIdempotencyKey(this.db, claim, answer.status, this.vault.sealJson(answer, aad(claim)));
  }

  /** After the handler, for an answer not to replay (5xx, or "try again"): the key is free again. */
  async release(claim: string): Promise<void> {
    this.live.delete(claim);
    try {
      await q.releaseIdempotencyKey(this.db, claim);
    } catch (err) {
      this.releaseLater(claim);
      throw err;
    }
  }

  /**
   * While a request runs, its claim's `claimed_at` moves forward every `heartbeatMs` (one
   * statement for all of this process's running claims): only a claim whose process stopped
   * keeping it fresh — it died — is ever taken over as stale.
   */
  private keepFresh(claim: string): void {
    this.live.set(claim, Date.now());
    if (this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    const cutoff = Date.now() - this.maxRunMs;
    for (const [claim, since] of this.live) if (since < cutoff) this.live.delete(claim);
    if (this.live.size === 0) {
      clearInterval(this.heartbeatTimer!);
      this.heartbeatTimer = null;
      return;
    }
    // A failed beat (the store is away) is not retried: the next one comes before the claim goes stale.
    await q.touchIdempotencyKeys(this.db, [...this.live.keys()], this.now()).catch(() => {});
  }

  /** Deletes `claim` in the background, retrying until the store answers (a no-op if it was never stored). */
  private releaseLater(claim: string): void {
    this.unreleased.add(claim);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => void this.retryReleases(), this.releaseRetryMs);
    this.retryTimer.unref();
  }

  private async retryReleases(): Promise<void> {
    for (const claim of [...this.unreleased]) {
      try {
        await q.releaseIdempotencyKey(this.db, claim);
        this.unreleased.delete(claim);
      } catch {
        break; // the store still fails: try them all again later
      }
    }
    this.retryTimer = null;
    if (this.unreleased.size) this.releaseLater([...this.unreleased][0]);
  }
}
