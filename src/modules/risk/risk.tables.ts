import type { ColumnType, Generated } from 'kysely';
import type {
  BigIntColumn,
  GeneratedTimestamp,
  Json,
  NullableJson,
  NullableTimestamp,
  Timestamp,
} from '../../platform/db/column-types.js';

export interface RiskAssessmentsTable {
  id: string;
  tenant_id: string;
  transaction_id: string;
  event_id: string | null;
  source: string;
  occurred_at: Timestamp;
  scored_at: Timestamp;
  score: number;
  rules_score: number;
  model_score: number | null;
  risk_level: string;
  decision: string;
  reasons: Json<unknown[]>;
  features: Json<Record<string, number>>;
  rules_version: number;
  model_version: number | null;
  amount_usd_minor: BigIntColumn;
  latency_ms: number;
  /** Migration 060: who was paid, and whether the payment was declined (an issuer decline or the caller's outcome); null on older rows. */
  merchant_id: ColumnType<string | null, string | null | undefined, string | null>;
  declined: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
}

export interface RiskLabelsTable {
  tenant_id: string;
  transaction_id: string;
  label: string;
  created_at: GeneratedTimestamp;
  /** 'api' (an analyst), 'dispute' or 'fraud_warning' (a provider said so); migration 060. */
  source: Generated<string>;
  provider: string | null;
  /** The provider's dispute or fraud-warning reason code, verbatim. */
  reason_code: string | null;
  /** The ingested event that set it. */
  event_id: string | null;
}

export interface RiskRuleSetsTable {
  id: string;
  tenant_id: string;
  version: number;
  definition: Json<Record<string, unknown>>;
  created_by: string;
  created_at: GeneratedTimestamp;
}

export interface RiskListsTable {
  id: string;
  tenant_id: string;
  type: string;
  value: string;
  match_key: string;
  action: string;
  reason: string;
  expires_at: NullableTimestamp;
  created_by: string;
  created_at: GeneratedTimestamp;
}

export interface RiskListAuditTable {
  id: string;
  tenant_id: string;
  entry_id: string;
  operation: string;
  type: string;
  value: string;
  action: string;
  reason: string | null;
  actor: string;
  at: GeneratedTimestamp;
  seq: Generated<number>;
}

export interface RiskModelsTable {
  id: string;
  tenant_id: string;
  version: number;
  model: Json<Record<string, unknown>>;
  metrics: Json<Record<string, unknown>>;
  training_size: number;
  active: boolean;
  created_at: GeneratedTimestamp;
}

export interface RiskTrainingJobsTable {
  id: string;
  tenant_id: string;
  status: string;
  range_from: NullableTimestamp;
  range_to: NullableTimestamp;
  requested_by: string;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  /** Refreshed while the job runs: a running job whose instance stopped stops refreshing it. */
  heartbeat_at: NullableTimestamp;
  result: NullableJson<Record<string, unknown>>;
  error: string | null;
}

export interface RiskTables {
  risk_assessments: RiskAssessmentsTable;
  risk_labels: RiskLabelsTable;
  risk_rule_sets: RiskRuleSetsTable;
  risk_lists: RiskListsTable;
  risk_list_audit: RiskListAuditTable;
  risk_models: RiskModelsTable;
  risk_training_jobs: RiskTrainingJobsTable;
}
