import {
  CompiledQuery,
  sql,
  type Insertable,
  type Kysely,
  type Selectable,
  type Transaction,
  type Updateable,
} from 'kysely';
import type { Database } from '../../database.js';
import type { RawEventsTable } from './ingest.tables.js';
import { columnList, jsonRowsText, packJsonRows, type ColumnSpec } from '../../platform/db/json-rows.js';
import { PREPARED_STATEMENT_MARKER } from '../../platform/db/prepared-statements.js';
import { afterCursor, keysetPage, type KeysetCursor } from '../../platform/db/keyset-cursor.js';
import type { RawEvent, RawEventStatus } from './raw-event.js';
import { isoTimestamp, toDate, toDateOrNull } from '../../platform/db/timestamps.js';

const rawEventColumns: ColumnSpec = {
  id: 'text',
  tenant_id: 'text',
  source: 'text',
  provider: 'text',
  provider_event_id: 'text',
  content_type: 'text',
  payload: 'packed text',
  payload_sha256: 'text',
  status: 'text',
  error: 'text',
  attempts: 'integer',
  next_attempt_at: 'timestamptz',
  endpoint_id: 'text',
  received_at: 'timestamptz',
  processed_at: 'timestamptz',
};

/** Fixed text (see insertIgnoringDuplicates), so no query is built per group commit. */
const insertIgnoringDuplicatesText = `${PREPARED_STATEMENT_MARKER}
  WITH x AS (${jsonRowsText(rawEventColumns, '$1', '$2')}),
  keyed AS (
    INSERT INTO raw_event_keys (tenant_id, provider, provider_event_id, raw_event_id, received_at)
    SELECT tenant_id, provider, provider_event_id, id, received_at FROM x
    WHERE provider IS NOT NULL AND provider_event_id IS NOT NULL
    ON CONFLICT DO NOTHING RETURNING raw_event_id)
  INSERT INTO raw_events (${columnList(rawEventColumns)}) SELECT ${columnList(rawEventColumns)} FROM x
  WHERE provider IS NULL OR provider_event_id IS NULL OR id IN (SELECT raw_event_id FROM keyed)
  RETURNING id`;

const settleQueuedText = `${PREPARED_STATEMENT_MARKER}
  UPDATE raw_events r SET status = x.status, error = x.error, attempts = x.attempts,
    next_attempt_at = x.next_attempt_at, processed_at = x.processed_at
  FROM json_to_recordset($1::json) AS x(id text, received_at timestamptz, claimed_until timestamptz, status text,
    error text, attempts integer, next_attempt_at timestamptz, processed_at timestamptz)
  WHERE r.id = x.id AND r.received_at = x.received_at AND r.status = 'queued' AND r.next_attempt_at = x.claimed_until
  RETURNING r.id`;

/** How findByDedupeKeys keys its answer. */
export function dedupeKeyOf(provider: string, providerEventId: string): string {
  return `${provider}\u0000${providerEventId}`;
}

export type NewRawEventRow = Insertable<RawEventsTable>;
/**
 * A raw event as the group writer inserts it: every column named, since INSERT … SELECT from JSON rows
 * writes NULL, not the column default, for a missing one.
 */
export type StoredRawEventRow = NewRawEventRow & { attempts: number };
export type RawEventUpdate = Updateable<RawEventsTable>;
/** What settling a queued raw event changes of it. */
export type QueuedSettlement = Required<
  Pick<RawEventUpdate, 'status' | 'error' | 'attempts' | 'next_attempt_at' | 'processed_at'>
>;
type RawEventRow = Selectable<RawEventsTable>;

export function rowToRawEvent(row: RawEventRow): RawEvent {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    source: row.source,
    provider: row.provider,
    providerEventId: row.provider_event_id,
    contentType: row.content_type,
    payload: row.payload,
    payloadSha256: row.payload_sha256,
    status: row.status as RawEventStatus,
    error: row.error,
    attempts: Number(row.attempts),
    nextAttemptAt: toDateOrNull(row.next_attempt_at),
    endpointId: row.endpoint_id,
    receivedAt: toDate(row.received_at),
    processedAt: toDateOrNull(row.processed_at),
  };
}

/** Guards a status change so that only the process that saw the row in this state applies it. */
export interface RawEventGuard {
  statuses: RawEventStatus[];
  attempts?: number;
}

export interface RawEventAction {
  action: string;
  keyId: string | null;
  at: string;
}

