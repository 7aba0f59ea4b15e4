import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../database.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import type { EncryptionKeyProvider } from '../../platform/crypto/encryption-key.js';
import type { LiveFeed } from '../live/index.js';
import { AlertRepository } from './alerts/alert.repository.js';
import { AlertService, type AlertServiceDeps } from './alerts/alert.service.js';
import { AnalyticsService } from './analytics.service.js';
import { rollupHook } from './rollup.hook.js';
import { RollupRepository } from './rollup.repository.js';
import { RollupRetention } from './rollup-retention.js';

export interface AnalyticsDeps {
  db: Kysely<Database>;
  /** The read replica (DATABASE_READ_URL) the analytics queries read; the primary without one. */
  replica?: Kysely<Database>;
  /** Shared with the webhook endpoints, so one PAYLENS_ENCRYPTION_KEY protects every stored secret. */
  keys: EncryptionKeyProvider;
  logger: Logger;
  clock: () => Date;
  /** The tenants the alert checks and the rollup retention visit. */
  tenantIds: () => Promise<string[]>;
  /** Where alert changes are announced to the tenant's dashboards. */
  live: LiveFeed;
  /** Per-merchant risk activity for the merchant attack alerts (risk provides it). */
  merchantStats?: AlertServiceDeps['merchantStats'];
  /** The outbound client alert webhooks are sent through. */
  outbound: OutboundHttp;
  minuteRetentionMs: number;
}

/** Rollups (the pipeline hook that keeps them), the queries over them, and the alerts built on both. */
export function createAnalytics(deps: AnalyticsDeps) {
  const rollups = new RollupRepository(deps.db, deps.replica);
  const alertRepository = new AlertRepository(deps.db);
  const retention = new RollupRetention({
    rollups,
    tenantIds: deps.tenantIds,
    minuteRetentionMs: deps.minuteRetentionMs,
    clock: deps.clock,
    logger: deps.logger,
  });
  return {
    rollups,
    alertRepository,
    retention,
    hook: rollupHook(rollups),
    queries: new AnalyticsService(rollups, () => retention.minuteHorizon()),
    alerts: new AlertService({
      alerts: alertRepository,
      tenantIds: deps.tenantIds,
      rollups,
      secretBox: () => deps.keys.box(),
      logger: deps.logger,
      clock: deps.clock,
      minuteHorizon: () => retention.minuteHorizon(),
      http: deps.outbound,
      onChange: (tenantId, alert) => deps.live.publish(tenantId, { type: 'alert', data: alert }),
      merchantStats: deps.merchantStats,
    }),
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;
