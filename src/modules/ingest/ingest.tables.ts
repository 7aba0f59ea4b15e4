import type { ColumnType, Generated } from 'kysely';
import type {
  BigIntColumn,
  Json,
  NullableBigIntColumn,
  NullableJson,
  NullableTimestamp,
  Timestamp,
} from '../../platform/db/column-types.js';

export interface RawEventsTable {
  id: string;
  tenant_id: string;
  source: string;
  provider: string | null;
  provider_event_id: string | null;
  content_type: string;
  payload: string;
  payload_sha256: string;
  status: string;
  error: string | null;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  endpoint_id: string | null;
  received_at: Timestamp;
  processed_at: NullableTimestamp;
}

export interface PaymentEventsTable {
  id: string;
  tenant_id: string;
  raw_event_id: string;
  seq: Generated<number>;
  source: string;
  provider: string;
  provider_event_id: string | null;
  provider_payment_id: string | null;
  type: string;
  status: string;
  failure_reason: string | null;
  decline_type: string | null;
  recommended_action: string | null;
  provider_code: string | null;
  provider_message: string | null;
  amount_minor: BigIntColumn;
  currency: string;
  amount_usd_minor: NullableBigIntColumn;
  merchant: NullableJson<Record<string, unknown>>;
  customer_key: string | null;
  email_domain: string | null;
  ip: string | null;
  ip_country: string | null;
  device_id: string | null;
  card: NullableJson<Record<string, unknown>>;
  occurred_at: Timestamp;
  received_at: Timestamp;
  normalized_at: Timestamp;
  normalization_method: string;
  confidence: number;
  metadata: Json<Record<string, unknown>>;
  /** Inline risk assessment (migration 030); optional on insert. */
  risk: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

/** One row per dedupe key (migration 080): unique across the months raw_events is partitioned into. */
export interface RawEventKeysTable {
  tenant_id: string;
  provider: string;
  provider_event_id: string;
  raw_event_id: string;
  received_at: Timestamp;
}

export interface IngestTables {
  raw_events: RawEventsTable;
  raw_event_keys: RawEventKeysTable;
  payment_events: PaymentEventsTable;
}
