import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../database.js';
import { newId } from '../../../platform/ids.js';
import { isoTimestamp, toDateOrNull } from '../../../platform/db/timestamps.js';

export const listTypes = ['ip', 'email', 'card_bin', 'card_fingerprint', 'device', 'customer'] as const;
export const listActions = ['block', 'allow'] as const;
export type ListType = (typeof listTypes)[number];
export type ListAction = (typeof listActions)[number];

export interface ListEntry {
  id: string;
  type: ListType;
  value: string;
  action: ListAction;
  reason: string;
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
}

/** What scoring needs of an entry: the key it matches on. */
export interface ListMatcher {
  type: ListType;
  matchKey: string;
  action: ListAction;
  reason: string;
  expiresAt: number | null;
}

export interface AuditRecord {
  id: string;
  entryId: string;
  operation: 'add' | 'remove';
  type: ListType;
  value: string;
  action: ListAction;
  reason: string | null;
  actor: string;
  at: string;
}

type EntryRow = {
  id: string;
  type: string;
  value: string;
  action: string;
  reason: string;
  expires_at: Date | string | null;
  created_by: string;
  created_at: Date | string;
};

function toEntry(row: EntryRow): ListEntry {
  return {
    id: row.id,
    type: row.type as ListType,
    value: row.value,
    action: row.action as ListAction,
    reason: row.reason,
    expiresAt: row.expires_at === null ? null : isoTimestamp(row.expires_at),
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
  };
}

/** Writes the audit record of one change to an entry, in the change's transaction. */
async function audited(
  trx: Transaction<Database>,
  tenantId: string,
  row: EntryRow,
  operation: AuditRecord['operation'],
  actor: string,
): Promise<void> {
  await trx
    .insertInto('risk_list_audit')
    .values({
      id: newId('aud'),
      tenant_id: tenantId,
      entry_id: row.id,
      operation,
      type: row.type,
      value: row.value,
      action: row.action,
      reason: row.reason,
      actor,
    })
    .execute();
}

/** Block/allow lists; every change writes its audit record in the same transaction. */
export class ListRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(
    tenantId: string,
    filter: { type?: ListType | undefined; action?: ListAction | undefined } = {},
  ): Promise<ListEntry[]> {
    let q = this.db.selectFrom('risk_lists').selectAll().where('tenant_id', '=', tenantId);
    if (filter.type) q = q.where('type', '=', filter.type);
    if (filter.action) q = q.where('action', '=', filter.action);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toEntry);
  }

  async matchers(tenantId: string): Promise<ListMatcher[]> {
    const rows = await this.db
      .selectFrom('risk_lists')
      .select(['type', 'match_key', 'action', 'reason', 'expires_at'])
      .where('tenant_id', '=', tenantId)
      .execute();
    return rows.map((r) => ({
      type: r.type as ListType,
      matchKey: r.match_key,
      action: r.action as ListAction,
      reason: r.reason,
      expiresAt: toDateOrNull(r.expires_at)?.getTime() ?? null,
    }));
  }

  /** Null when the same value is already on that list. */
  async add(
    tenantId: string,
    entry: {
      type: ListType;
      value: string;
      matchKey: string;
      action: ListAction;
      reason: string;
      expiresAt: Date | null;
    },
    actor: string,
  ): Promise<ListEntry | null> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('risk_lists')
        .values({
          id: newId('lst'),
          tenant_id: tenantId,
          type: entry.type,
          value: entry.value,
          match_key: entry.matchKey,
          action: entry.action,
          reason: entry.reason,
          expires_at: entry.expiresAt,
          created_by: actor,
        })
        .onConflict((c) => c.columns(['tenant_id', 'type', 'match_key', 'action']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      await audited(trx, tenantId, row, 'add', actor);
      return toEntry(row);
    });
  }

  async remove(tenantId: string, id: string, actor: string): Promise<ListEntry | null> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .deleteFrom('risk_lists')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      await audited(trx, tenantId, row, 'remove', actor);
      return toEntry(row);
    });
  }

  async audit(tenantId: string, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('risk_list_audit')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      entryId: r.entry_id,
      operation: r.operation as 'add' | 'remove',
      type: r.type as ListType,
      value: r.value,
      action: r.action as ListAction,
      reason: r.reason,
      actor: r.actor,
      at: isoTimestamp(r.at),
    }));
  }
}
