import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../platform/db/schema.js';
import type { PaymentEvent } from '../normalize/canonical.js';
import { rowToPaymentEvent, type NewPaymentEventRow } from './payment-event.mapper.js';

export interface EventFilter {
  provider?: string | undefined;
  status?: string | undefined;
  failureReason?: string | undefined;
  type?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface EventCursor {
  occurredAt: string;
  id: string;
}

export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(`${cursor.occurredAt}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): EventCursor | null {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const [occurredAt, id, extra] = text.split('|');
  if (!occurredAt || !id || extra !== undefined || Number.isNaN(Date.parse(occurredAt)) || !/^evt_[0-9a-z]{26}$/.test(id)) return null;
  return { occurredAt, id };
}

const INSERT_CHUNK = 1000;

export class PaymentEventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(trx: Transaction<Database> | Kysely<Database>, rows: NewPaymentEventRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx.insertInto('payment_events').values(rows.slice(i, i + INSERT_CHUNK)).execute();
    }
  }

  async findById(tenantId: string, id: string): Promise<PaymentEvent | null> {
    const row = await this.db.selectFrom('payment_events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return row ? rowToPaymentEvent(row) : null;
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
  async list(tenantId: string, filter: EventFilter, limit: number, cursor: EventCursor | null): Promise<{ data: PaymentEvent[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('payment_events').selectAll().where('tenant_id', '=', tenantId);
    if (filter.provider) query = query.where('provider', '=', filter.provider);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.failureReason) query = query.where('failure_reason', '=', filter.failureReason);
    if (filter.type) query = query.where('type', '=', filter.type);
    if (filter.from) query = query.where('occurred_at', '>=', filter.from);
    if (filter.to) query = query.where('occurred_at', '<', filter.to);
    if (cursor) {
      query = query.where(sql<boolean>`(occurred_at, id) < (${new Date(cursor.occurredAt)}::timestamptz, ${cursor.id})`);
    }
    const rows = await query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map(rowToPaymentEvent);
    const last = data[data.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null;
    return { data, nextCursor };
  }
}
