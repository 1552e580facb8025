import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import * as q from '../store/queries/tenants.js';
import { VinculoError } from '../errors.js';
import { hashPassword, newPassword, verifyPassword } from './passwords.js';

/** Who is calling: the tenant (data boundary) and the key's user (links' `created_by`). */
export interface Principal {
  tenantId: string;
  tenantName: string;
  keyId: string;
  userId: string;
  /** Per-tenant HMAC key for institution_user_id. */
  userIdKey: Buffer;
}

export interface CreatedKey {
  tenant: string;
  id: string;
  password: string;
}

/**
 * Tenants and their API keys. Verifying a password costs one scrypt (~35 ms), so a successful
 * check is remembered for `cacheTtlMs` by a SHA-256 of id+password: later requests cost a hash.
 * Revocation clears this process's cache at once; other processes notice within the TTL.
 */
export class Tenants {
  private cache = new Map<string, { digest: Buffer; principal: Principal; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cacheTtlMs = 60_000,
  ) {}

  async createKey(options: { tenant?: string; id?: string; password?: string } = {}): Promise<CreatedKey> {
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

  async revokeKey(id: string): Promise<boolean> {
    for (const [k, v] of this.cache) if (v.principal.keyId === id) this.cache.delete(k);
    return q.revokeApiKey(this.db, id);
  }

  /** The principal for a key pair, or null. Constant-time comparisons only. */
  async authenticate(id: string, password: string): Promise<Principal | null> {
    const digest = createHash('sha256').update(id).update('\0').update(password).digest();
    const cacheKey = `${id}\0${digest.toString('base64')}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now() && timingSafeEqual(hit.digest, digest)) return hit.principal;

    const key = await q.findApiKey(this.db, id);
    // Unknown ids still cost a scrypt so timing does not reveal which ids exist.
    const ok = await verifyPassword(password, key?.password_hash ?? DUMMY_HASH);
    if (!key || !ok || key.revoked_at) return null;
    const principal = toPrincipal(key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { digest, principal, until: Date.now() + this.cacheTtlMs });
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
