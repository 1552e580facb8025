import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/db.js';
import * as q from '../store/queries/tenants.js';
import { SYSTEM, type Audit } from '../audit/index.js';
import { VinculoError } from '../errors.js';
import type { IdempotencyEffect } from '../idempotency/service.js';
// The store's commit-time notification listener (one mechanism for webhooks and key revocations).
import { CommitListener } from '../webhooks/wake.js';
import { hashPassword, newPassword, verifyPassword } from './passwords.js';
import { ConcurrencyLimit, DEFAULT_THROTTLE, FailureThrottle, throttledError, type ThrottleLimits } from './throttle.js';

/** Who is calling: the tenant (data boundary) and the key's user (links' `created_by`). */
export interface Principal {
  tenantId: string;
  tenantName: string;
  keyId: string;
  userId: string;
  /** Per-tenant HMAC key for institution_user_id. */
  userIdKey: Buffer;
  /** The API request acting (its request id), for the audit log; absent outside a request. */
  requestId?: string;
  /** The call comes from the Connect widget, acting as the key that issued its token. */
  viaWidget?: boolean;
  /**
   * The request runs under an `Idempotency-Key` claim: the services record what they did with it
   * (in their own transaction), and `effect` is what an earlier run under the key recorded before
   * its process died — answer from it rather than do it again.
   */
  idempotent?: { claim: string; effect?: IdempotencyEffect };
}

export interface CreatedKey {
  tenant: string;
  id: string;
  password: string;
}

export interface TenantsOptions {
  /** How long a verified key pair is trusted without looking at the key again (default 60 s). */
  cacheTtlMs?: number;
  /** Failed checks allowed per client address / per key id (default 10 each per minute). */
  throttle?: ThrottleLimits;
  /** Password checks (scrypt) running at once (default 2), and waiting for their turn (default 64). */
  maxConcurrentChecks?: number;
  maxWaitingChecks?: number;
  /** The password check (tests count or slow it). */
  verify?: (password: string, stored: string) => Promise<boolean>;
  now?: () => number;
  /** Records key creations and revocations (in their transaction). */
  audit?: Audit;
}

interface CacheEntry {
  digest: Buffer;
  principal: Principal;
  until: number;
}

const MAX_CACHED = 10_000;

/**
 * Tenants and their API keys.
 *
 * Authentication cost: verifying a password costs one scrypt (~35–90 ms of the libuv pool), so
 * - a verified pair is remembered by a SHA-256 of id+password: within `cacheTtlMs` a request costs
 *   that hash; after it, one query (is the key still active?) and no scrypt, since a key's
 *   password never changes;
 * - remembered pairs are never throttled; anything else first passes the failure throttle (per
 *   client address and per key id, see ./throttle.ts), which answers 429 without any scrypt, and
 *   then waits for one of a few scrypt slots.
 *
 * Revocation drops the key from this process's cache at once and NOTIFYs (in the revoking
 * transaction) every process listening on the store (`listenForRevocations`), which drop it too.
 */
export class Tenants {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly throttle: FailureThrottle;
  private readonly checks: ConcurrencyLimit;
  private readonly verify: (password: string, stored: string) => Promise<boolean>;
  private readonly now: () => number;
  private readonly cacheTtlMs: number;
  /** Bumped whenever cached keys are dropped: a check that began before must not cache its result. */
  private epoch = 0;
  private listener?: CommitListener;
  private readonly audit?: Audit;
  /** Password checks (scrypt) this instance has run for authentication. */
  passwordChecks = 0;

  constructor(
    private readonly db: Kysely<Database>,
    options: TenantsOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.verify = options.verify ?? verifyPassword;
    this.throttle = new FailureThrottle(options.throttle ?? DEFAULT_THROTTLE, this.now);
    this.checks = new ConcurrencyLimit(options.maxConcurrentChecks ?? 2, options.maxWaitingChecks ?? 64);
    this.audit = options.audit;
  }

  /** `actor`: who asks, for the audit log (`cli`, or `system` for the bootstrap key and tests). */
  async createKey(options: { tenant?: string; id?: string; password?: string; actor?: string } = {}): Promise<CreatedKey> {
    const tenantName = options.tenant ?? 'default';
    const id = options.id ?? randomUUID();
    const password = options.password ?? newPassword();
    const passwordHash = await hashPassword(password);
    await this.db.transaction().execute(async (tx) => {
      const tenant =
        (await q.findTenantByName(tx, tenantName)) ??
        (await q.insertTenant(tx, { id: randomUUID(), name: tenantName, user_id_key: randomBytes(32).toString('base64') }));
      if (await q.findApiKey(tx, id)) throw new VinculoError('key_exists', `An API key with id ${id} already exists`);
      await q.insertApiKey(tx, { id, tenant_id: tenant.id, password_hash: passwordHash, user_id: randomUUID() });
      // A refusal (key_exists) rolls the tenant back too, so there is no tenant to record it against.
      await this.audit?.write(tx, { tenantId: tenant.id, actor: options.actor ?? SYSTEM, action: 'key_create', keyId: id, outcome: 'success' });
    });
    return { tenant: tenantName, id, password };
  }

