import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type BigIntColumn = ColumnType<string, string | number | bigint, string | number | bigint>;
type Json<T> = ColumnType<T, string, string>;

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
