import { LRUCache } from 'lru-cache';
import { randomToken, sha256Hex } from '../../platform/crypto/hashing.js';
import { newId } from '../../platform/ids.js';
import type { ApiKeyRecord, ApiKeyRepository } from './api-key.repository.js';

export const API_KEY_PATTERN = /^pl_[A-Za-z0-9_-]{43,}$/;

export interface IssuedKey {
  key: ApiKeyRecord;
  /** The secret itself: returned once, never stored. */
  secret: string;
}

export interface Principal {
  tenantId: string;
  keyId: string;
}

const TOUCH_INTERVAL_MS = 60_000;

export function generateApiKey(): string {
  return `pl_${randomToken(32)}`;
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, 11);
}

/** Issues, verifies and revokes API keys; only SHA-256 hashes and a display prefix are stored. */
export class ApiKeyService {
  private readonly cache: LRUCache<string, ApiKeyRecord | false>;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly repo: ApiKeyRepository,
    cacheTtlMs: number,
    private readonly clock: () => Date = () => new Date(),
  ) {
    // A short TTL bounds how long a key revoked by another instance keeps working; this instance evicts at once.
    this.cache = new LRUCache({ max: 10_000, ttl: Math.max(cacheTtlMs, 1) });
  }

  async issue(tenantId: string, name: string, secret: string = generateApiKey()): Promise<IssuedKey> {
    if (!API_KEY_PATTERN.test(secret)) throw new Error('API keys must be pl_ followed by at least 32 random bytes in base64url');
    const key = await this.repo.insert({ id: newId('key'), tenantId, name, prefix: displayPrefix(secret), keyHash: sha256Hex(secret) });
    return { key, secret };
  }

  async authenticate(secret: string): Promise<Principal | null> {
    if (!API_KEY_PATTERN.test(secret)) return null;
    const hash = sha256Hex(secret);
    let record = this.cache.get(hash);
    if (record === undefined) {
      record = (await this.repo.findByHash(hash)) ?? false;
      this.cache.set(hash, record);
    }
    if (!record) return null;
    const now = this.clock();
    if (record.revokedAt && record.revokedAt <= now) return null;
    if (record.expiresAt && record.expiresAt <= now) return null;
    this.touch(record.id, now);
    return { tenantId: record.tenantId, keyId: record.id };
  }

  async revoke(id: string, tenantId?: string): Promise<ApiKeyRecord | null> {
    const existing = await this.repo.findById(id);
    if (!existing || (tenantId !== undefined && existing.tenantId !== tenantId)) return null;
    const revoked = (await this.repo.revoke(id, this.clock())) ?? existing;
    this.cache.clear();
    return revoked;
  }

  /** Issues a replacement and lets the old key work for `graceSeconds` more, so deploys can roll. */
  async rotate(id: string, tenantId: string, graceSeconds: number): Promise<IssuedKey | null> {
    const existing = await this.repo.findById(id);
    if (!existing || existing.tenantId !== tenantId || existing.revokedAt) return null;
    const issued = await this.issue(tenantId, existing.name);
    await this.repo.expire(id, new Date(this.clock().getTime() + graceSeconds * 1000));
    this.cache.clear();
    return issued;
  }

  list(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.repo.listForTenant(tenantId);
  }

  private touch(id: string, now: Date): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now.getTime());
    this.repo.touch(id, now).catch(() => this.lastTouched.delete(id));
  }
}