export class RawEventRepository {
  /** `replica` (DATABASE_READ_URL) serves the dead-letter lists; everything a write follows reads the primary. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly replica: Kysely<Database> = db,
  ) {}

  /**
   * Inserts rows, skipping those whose dedupe key already exists; returns the ids actually inserted.
   * The key is claimed in raw_event_keys by the same statement: raw_events is partitioned by month,
   * where no unique index can span months (migration 080).
   */
  async insertIgnoringDuplicates(
    trx: Transaction<Database> | Kysely<Database>,
    rows: StoredRawEventRow[],
  ): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const { json, bytes } = packJsonRows(rawEventColumns, rows);
    const inserted = await trx.executeQuery<{ id: string }>(
      CompiledQuery.raw(insertIgnoringDuplicatesText, [json, bytes]),
    );
    return new Set(inserted.rows.map((r) => r.id));
  }

  /** The stored raw events of many dedupe keys of one tenant, in one query (a re-sent batch). */
  async findByDedupeKeys(
    tenantId: string,
    keys: { provider: string; providerEventId: string }[],
  ): Promise<Map<string, RawEvent>> {
    const found = new Map<string, RawEvent>();
    if (keys.length === 0) return found;
    const rows = await sql<RawEventRow>`
      SELECT r.* FROM raw_event_keys d
      JOIN json_to_recordset(${JSON.stringify(keys)}::json) AS k(provider text, "providerEventId" text)
        ON d.provider = k.provider AND d.provider_event_id = k."providerEventId"
      JOIN raw_events r ON r.id = d.raw_event_id AND r.received_at = d.received_at
      WHERE d.tenant_id = ${tenantId}`.execute(this.db);
    for (const row of rows.rows)
      found.set(dedupeKeyOf(row.provider ?? '', row.provider_event_id ?? ''), rowToRawEvent(row));
    return found;
  }

  async findById(tenantId: string, id: string): Promise<RawEvent | null> {
    const row = await this.db
      .selectFrom('raw_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? rowToRawEvent(row) : null;
  }

  async countForTenant(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('raw_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Claims the oldest due queued events for one worker, as claimDue does for retries. They are
   * normalized and scored outside any transaction (scoring reads the database, and the embedded store
   * has one connection), so the claim is a row version of its own rather than a held lock.
   */
  claimQueued(now: Date, leaseUntil: Date, limit: number): Promise<RawEvent[]> {
    return this.claim('queued', now, leaseUntil, limit);
  }

  /**
   * The new state of many claimed queued events, in one statement; only those still under this
   * claim (`claimedUntil`) change. Returns their ids: an event whose claim ran out and was taken by
   * another worker is that worker's to settle.
   */
  async settleQueued(
    trx: Transaction<Database>,
    rows: (QueuedSettlement & { id: string; received_at: Date; claimed_until: Date })[],
  ): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const result = await trx.executeQuery<{ id: string }>(CompiledQuery.raw(settleQueuedText, [JSON.stringify(rows)]));
    return new Set(result.rows.map((r) => r.id));
  }

  /** The backlog of the intake queue, all tenants: how many wait, and since when the oldest has. */
  async queueBacklog(): Promise<{ depth: number; oldestReceivedAt: Date | null }> {
    const row = await sql<{ n: string; oldest: string | Date | null }>`
      SELECT count(*) AS n, min(received_at) AS oldest FROM raw_events WHERE status = 'queued'`.execute(this.db);
    const first = row.rows[0];
    return { depth: Number(first?.n ?? 0), oldestReceivedAt: toDateOrNull(first?.oldest ?? null) };
  }

  /** Claims due unprocessed events for one retry worker (see claim). */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<RawEvent[]> {
    return this.claim('unprocessed', now, leaseUntil, limit);
  }

  /**
   * Claims due events in `status` for one worker: their `next_attempt_at` moves to `leaseUntil`, so
   * a worker that dies mid-pass only delays them. SKIP LOCKED lets several workers claim at once
   * without waiting on or double-claiming each other's rows.
   */
  private async claim(
    status: 'queued' | 'unprocessed',
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<RawEvent[]> {
    const result = await sql<RawEventRow>`
      UPDATE raw_events SET next_attempt_at = ${leaseUntil}
      WHERE (id, received_at) IN (
        SELECT id, received_at FROM raw_events
        -- A literal, not a parameter, so the planner can match the partial index of that status.
        WHERE status = ${sql.lit(status)} AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING *`.execute(this.db);
    return result.rows.map(rowToRawEvent);
  }

  /** Applies `changes` only while the row is still as the caller saw it; returns whether it did. */
  async updateGuarded(
    trx: Transaction<Database> | Kysely<Database>,
    tenantId: string,
    id: string,
    guard: RawEventGuard,
    changes: RawEventUpdate,
  ): Promise<boolean> {
    let query = trx
      .updateTable('raw_events')
      .set(changes)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('status', 'in', guard.statuses);
    if (guard.attempts !== undefined) query = query.where('attempts', '=', guard.attempts);
    // RETURNING rather than the affected-row count: PGlite's driver does not report the count.
    const row = await query.returning('id').executeTakeFirst();
    return row !== undefined;
  }

  /** Newest first by receipt time, then id; the cursor is the last row's (receivedAt, id). */
  async listByStatus(
    tenantId: string,
    statuses: RawEventStatus[],
    limit: number,
    cursor: KeysetCursor | null,
  ): Promise<{ data: RawEvent[]; nextCursor: string | null }> {
    let query = this.replica
      .selectFrom('raw_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('status', 'in', statuses);
    if (cursor) query = query.where(afterCursor('received_at', 'id', cursor));
    const rows = await query
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return keysetPage(rows, limit, rowToRawEvent, (last) => ({ at: last.receivedAt.toISOString(), id: last.id }));
  }

  async recordAction(
    trx: Transaction<Database> | Kysely<Database>,
    tenantId: string,
    rawEventId: string,
    action: string,
    keyId: string | null,
    at: Date,
  ): Promise<void> {
    await trx
      .insertInto('raw_event_actions')
      .values({ tenant_id: tenantId, raw_event_id: rawEventId, action, key_id: keyId, at })
      .execute();
  }

  async actionsOf(tenantId: string, rawEventId: string): Promise<RawEventAction[]> {
    const rows = await this.db
      .selectFrom('raw_event_actions')
      .select(['action', 'key_id', 'at'])
      .where('tenant_id', '=', tenantId)
      .where('raw_event_id', '=', rawEventId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ action: r.action, keyId: r.key_id, at: isoTimestamp(r.at) }));
  }
}
