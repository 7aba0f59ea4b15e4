import type { ColumnType, Generated } from 'kysely';

export interface RawEventActionsTable {
  id: Generated<string>;
  tenant_id: string;
  raw_event_id: string;
  /** `discard` or `replay`, by which API key and when: dead letters are handled on the record. */
  action: string;
  key_id: string | null;
  at: ColumnType<Date, Date | string, Date | string>;
}

export interface RawEventActionTables {
  raw_event_actions: RawEventActionsTable;
}
