import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RawEventsTable } from '../../platform/db/schema.js';
import type { RawEvent, RawEventStatus } from './raw-event.js';

export type NewRawEventRow = Insertable<RawEventsTable>;
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
    nextAttemptAt: row.next_attempt_at ? new Date(row.next_attempt_at) : null,
    endpointId: row.endpoint_id,
    receivedAt: new Date(row.received_at),
    processedAt: row.processed_at ? new Date(row.processed_at) : null,
  };
}

export interface DedupeKey {
  tenantId: string;
  provider: string;
  providerEventId: string;
}

export class RawEventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts rows, skipping those whose dedupe key already exists; returns the ids actually inserted. */
  async insertIgnoringDuplicates(trx: Transaction<Database> | Kysely<Database>, rows: NewRawEventRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const inserted = await trx
      .insertInto('raw_events')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'provider', 'provider_event_id'])
          .where('provider', 'is not', null)
          .where('provider_event_id', 'is not', null)
          .doNothing(),
      )
      .returning('id')
      .execute();
    return new Set(inserted.map((r) => r.id));
  }

  async findByDedupeKey(key: DedupeKey): Promise<RawEvent | null> {
    const row = await this.db
      .selectFrom('raw_events')
      .selectAll()
      .where('tenant_id', '=', key.tenantId)
      .where('provider', '=', key.provider)
      .where('provider_event_id', '=', key.providerEventId)
      .executeTakeFirst();
    return row ? rowToRawEvent(row) : null;
  }

  async findById(tenantId: string, id: string): Promise<RawEvent | null> {
    const row = await this.db.selectFrom('raw_events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
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
}
