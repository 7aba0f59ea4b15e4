import type { AccessTables } from './modules/access/access.tables.js';
import type { AnalyticsTables } from './modules/analytics/analytics.tables.js';
import type { IngestTables } from './modules/ingest/ingest.tables.js';
import type { RawEventActionTables } from './modules/ingest/raw-event-action.tables.js';
import type { PaymentTables } from './modules/payments/payments.tables.js';
import type { RiskTables } from './modules/risk/risk.tables.js';
import type { AuditTables } from './modules/tenancy/audit.tables.js';
import type { TenancyTables } from './modules/tenancy/tenancy.tables.js';
import type { WebhookTables } from './modules/webhooks/webhook-endpoint.tables.js';
import type { PlatformTables } from './platform/db/schema.js';

/**
 * The whole database as Kysely sees it, composed from the tables each module owns (its
 * `*.tables.ts`). The one place allowed to read those files directly: see docs/architecture.md.
 */
export interface Database
  extends
    PlatformTables,
    TenancyTables,
    AuditTables,
    AccessTables,
    IngestTables,
    RawEventActionTables,
    PaymentTables,
    RiskTables,
    AnalyticsTables,
    WebhookTables {}
