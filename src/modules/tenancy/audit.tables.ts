import type { BigIntColumn, Json, Timestamp } from '../../platform/db/column-types.js';

export interface AuditLogTable {
  tenant_id: string;
  seq: BigIntColumn;
  id: string;
  at: Timestamp;
  actor: string;
  action: string;
  target: string | null;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
