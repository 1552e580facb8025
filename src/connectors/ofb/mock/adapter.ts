/**
 * Per-bank in-memory storage for oidc-provider (its documented adapter interface).
 *
 * Why not the bundled MemoryAdapter: it keeps one module-level LRU of 1000 entries shared by
 * every Provider in the process, so banks started by different test files would share (and
 * evict) each other's codes, grants and tokens in the single-process suite. Entry lifetimes
 * follow real time, like oidc-provider's own `exp` checks.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  value: unknown;
  expiresAt: number;
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** One storage per bank; `adapterFor` hands oidc-provider an Adapter constructor bound to it. */
export class MemoryStorage {
  private readonly entries = new Map<string, Entry>();

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set(key: string, value: unknown, expiresInSeconds: number | undefined): void {
    const ttl = expiresInSeconds && expiresInSeconds > 0 ? expiresInSeconds * 1000 : 365 * 86_400_000;
    this.entries.set(key, { value, expiresAt: Date.now() + ttl });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  adapterFor(): new (model: string) => Adapter {
    const storage = this;
    return class BankMemoryAdapter implements Adapter {
      constructor(private readonly model: string) {}

      private key(id: string): string {
        return `${this.model}:${id}`;
      }

      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        const key = this.key(id);
        if (this.model === 'Session' && payload.uid) storage.set(`sessionUid:${payload.uid}`, id, expiresIn);
        if (GRANTABLE.has(this.model) && payload.grantId) {
          const grantKey = `grant:${payload.grantId}`;
          const members = storage.get<string[]>(grantKey) ?? [];
          members.push(key);
          // A grant's index lives as long as its longest member.
          storage.set(grantKey, members, Math.max(expiresIn, 365 * 86_400));
        }
        if (payload.userCode) storage.set(`userCode:${payload.userCode}`, id, expiresIn);
        storage.set(key, payload, expiresIn);
      }

      async find(id: string): Promise<AdapterPayload | undefined> {
        return storage.get<AdapterPayload>(this.key(id));
      }

      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        const id = storage.get<string>(`sessionUid:${uid}`);
        return id ? this.find(id) : undefined;
      }

      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        const id = storage.get<string>(`userCode:${userCode}`);
        return id ? this.find(id) : undefined;
      }

      async consume(id: string): Promise<void> {
        const payload = storage.get<AdapterPayload>(this.key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      }

      async destroy(id: string): Promise<void> {
        storage.delete(this.key(id));
      }

      async revokeByGrantId(grantId: string): Promise<void> {
        const grantKey = `grant:${grantId}`;
        for (const key of storage.get<string[]>(grantKey) ?? []) storage.delete(key);
        storage.delete(grantKey);
      }
    };
  }
}
