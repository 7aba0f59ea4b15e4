import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../../database.js';
import type { PaymentEvent } from '../normalize/index.js';
import { rowToPaymentEvent } from '../ingest/index.js';
import { effectiveStatus, flagsOf, type PaymentFlag, type PaymentState, type PaymentStatus } from './payment.domain.js';
import type { PaymentsTable } from './payments.tables.js';
import { combinedWrite, type WriteRows } from '../../platform/db/combined-writes.js';
import { insertJsonRows, type ColumnSpec } from '../../platform/db/json-rows.js';
import { readYourWrites } from '../../platform/db/read-routing.js';
import { isoTimestamp } from '../../platform/db/timestamps.js';

const paymentColumns: ColumnSpec = {
  tenant_id: 'text',
  provider: 'text',
  provider_payment_id: 'text',
  status: 'text',
  amount_minor: 'bigint',
  currency: 'text',
  captured_minor: 'bigint',
  refunded_minor: 'bigint',
  first_event_at: 'timestamptz',
  last_event_at: 'timestamptz',
  flags: 'jsonb',
  state: 'jsonb',
};

const newPaymentsWrite = combinedWrite(
  'payments.new',
  'payments',
  paymentColumns,
  'ON CONFLICT (tenant_id, provider, provider_payment_id) DO NOTHING RETURNING json_build_array(tenant_id, provider, provider_payment_id)::text AS r',
  true,
);

export interface PaymentKey {
  tenantId: string;
  provider: string;
  providerPaymentId: string;
}

export interface Payment {
  provider: string;
  providerPaymentId: string;
  status: PaymentStatus;
  amountMinor: number;
  currency: string;
  capturedMinor: number;
  refundedMinor: number;
  flags: PaymentFlag[];
  firstEventAt: string;
  lastEventAt: string;
}

function rowToPayment(row: Selectable<PaymentsTable>): Payment {
  return {
    provider: row.provider,
    providerPaymentId: row.provider_payment_id,
    status: row.status as PaymentStatus,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    capturedMinor: Number(row.captured_minor),
    refundedMinor: Number(row.refunded_minor),
    flags: row.flags as PaymentFlag[],
    firstEventAt: isoTimestamp(row.first_event_at),
    lastEventAt: isoTimestamp(row.last_event_at),
  };
}

export class PaymentRepository {
  /** `replica` (DATABASE_READ_URL) serves GET /v1/payments/…, the primary when the replica has not got the payment yet. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly replica: Kysely<Database> = db,
  ) {}

  /**
   * Writes payments seen for the first time with their folded state, as a part of the statement that
   * stores their events; newKeys reads back the keys written. A key that exists already (or that a
   * concurrent transaction just created: the insert waits for it) is skipped, and the caller merges
   * it through lockStates/saveAll. Sorted, so concurrent groups take the rows' locks in one order.
   */
  newPaymentsWrite(entries: { key: PaymentKey; state: PaymentState }[]): WriteRows {
    return { write: newPaymentsWrite, rows: [...entries].sort((a, b) => compareKeys(a.key, b.key)).map(paymentRow) };
  }

  newKeys(returned: readonly string[]): Set<string> {
    return new Set(
      returned.map((r) => {
        const [tenantId, provider, providerPaymentId] = JSON.parse(r) as [string, string, string];
        return keyOf({ tenantId, provider, providerPaymentId });
      }),
    );
  }

