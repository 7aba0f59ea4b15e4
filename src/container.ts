import type { Logger } from 'pino';
import { randomToken } from './platform/crypto/hashing.js';
import type { Config } from './platform/config/config.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from './platform/db/client.js';
import { SettingsRepository } from './platform/db/settings.repository.js';
import { createLogger } from './platform/logging/logger.js';
import { createMetrics, type Metrics } from './platform/metrics/metrics.js';
import { createCustomerKeyHasher } from './modules/ingest/customer-key.js';
import { EventWriter } from './modules/ingest/event-writer.js';
import { IntakeService } from './modules/ingest/intake.service.js';
import { PipelineHooks } from './modules/ingest/pipeline-hooks.js';
import { PaymentEventRepository } from './modules/ingest/payment-event.repository.js';
import { RawEventRepository } from './modules/ingest/raw-event.repository.js';
import { ConnectorRegistry } from './modules/normalize/connector-registry.js';
import { allConnectors } from './modules/normalize/connectors/index.js';
import { ApiKeyRepository } from './modules/tenancy/api-key.repository.js';
import { ApiKeyService } from './modules/tenancy/api-key.service.js';
import { TenantRepository } from './modules/tenancy/tenant.repository.js';

export interface ContainerOptions {
  logger?: Logger;
  /** Skip running migrations (the CLI's `migrate` runs them itself). */
  migrate?: boolean;
  clock?: () => Date;
}

/** Builds every service once from config; shared by the server, the worker and the CLI. */
export async function createContainer(config: Config, options: ContainerOptions = {}) {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? (() => new Date());
  const database: DatabaseHandle = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.PAYLENS_DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const { db } = database;
  if (options.migrate !== false) {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  }

  const metrics: Metrics = createMetrics();
  const settings = new SettingsRepository(db);
  // The salt must be stable for customer keys to link payments; generate it once per installation when not configured.
  const salt = config.PAYLENS_CUSTOMER_KEY_SALT ?? (await settings.getOrCreate('customer_key_salt', randomToken(32)));
  const customerKey = createCustomerKeyHasher(salt);

  const tenants = new TenantRepository(db);
  const apiKeys = new ApiKeyService(new ApiKeyRepository(db), config.API_KEY_CACHE_TTL_MS, clock);
  const rawEvents = new RawEventRepository(db);
  const paymentEvents = new PaymentEventRepository(db);
  const registry = new ConnectorRegistry(allConnectors);
  const hooks = new PipelineHooks();
  const writer = new EventWriter(
    db,
    rawEvents,
    paymentEvents,
    hooks,
    {
      maxBatch: config.WRITE_BATCH_MAX,
      maxDelayMs: config.WRITE_BATCH_DELAY_MS,
      concurrency: database.kind === 'postgres' ? Math.max(1, Math.min(8, config.DATABASE_POOL_SIZE - 2)) : 1,
    },
    (size, ms) => {
      metrics.writeBatchSize.observe(size);
      metrics.writeBatchSeconds.observe(ms / 1000);
    },
  );
  const intake = new IntakeService({
    registry,
    writer,
    rawEvents,
    paymentEvents,
    metrics,
    hooks,
    customerKey,
    fallback: null,
    retryDelayMs: 1000,
    clock,
  });

  let closed = false;
  return {
    config,
    logger,
    clock,
    database,
    db,
    metrics,
    settings,
    tenants,
    apiKeys,
    rawEvents,
    paymentEvents,
    registry,
    hooks,
    writer,
    intake,
    customerKey,
    /** Flushes pending writes, then closes the database; safe to call twice. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await writer.close();
      await database.close();
    },
  };
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
