import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../../platform/db/schema.js';
import { toDate, toDateOrNull } from '../../platform/db/timestamps.js';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
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
  };
}

export class ApiKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(key: { id: string; tenantId: string; name: string; prefix: string; keyHash: string }): Promise<ApiKeyRecord> {
    const row = await this.db
      .insertInto('api_keys')
      .values({ id: key.id, tenant_id: key.tenantId, name: key.name, prefix: key.prefix, key_hash: key.keyHash, expires_at: null, revoked_at: null, last_used_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
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
    const rows = await this.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').execute();
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

  async expire(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_keys').set({ expires_at: at }).where('id', '=', id).execute();
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
