import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable } from './tenancy.tables.js';
import type { Database } from '../../database.js';
import { toDate, toDateOrNull } from '../../platform/db/timestamps.js';
import type { Scope } from './scopes.js';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  scopes: Scope[];
  /** CIDRs the key may be used from; null = any address. */
  allowedCidrs: string[] | null;
}

export interface NewApiKey {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  keyHash: string;
  scopes: readonly Scope[];
  allowedCidrs: readonly string[] | null;
}

function toRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: toDate(row.created_at),
    expiresAt: toDateOrNull(row.expires_at),
    revokedAt: toDateOrNull(row.revoked_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
    scopes: row.scopes as Scope[],
    allowedCidrs: row.allowed_cidrs,
  };
}

function newRow(key: NewApiKey) {
  return {
    id: key.id,
    tenant_id: key.tenantId,
    name: key.name,
    prefix: key.prefix,
    key_hash: key.keyHash,
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    scopes: JSON.stringify(key.scopes),
    allowed_cidrs: key.allowedCidrs === null ? null : JSON.stringify(key.allowedCidrs),
  };
}

export class ApiKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(key: NewApiKey): Promise<ApiKeyRecord> {
    return toRecord(await this.db.insertInto('api_keys').values(newRow(key)).returningAll().executeTakeFirstOrThrow());
  }

  /**
   * Puts an end date on a key that has none and is not revoked, and stores its replacement, in one
   * transaction. A key already rotated, expired or revoked is left alone (null): its end is final.
   */
  async rotate(
    id: string,
    tenantId: string,
    endsAt: Date,
    replacement: NewApiKey,
  ): Promise<{ old: ApiKeyRecord; next: ApiKeyRecord } | null> {
    return this.db.transaction().execute(async (trx) => {
      const old = await trx
        .updateTable('api_keys')
        .set({ expires_at: endsAt })
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .where('expires_at', 'is', null)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!old) return null;
      const next = await trx
        .insertInto('api_keys')
        .values(newRow(replacement))
        .returningAll()
        .executeTakeFirstOrThrow();
      return { old: toRecord(old), next: toRecord(next) };
    });
  }

  /** The keys among `ids` that are neither revoked nor expired at `now`. */
  async activeIds(ids: readonly string[], now: Date): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('api_keys')
      .select('id')
      .where('id', 'in', ids)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async listForTenant(tenantId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  async revoke(id: string, at: Date): Promise<ApiKeyRecord | null> {
    const row = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
