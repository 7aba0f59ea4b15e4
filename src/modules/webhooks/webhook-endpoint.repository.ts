import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../database.js';
import type { WebhookEndpointsTable } from './webhook-endpoint.tables.js';
import { toDate, toDateOrNull } from '../../platform/db/timestamps.js';

export interface WebhookEndpointRow {
  id: string;
  tenantId: string;
  provider: string;
  description: string | null;
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
  settings: Record<string, unknown>;
  settingsCiphertext: string | null;
  respondAsync: boolean;
  createdAt: Date;
  secretRotatedAt: Date | null;
}

function toRow(row: Selectable<WebhookEndpointsTable>): WebhookEndpointRow {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    provider: row.provider,
    description: row.description,
    secretCiphertext: row.secret_ciphertext,
    previousSecretCiphertext: row.previous_secret_ciphertext,
    previousSecretExpiresAt: toDateOrNull(row.previous_secret_expires_at),
    settings: row.settings,
    settingsCiphertext: row.settings_ciphertext,
    respondAsync: row.respond_async,
    createdAt: toDate(row.created_at),
    secretRotatedAt: toDateOrNull(row.secret_rotated_at),
  };
}

export interface NewWebhookEndpoint {
  id: string;
  tenantId: string;
  provider: string;
  description: string | null;
  secretCiphertext: string;
  settings: Record<string, unknown>;
  settingsCiphertext: string | null;
  respondAsync: boolean;
  createdAt: Date;
}

export interface SecretRotation {
  secretCiphertext: string;
  /** Null drops the old secret at once (no grace period). */
  previousSecretExpiresAt: Date | null;
  rotatedAt: Date;
}

/** What an edit of an endpoint changes; absent fields stay as they are. */
export interface WebhookEndpointChanges {
  description?: string | null;
  settings?: Record<string, unknown>;
  settingsCiphertext?: string | null;
  respondAsync?: boolean;
}

/** Every query filters on deleted_at: a soft-deleted endpoint is invisible to the API and to deliveries. */
export class WebhookEndpointRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(endpoint: NewWebhookEndpoint): Promise<WebhookEndpointRow> {
    const row = await this.db
      .insertInto('webhook_endpoints')
      .values({
        id: endpoint.id,
        tenant_id: endpoint.tenantId,
        provider: endpoint.provider,
        description: endpoint.description,
        secret_ciphertext: endpoint.secretCiphertext,
        previous_secret_ciphertext: null,
        previous_secret_expires_at: null,
        settings: JSON.stringify(endpoint.settings),
        settings_ciphertext: endpoint.settingsCiphertext,
        respond_async: endpoint.respondAsync,
        created_at: endpoint.createdAt,
        secret_rotated_at: null,
        deleted_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRow(row);
  }

  /** Not tenant-scoped: deliveries authenticate by endpoint id, before any tenant is known. */
  async findActive(id: string): Promise<WebhookEndpointRow | null> {
    const row = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? toRow(row) : null;
  }

  async findForTenant(tenantId: string, id: string): Promise<WebhookEndpointRow | null> {
    const row = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? toRow(row) : null;
  }

  async listForTenant(tenantId: string): Promise<WebhookEndpointRow[]> {
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toRow);
  }

  /** Moves the current secret to `previous` and installs the new one in one statement, so no delivery sees neither. */
  async rotateSecret(tenantId: string, id: string, rotation: SecretRotation): Promise<WebhookEndpointRow | null> {
    const row = await this.db
      .updateTable('webhook_endpoints')
      .set((eb) => ({
        previous_secret_ciphertext: rotation.previousSecretExpiresAt === null ? null : eb.ref('secret_ciphertext'),
        previous_secret_expires_at: rotation.previousSecretExpiresAt,
        secret_ciphertext: rotation.secretCiphertext,
        secret_rotated_at: rotation.rotatedAt,
      }))
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row ? toRow(row) : null;
  }

  /**
   * Reads the endpoint under a row lock and writes what `change` makes of it, in one transaction, so
   * two edits of its settings (merged with the stored ones) cannot lose one. `change` answers null to
   * write nothing; null is also the answer when there is no such endpoint.
   */
  async update(
    tenantId: string,
    id: string,
    change: (current: WebhookEndpointRow) => Promise<WebhookEndpointChanges | null>,
  ): Promise<WebhookEndpointRow | null> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (!current) return null;
      const changes = await change(toRow(current));
      if (!changes) return null;
      const row = await trx
        .updateTable('webhook_endpoints')
        .set({
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          ...(changes.settings !== undefined ? { settings: JSON.stringify(changes.settings) } : {}),
          ...(changes.settingsCiphertext !== undefined ? { settings_ciphertext: changes.settingsCiphertext } : {}),
          ...(changes.respondAsync !== undefined ? { respond_async: changes.respondAsync } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRow(row);
    });
  }

  async softDelete(tenantId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_endpoints')
      .set({ deleted_at: at })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