  /** Makes sure the bootstrap key exists with this password (VINCULO_SECRET_KEY_ID/PASSWORD). */
  async ensureKey(id: string, password: string, tenant = 'default'): Promise<'created' | 'exists'> {
    const existing = await q.findApiKey(this.db, id);
    if (!existing) {
      await this.createKey({ tenant, id, password });
      return 'created';
    }
    if (existing.revoked_at || !(await verifyPassword(password, existing.password_hash))) {
      throw new VinculoError(
        'config_error',
        `API key ${id} already exists with another password or is revoked; pick another VINCULO_SECRET_KEY_ID`,
      );
    }
    return 'exists';
  }

  listKeys() {
    return q.listApiKeys(this.db);
  }

  /** False when no active key has this id. `actor` as for `createKey`. */
  async revokeKey(id: string, actor: string = SYSTEM): Promise<boolean> {
    this.forget(id);
    return this.db.transaction().execute(async (tx) => {
      const revoked = await q.revokeApiKey(tx, id);
      if (revoked) await q.notifyKeyRevoked(tx, id);
      // An unknown id has no tenant to record it against; an already revoked key is `not_found`.
      const key = this.audit && (await q.findApiKey(tx, id));
      if (key) await this.audit!.write(tx, { tenantId: key.tenant_id, actor, action: 'key_revoke', keyId: id, outcome: revoked ? 'success' : 'not_found' });
      return revoked;
    });
  }

  /**
   * Drops revoked keys from the cache as every process's revocations commit (PostgreSQL
   * LISTEN/NOTIFY on a dedicated connection, reconnecting; PGlite's own listener). Whatever was
   * revoked while the connection was down is covered by dropping the whole cache on (re)connect.
   */
  async listenForRevocations(store: Store, onError: (err: unknown) => void): Promise<void> {
    if (this.listener) return;
    this.listener = new CommitListener(store, q.KEY_REVOCATIONS_CHANNEL, (id) => this.forget(id || null), onError);
    await this.listener.start();
  }

  async stopListening(): Promise<void> {
    await this.listener?.stop();
    this.listener = undefined;
  }

  /** Forgets the cached checks of key `id` (null: of every key). */
  forget(id: string | null): void {
    this.epoch++;
    if (id === null) this.cache.clear();
    else for (const [k, v] of this.cache) if (v.principal.keyId === id) this.cache.delete(k);
  }

  /**
   * The principal for a key pair, or null. Constant-time comparisons only. `client` is the
   * caller's address for the failure throttle (null: counted by key id only). Throws
   * `too_many_requests` (with `retryAfterSeconds`) instead of checking when throttled.
   */
  async authenticate(id: string, password: string, client: string | null = null): Promise<Principal | null> {
    const digest = createHash('sha256').update(id).update('\0').update(password).digest();
    const cacheKey = `${id}\0${digest.toString('base64')}`;
    const hit = this.cache.get(cacheKey);
    const known = hit !== undefined && timingSafeEqual(hit.digest, digest);
    if (known && hit.until > this.now()) return hit.principal;
    const epoch = this.epoch;

    if (known) {
      // Verified before and a key's password never changes: only whether it is still active.
      const key = await q.findApiKey(this.db, id);
      if (!key || key.revoked_at) {
        this.cache.delete(cacheKey);
        return null;
      }
      return this.remember(cacheKey, digest, toPrincipal(key), epoch);
    }

    const attempt = this.throttle.begin(client, id);
    if ('retryAfterMs' in attempt) throw throttledError(attempt.retryAfterMs);
    const checked = await this.checks.run(async () => {
      const key = await q.findApiKey(this.db, id);
      this.passwordChecks++;
      // Unknown ids still cost a scrypt so timing does not reveal which ids exist.
      const ok = await this.verify(password, key?.password_hash ?? DUMMY_HASH);
      return key && ok && !key.revoked_at ? key : null;
    });
    if (!checked) {
      // Not a failure of this caller's: too many checks are waiting, from anywhere.
      attempt.succeeded();
      throw throttledError(1000);
    }
    if (!checked.value) return null;
    attempt.succeeded();
    return this.remember(cacheKey, digest, toPrincipal(checked.value), epoch);
  }

  private remember(cacheKey: string, digest: Buffer, principal: Principal, epoch: number): Principal {
    // A revocation seen meanwhile may be this key's: answer this request, cache nothing.
    if (epoch !== this.epoch) return principal;
    this.cache.delete(cacheKey);
    this.cache.set(cacheKey, { digest, principal, until: this.now() + this.cacheTtlMs });
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return principal;
  }

  /**
   * The principal of an active key, without its password: for credentials that a key's owner
   * issued earlier (widget tokens), which stop working when the key is revoked.
   */
  async principalForKey(id: string): Promise<Principal | null> {
    const key = await q.findApiKey(this.db, id);
    return key && !key.revoked_at ? toPrincipal(key) : null;
  }
}

function toPrincipal(key: NonNullable<Awaited<ReturnType<typeof q.findApiKey>>>): Principal {
  return {
    tenantId: key.tenant_id,
    tenantName: key.tenant_name,
    keyId: key.id,
    userId: key.user_id,
    userIdKey: Buffer.from(key.user_id_key, 'base64'),
  };
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
