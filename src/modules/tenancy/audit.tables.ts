import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type BigIntColumn = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface AuditLogTable {
  tenant_id: string;
  seq: BigIntColumn;
  id: string;
  at: Timestamp;
  actor: string;
  action: string;
  target: string | null;
  /** Written as JSON text, read back parsed. */
  details: ColumnType<Record<string, unknown>, string, string>;
  prev_hash: string;
  hash: string;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
