import type { ColumnType, Generated } from 'kysely';
import type { LagColumn } from './lag-histogram.js';
import type { Json, NullableTimestamp, Timestamp } from '../../platform/db/column-types.js';

/** bigint columns come back from pg as strings and from PGlite as numbers; converted at the repository edge. */
type Counter = ColumnType<string | number, string | number | bigint, string | number | bigint>;

/**
 * One row per (tenant, granularity, bucket, dimensions, shard). Missing dimension values are stored as ''
 * because primary-key columns cannot be null. Writers spread over shards so concurrent commits do not
 * wait on each other's row locks; every reader sums over them.
 */
export type AnalyticsRollupsTable = {
  tenant_id: string;
  shard: Generated<number>;
  granularity: string;
  bucket: Timestamp;
  provider: string;
  status: string;
  failure_reason: string;
  decline_type: string;
  currency: string;
  card_country: string;
  card_brand: string;
  risk_decision: string;
  count: Counter;
  /** Events with a USD amount: the divisor of the average ticket. */
  usd_count: Counter;
  volume_usd_minor: Counter;
} & Record<LagColumn, Counter>;

/**
 * The cube cut one dimension at a time: `dimension` names it ('all' for the whole tenant), `value` holds
 * its value. `risk_decision` is kept for 'all' and 'provider' only ('' elsewhere).
 */
export type AnalyticsSlicesTable = {
  tenant_id: string;
  shard: Generated<number>;
  granularity: string;
  bucket: Timestamp;
  dimension: string;
  value: string;
  status: string;
  risk_decision: string;
  count: Counter;
  usd_count: Counter;
  volume_usd_minor: Counter;
} & Record<LagColumn, Counter>;

export interface AlertSettingsTable {
  tenant_id: string;
  settings: Json<Record<string, unknown>>;
  webhook_url: string | null;
  /** AES-256-GCM envelope of the signing secret. */
  webhook_secret: string | null;
  updated_at: Timestamp;
}

export interface AlertsTable {
  id: string;
  tenant_id: string;
  kind: string;
  /** What the alert is about within its kind (provider, provider/reason): one open alert per subject. */
  subject: string;
  provider: string | null;
  severity: string;
  status: string;
  message: string;
  details: Json<Record<string, unknown>>;
  opened_at: Timestamp;
  resolved_at: NullableTimestamp;
}

export interface AlertDeliveriesTable {
  id: string;
  tenant_id: string;
  alert_id: string;
  event: string;
  url: string;
  payload: string;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  last_status_code: number | null;
  last_error: string | null;
  log: Json<Record<string, unknown>[]>;
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
}

export interface AnalyticsTables {
  analytics_rollups: AnalyticsRollupsTable;
  analytics_slices: AnalyticsSlicesTable;
  alert_settings: AlertSettingsTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
}
