import type { ColumnType, Generated } from 'kysely';
import type { WebhookTables } from '../../modules/webhooks/webhook-endpoint.tables.js';
import type { PaymentTables } from '../../modules/payments/payments.tables.js';
import type { RawEventActionTables } from '../../modules/ingest/raw-event-action.tables.js';
import type { AnalyticsTables } from '../../modules/analytics/analytics.tables.js';
import type { RiskTables } from '../../modules/risk/risk.tables.js';
import type { AuditTables } from '../../modules/tenancy/audit.tables.js';
import type { BigIntColumn, GeneratedTimestamp, Json, NullableBigIntColumn, NullableJson, NullableTimestamp, Timestamp } from './column-types.js';

export interface TenantsTable {
  id: string;
  name: string;
  created_at: GeneratedTimestamp;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: GeneratedTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  scopes: Json<string[]>;
  allowed_cidrs: NullableJson<string[]>;
}

export interface SettingsTable {
  key: string;
  value: string;
}

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

export interface Database extends WebhookTables, PaymentTables, RawEventActionTables, AnalyticsTables, RiskTables, AuditTables {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  settings: SettingsTable;
  raw_events: RawEventsTable;
  payment_events: PaymentEventsTable;
}
