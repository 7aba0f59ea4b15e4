import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001_foundation.js';
import * as m010 from './010_webhook_endpoints.js';
import * as m020 from './020_payments.js';
import * as m021 from './021_raw_event_actions.js';
import * as m030 from './030_risk.js';
import * as m040 from './040_analytics_rollups.js';
import * as m041 from './041_alerts.js';
import * as m050 from './050_audit_log.js';
import * as m060keys from './060_api_key_scopes.js';
import * as m060 from './060_risk_learning.js';
import * as m065 from './065_webhook_seen_deliveries.js';
import * as m070 from './070_access.js';
import * as m080 from './080_event_partitions.js';
import * as m090 from './090_transactional_id_index.js';
import * as m100 from './100_rollup_shards.js';
import * as m110 from './110_intake_queue.js';
import * as m120 from './120_webhook_respond_async.js';
import * as m130 from './130_intake_log_without_tenant_check.js';
import * as m140 from './140_raw_events_problem_index.js';

/**
 * Migrations are imported statically so they run identically from TypeScript sources, the compiled
 * build and the tests; add new ones at the end, never rename or edit a shipped one.
 */
const migrations: Record<string, Migration> = {
  '001_foundation': m001,
  '010_webhook_endpoints': m010,
  '020_payments': m020,
  '021_raw_event_actions': m021,
  '030_risk': m030,
  '040_analytics_rollups': m040,
  '041_alerts': m041,
  '050_audit_log': m050,
  '060_api_key_scopes': m060keys,
  '060_risk_learning': m060,
  '065_webhook_seen_deliveries': m065,
  '070_access': m070,
  '080_event_partitions': m080,
  '090_transactional_id_index': m090,
  '100_rollup_shards': m100,
  '110_intake_queue': m110,
  '120_webhook_respond_async': m120,
  '130_intake_log_without_tenant_check': m130,
  '140_raw_events_problem_index': m140,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
