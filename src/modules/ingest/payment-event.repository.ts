import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../database.js';
import { combinedWrite, type WriteRows } from '../../platform/db/combined-writes.js';
import type { ColumnSpec } from '../../platform/db/json-rows.js';
import { afterCursor, keysetPage, type KeysetCursor } from '../../platform/db/keyset-cursor.js';
import { readYourWrites } from '../../platform/db/read-routing.js';
import type { PaymentEvent } from '../normalize/index.js';
import { rowToPaymentEvent, type NewPaymentEventRow } from './payment-event.mapper.js';

export interface EventFilter {
  provider?: string | undefined;
  status?: string | undefined;
  failureReason?: string | undefined;
  type?: string | undefined;
  /** The source's own id of the event (a data-lake row's `transactional_id`). */
  transactionalId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

const paymentEventColumns: ColumnSpec = {
  id: 'text',
  tenant_id: 'text',
  raw_event_id: 'text',
  seq: 'integer',
  source: 'text',
  provider: 'text',
  provider_event_id: 'text',
  provider_payment_id: 'text',
  type: 'text',
  status: 'text',
  failure_reason: 'text',
  decline_type: 'text',
  recommended_action: 'text',
  provider_code: 'text',
  provider_message: 'text',
  amount_minor: 'bigint',
  currency: 'text',
  amount_usd_minor: 'bigint',
  merchant: 'jsonb',
  customer_key: 'text',
  email_domain: 'text',
  ip: 'text',
  ip_country: 'text',
  device_id: 'text',
  card: 'jsonb',
  occurred_at: 'timestamptz',
  received_at: 'timestamptz',
  normalized_at: 'timestamptz',
  normalization_method: 'text',
  confidence: 'real',
  metadata: 'jsonb',
  risk: 'jsonb',
};

const paymentEventsWrite = combinedWrite('payment_events', 'payment_events', paymentEventColumns);

export class PaymentEventRepository {
  /** `replica` (DATABASE_READ_URL) serves the reads by id and the lists; see read-routing.ts. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly replica: Kysely<Database> = db,
  ) {}

  /** The insert of normalized events as a part of the statement that also runs the pipeline hooks' writes. */
  writeOf(rows: NewPaymentEventRow[]): WriteRows {
    return { write: paymentEventsWrite, rows };
  }

  /**
   * The payment a capture belongs to, when a provider names the capture alone (a PayPal dispute) while
   * the payment is known by its order: found through the event that recorded the capture.
   */
  async paymentOfCapture(
    trx: Transaction<Database> | Kysely<Database>,
    tenantId: string,
    provider: string,
    captureId: string,
  ): Promise<string | null> {
    const row = await trx
      .selectFrom('payment_events')
      .select('provider_payment_id')
      .where('tenant_id', '=', tenantId)
      .where('provider', '=', provider)
      .where(sql<boolean>`metadata ? 'captureId'`)
      .where(sql<string>`metadata->>'captureId'`, '=', captureId)
      .where('type', 'in', ['authorization', 'sale', 'capture'])
      .where('provider_payment_id', 'is not', null)
      .limit(1)
      .executeTakeFirst();
    return row?.provider_payment_id ?? null;
  }

  async findById(tenantId: string, id: string): Promise<PaymentEvent | null> {
    const row = await readYourWrites(this.db, this.replica, (db) =>
      db
        .selectFrom('payment_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    return row ? rowToPaymentEvent(row) : null;
  }

  /** The events of many raw events of one tenant, grouped by raw event id, each group in `seq` order. */
  async findByRawEvents(tenantId: string, rawEventIds: string[]): Promise<Map<string, PaymentEvent[]>> {
    const grouped = new Map<string, PaymentEvent[]>();
    if (rawEventIds.length === 0) return grouped;
    const rows = await this.db
      .selectFrom('payment_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('raw_event_id', 'in', sql<string>`(SELECT json_array_elements_text(${JSON.stringify(rawEventIds)}::json))`)
      .orderBy('raw_event_id')
      .orderBy('seq')
      .execute();
    for (const row of rows) {
      const list = grouped.get(row.raw_event_id) ?? [];
      list.push(rowToPaymentEvent(row));
      grouped.set(row.raw_event_id, list);
    }
    return grouped;
  }

  async findByRawEvent(tenantId: string, rawEventId: string): Promise<PaymentEvent[]> {
    const rows = await this.db
      .selectFrom('payment_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('raw_event_id', '=', rawEventId)
      .orderBy('seq')
      .execute();
    return rows.map(rowToPaymentEvent);
  }

  /** Newest first by provider time, then id; the cursor is the last row's (occurredAt, id). */
  async list(
    tenantId: string,
    filter: EventFilter,
    limit: number,
    cursor: KeysetCursor | null,
  ): Promise<{ data: PaymentEvent[]; nextCursor: string | null }> {
    let query = this.replica.selectFrom('payment_events').selectAll().where('tenant_id', '=', tenantId);
    if (filter.provider) query = query.where('provider', '=', filter.provider);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.failureReason) query = query.where('failure_reason', '=', filter.failureReason);
    if (filter.type) query = query.where('type', '=', filter.type);
    if (filter.transactionalId)
      query = query
        .where(sql<boolean>`metadata ? 'transactionalId'`)
        .where(sql<string>`metadata->>'transactionalId'`, '=', filter.transactionalId);
    if (filter.from) query = query.where('occurred_at', '>=', filter.from);
    if (filter.to) query = query.where('occurred_at', '<', filter.to);
    if (cursor) query = query.where(afterCursor('occurred_at', 'id', cursor));
    const rows = await query
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return keysetPage(rows, limit, rowToPaymentEvent, (last) => ({ at: last.occurredAt, id: last.id }));
  }
}
