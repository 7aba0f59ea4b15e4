import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isEmbedded, type Config } from '../../platform/config/config.js';
import type { Database } from '../../platform/db/schema.js';
import type { SettingsRepository } from '../../platform/db/settings.repository.js';
import { EncryptionKeyProvider } from '../webhooks/encryption-key.js';
import { AlertRepository } from './alerts/alert.repository.js';
import { AlertService, type AlertServiceDeps } from './alerts/alert.service.js';
import { AnalyticsService } from './analytics.service.js';
import { rollupHook } from './rollup.hook.js';
import { RollupRepository } from './rollup.repository.js';

export interface AnalyticsDeps {
  config: Config;
  db: Kysely<Database>;
  settings: SettingsRepository;
  logger: Logger;
  clock: () => Date;
  onAlertChange?: AlertServiceDeps['onChange'];
}

/** Rollups (the pipeline hook that keeps them), the queries over them, and the alerts built on both. */
export function createAnalytics(deps: AnalyticsDeps) {
  const rollups = new RollupRepository(deps.db);
  // Same key resolution as the webhook endpoints, so one PAYLENS_ENCRYPTION_KEY protects every stored secret.
  const keys = new EncryptionKeyProvider({
    configuredKey: deps.config.PAYLENS_ENCRYPTION_KEY,
    embedded: isEmbedded(deps.config),
    settings: deps.settings,
    logger: deps.logger,
  });
  const alertRepository = new AlertRepository(deps.db);
  return {
    rollups,
    alertRepository,
    hook: rollupHook(rollups),
    queries: new AnalyticsService(rollups),
    alerts: new AlertService({ alerts: alertRepository, rollups, secretBox: () => keys.box(), logger: deps.logger, clock: deps.clock, onChange: deps.onAlertChange }),
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;
