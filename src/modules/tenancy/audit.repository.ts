import { sql, type Kysely, type Selectable } from 'kysely';
import { afterCursor, keysetPage, type KeysetCursor } from '../../platform/db/keyset-cursor.js';
import type { Database } from '../../database.js';
import { isoTimestamp } from '../../platform/db/timestamps.js';
import { newId } from '../../platform/ids.js';
import { entryHash, GENESIS, type AuditEntry, type ChainedEntry } from './audit-chain.js';
import type { AuditLogTable } from './audit.tables.js';

/** What a caller records; the chain adds the sequence number, id, time and hashes. */
export type NewAuditEntry = Omit<AuditEntry, 'seq' | 'id' | 'at'>;

export interface AuditFilter {
  action?: string | undefined;
  actor?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

function toEntry(r: Selectable<AuditLogTable>): ChainedEntry {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: isoTimestamp(r.at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Appends at the end of the tenant's chain; concurrent appends for one tenant take turns (advisory lock). */
  async append(tenantId: string, entry: NewAuditEntry, at: Date): Promise<ChainedEntry> {
    return this.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`audit:${tenantId}`}))`.execute(trx);
      const last = await trx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .where('tenant_id', '=', tenantId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const e = { seq: Number(last?.seq ?? 0) + 1, id: newId('aud', at.getTime()), at: at.toISOString(), ...entry };
      const prevHash = last?.hash ?? GENESIS.hash;
      const hash = entryHash(prevHash, e);
      await trx
        .insertInto('audit_log')
        .values({
          tenant_id: tenantId,
          seq: e.seq,
          id: e.id,
          at: e.at,
          actor: e.actor,
          action: e.action,
          target: e.target,
          details: JSON.stringify(e.details),
          prev_hash: prevHash,
          hash,
        })
        .execute();
      return { ...e, prevHash, hash };
    });
  }

  /** Newest first by time, then id. */
  async list(
    tenantId: string,
    filter: AuditFilter,
    limit: number,
    cursor: KeysetCursor | null,
  ): Promise<{ data: ChainedEntry[]; nextCursor: string | null }> {
    let q = this.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.actor) q = q.where('actor', '=', filter.actor);
    if (filter.from) q = q.where('at', '>=', filter.from);
    if (filter.to) q = q.where('at', '<', filter.to);
    if (cursor) q = q.where(afterCursor('at', 'id', cursor));
    const rows = await q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return keysetPage(rows, limit, toEntry, (last) => ({ at: last.at, id: last.id }));
  }

  /** The chain in sequence order, `size` entries after `afterSeq`. */
  async chainAfter(tenantId: string, afterSeq: number, size: number): Promise<ChainedEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('seq', '>', String(afterSeq))
      .orderBy('seq')
      .limit(size)
      .execute();
    return rows.map(toEntry);
  }
}
