import { LRUCache } from 'lru-cache';
import { randomToken, sha256Hex } from '../../platform/crypto/hashing.js';
import { newId } from '../../platform/ids.js';
import { addressMatcher } from '../../platform/http/client-address.js';
import { UNCOUNTED_LOOKUPS, type CacheLookups } from '../../platform/metrics/metrics.js';
import type { ApiKeyRecord, ApiKeyRepository, NewApiKey } from './api-key.repository.js';
import { SCOPES, type Permission, type Role, type Scope } from './scopes.js';

export const API_KEY_PATTERN = /^pl_[A-Za-z0-9_-]{43,}$/;

export interface IssuedKey {
  key: ApiKeyRecord;
  /** The secret itself: returned once, never stored. */
  secret: string;
}

/** The person behind a session-authenticated request. */
export interface SignedInUser {
  id: string;
  email: string;
  role: Role;
  sessionId: string;
  /** What a cookie-authenticated write must echo in X-CSRF-Token. */
  csrfToken: string;
  permissions: ReadonlySet<Permission>;
}

export interface Principal {
  tenantId: string;
  /**
   * Who acts, as recorded in audit entries and operator actions: the API key's id, or the signed-in
   * user's id (then `user` is set).
   */
  keyId: string;
  kind: 'key' | 'user';
  /** A key's scopes; a user has none and is judged by `user.permissions`. */
  scopes: readonly Scope[];
  /** Whether the key may be used from a client address (its allowlist; every address when it has none). */
  allowsAddress(address: string): boolean;
  user?: SignedInUser;
}

export interface KeyOptions {
  /** Every scope when omitted (what keys made before scopes could do). */
  scopes?: readonly Scope[];
  /** CIDRs the key may be used from; any address when omitted or null. */
  allowedCidrs?: readonly string[] | null;
  /** The secret to use instead of a fresh one (the configured bootstrap key). */
  secret?: string;
}

export type RotateOutcome = { rotated: IssuedKey } | { refused: 'not_found' | 'ended' };

/** Told when a key stops working at once (revoked, or rotated without grace), to end its sessions. */
export type KeyEndedListener = (tenantId: string, keyId: string) => void;

interface CachedKey {
  record: ApiKeyRecord;
  allowsAddress: (address: string) => boolean;
}

const TOUCH_INTERVAL_MS = 60_000;
const anyAddress = () => true;

export function generateApiKey(): string {
  return `pl_${randomToken(32)}`;
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, 11);
}

/** Issues, verifies and revokes API keys; only SHA-256 hashes and a display prefix are stored. */
export class ApiKeyService {
  private readonly cache: LRUCache<string, CachedKey | false>;
  private readonly lastTouched = new Map<string, number>();
  private readonly endedListeners: KeyEndedListener[] = [];

  constructor(
    private readonly repo: ApiKeyRepository,
    cacheTtlMs: number,
    private readonly clock: () => Date = () => new Date(),
    private readonly lookups: CacheLookups = UNCOUNTED_LOOKUPS,
  ) {
    // A short TTL bounds how long a key revoked by another instance keeps working when the revocation
    // message does not arrive (see forget); this instance evicts at once.
    this.cache = new LRUCache({ max: 10_000, ttl: Math.max(cacheTtlMs, 1) });
  }

  async issue(tenantId: string, name: string, options: KeyOptions = {}): Promise<IssuedKey> {
    const secret = options.secret ?? generateApiKey();
    if (!API_KEY_PATTERN.test(secret))
      throw new Error('API keys must be pl_ followed by at least 32 random bytes in base64url');
    const key = await this.repo.insert(this.newKey(tenantId, name, secret, options));
    return { key, secret };
  }

  async authenticate(secret: string): Promise<Principal | null> {
    if (!API_KEY_PATTERN.test(secret)) return null;
    const hash = sha256Hex(secret);
    let cached = this.cache.get(hash);
    if (cached !== undefined) this.lookups.hit();
    else {
      this.lookups.miss();
      const record = await this.repo.findByHash(hash);
      cached = record
        ? { record, allowsAddress: record.allowedCidrs ? addressMatcher(record.allowedCidrs) : anyAddress }
        : false;
      this.cache.set(hash, cached);
    }
    if (!cached) return null;
    const { record } = cached;
    const now = this.clock();
    if (!isActive(record, now)) return null;
    this.touch(record.id, now);
    return {
      tenantId: record.tenantId,
      keyId: record.id,
      kind: 'key',
      scopes: record.scopes,
      allowsAddress: cached.allowsAddress,
    };
  }

  async revoke(id: string, tenantId?: string): Promise<ApiKeyRecord | null> {
    const existing = await this.repo.findById(id);
    if (!existing || (tenantId !== undefined && existing.tenantId !== tenantId)) return null;
    const revoked = (await this.repo.revoke(id, this.clock())) ?? existing;
    this.forget(id);
    this.ended(revoked.tenantId, revoked.id);
    return revoked;
  }

  /**
   * Issues a replacement with the same name, scopes and allowlist, and lets the old key work for
   * `graceSeconds` more, so deploys can roll. Only a key with no end date yet can be rotated: an end,
   * once set, is never moved, so a rotated-out key cannot be brought back by rotating it again.
   */
  async rotate(id: string, tenantId: string, graceSeconds: number): Promise<RotateOutcome> {
    const existing = await this.get(id, tenantId);
    if (!existing) return { refused: 'not_found' };
    const now = this.clock();
    const secret = generateApiKey();
    const replacement = this.newKey(tenantId, existing.name, secret, existing);
    const done = await this.repo.rotate(id, tenantId, new Date(now.getTime() + graceSeconds * 1000), replacement);
    if (!done) return { refused: 'ended' };
    this.forget(id);
    if (graceSeconds === 0) this.ended(tenantId, id);
    return { rotated: { key: done.next, secret } };
  }

  async get(id: string, tenantId: string): Promise<ApiKeyRecord | null> {
    const key = await this.repo.findById(id);
    return key && key.tenantId === tenantId ? key : null;
  }

  list(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.repo.listForTenant(tenantId);
  }

  /** The keys among `ids` that still work now (for sessions that outlive one request). */
  activeIds(ids: readonly string[]): Promise<Set<string>> {
    return this.repo.activeIds(ids, this.clock());
  }

  onKeyEnded(listener: KeyEndedListener): void {
    this.endedListeners.push(listener);
  }

  /** Drops what this instance cached about a key, so its next use reads the stored state. */
  forget(keyId: string): void {
    for (const [hash, cached] of this.cache.entries()) {
      if (cached && cached.record.id === keyId) this.cache.delete(hash);
    }
  }

  private newKey(
    tenantId: string,
    name: string,
    secret: string,
    options: Pick<KeyOptions, 'scopes' | 'allowedCidrs'>,
  ): NewApiKey {
    return {
      id: newId('key'),
      tenantId,
      name,
      prefix: displayPrefix(secret),
      keyHash: sha256Hex(secret),
      scopes: options.scopes ?? SCOPES,
      allowedCidrs: options.allowedCidrs ?? null,
    };
  }

  private ended(tenantId: string, keyId: string): void {
    for (const listener of this.endedListeners) listener(tenantId, keyId);
  }

  private touch(id: string, now: Date): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now.getTime());
    this.repo.touch(id, now).catch(() => this.lastTouched.delete(id));
  }
}

function isActive(record: ApiKeyRecord, now: Date): boolean {
  return !(record.revokedAt && record.revokedAt <= now) && !(record.expiresAt && record.expiresAt <= now);
}
