import type { ColumnType } from 'kysely';
import type { BigIntColumn, Json, Timestamp } from '../../platform/db/column-types.js';

export interface PaymentsTable {
  tenant_id: string;
  provider: string;
  provider_payment_id: string;
  status: string;
  amount_minor: BigIntColumn;
  currency: string;
  captured_minor: BigIntColumn;
  refunded_minor: BigIntColumn;
  first_event_at: Timestamp;
  last_event_at: Timestamp;
  flags: Json<string[]>;
  state: Json<Record<string, unknown>>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PaymentTables {
  payments: PaymentsTable;
}