  /**
   * Locks the payments of `keys` for the rest of the transaction and returns their merge state, in
   * one statement: a missing row is created (so a concurrent first event for the same payment waits
   * on the lock instead of racing), an existing one is "updated" to itself, which locks it and
   * returns its state. Keys go in sorted order so two batches cannot deadlock.
   */
  async lockStates(trx: Transaction<Database>, keys: PaymentKey[]): Promise<Map<string, PaymentState | null>> {
    const sorted = [...keys].sort(compareKeys);
    const epoch = new Date(0);
    const placeholders = sorted.map((key) => ({
      tenant_id: key.tenantId,
      provider: key.provider,
      provider_payment_id: key.providerPaymentId,
      status: 'pending',
      amount_minor: 0,
      currency: '',
      captured_minor: 0,
      refunded_minor: 0,
      first_event_at: epoch,
      last_event_at: epoch,
      flags: '[]',
      state: 'null',
    }));
    const result = await insertJsonRows(
      'payments',
      paymentColumns,
      placeholders,
      sql`ON CONFLICT (tenant_id, provider, provider_payment_id) DO UPDATE SET state = payments.state RETURNING tenant_id, provider, provider_payment_id, state`,
    ).execute(trx);
    const rows = result.rows as { tenant_id: string; provider: string; provider_payment_id: string; state: unknown }[];
    const states = new Map<string, PaymentState | null>();
    for (const row of rows) {
      states.set(
        keyOf({ tenantId: row.tenant_id, provider: row.provider, providerPaymentId: row.provider_payment_id }),
        row.state as PaymentState | null,
      );
    }
    return states;
  }

  /**
   * Writes the folded states of a batch's payments in one statement (their rows are locked and exist,
   * see lockStates), instead of one round trip per payment.
   */
  async saveAll(trx: Transaction<Database>, entries: { key: PaymentKey; state: PaymentState }[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(paymentRow);
    await insertJsonRows(
      'payments',
      paymentColumns,
      rows,
      sql`ON CONFLICT (tenant_id, provider, provider_payment_id) DO UPDATE SET
            status = excluded.status, amount_minor = excluded.amount_minor, currency = excluded.currency,
            captured_minor = excluded.captured_minor, refunded_minor = excluded.refunded_minor,
            first_event_at = excluded.first_event_at, last_event_at = excluded.last_event_at,
            flags = excluded.flags, state = excluded.state, updated_at = now()`,
    ).execute(trx);
  }

  async find(key: PaymentKey): Promise<Payment | null> {
    const row = await readYourWrites(this.db, this.replica, (db) =>
      db
        .selectFrom('payments')
        .selectAll()
        .where('tenant_id', '=', key.tenantId)
        .where('provider', '=', key.provider)
        .where('provider_payment_id', '=', key.providerPaymentId)
        .where(sql<boolean>`state <> 'null'::jsonb`)
        .executeTakeFirst(),
    );
    return row ? rowToPayment(row) : null;
  }

  /** The payment's events by provider time. */
  async timeline(key: PaymentKey): Promise<PaymentEvent[]> {
    const rows = await readYourWrites(this.db, this.replica, async (db) => {
      const found = await db
        .selectFrom('payment_events')
        .selectAll()
        .where('tenant_id', '=', key.tenantId)
        .where('provider', '=', key.provider)
        .where('provider_payment_id', '=', key.providerPaymentId)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute();
      return found.length > 0 ? found : undefined;
    });
    return (rows ?? []).map(rowToPaymentEvent);
  }
}

function paymentRow({ key, state }: { key: PaymentKey; state: PaymentState }) {
  return {
    tenant_id: key.tenantId,
    provider: key.provider,
    provider_payment_id: key.providerPaymentId,
    status: effectiveStatus(state),
    amount_minor: state.amountMinor,
    currency: state.currency,
    captured_minor: state.capturedMinor,
    refunded_minor: state.refundedMinor,
    first_event_at: state.firstEventAt,
    last_event_at: state.lastEventAt,
    flags: JSON.stringify(flagsOf(state)),
    state: JSON.stringify(state),
  };
}

/** Primary-key order, so every transaction takes payment row locks in the same order. */
function compareKeys(a: PaymentKey, b: PaymentKey): number {
  return a.tenantId < b.tenantId
    ? -1
    : a.tenantId > b.tenantId
      ? 1
      : a.provider < b.provider
        ? -1
        : a.provider > b.provider
          ? 1
          : a.providerPaymentId < b.providerPaymentId
            ? -1
            : a.providerPaymentId > b.providerPaymentId
              ? 1
              : 0;
}

export function keyOf(key: PaymentKey): string {
  return `${key.tenantId}\u0000${key.provider}\u0000${key.providerPaymentId}`;
}
