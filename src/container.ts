import type { Logger } from 'pino';
import { isEmbedded, type Config } from './platform/config/config.js';
import type { Database } from './database.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from './platform/db/client.js';
import { PartitionMaintenance } from './platform/db/partitions.js';
import { SettingsRepository } from './platform/db/settings.repository.js';
import { createLogger } from './platform/logging/logger.js';
import { RequestLimits } from './platform/http/rate-limit.js';
import { createMetrics, type Metrics } from './platform/metrics/metrics.js';
import { createIngest } from './modules/ingest/index.js';
import { createNormalize } from './modules/normalize/index.js';
import { createPayments } from './modules/payments/index.js';
import { createLive } from './modules/live/index.js';
import { createRisk } from './modules/risk/index.js';
import { createAnalytics } from './modules/analytics/index.js';
import { createAccess } from './modules/access/index.js';
import { createTenancy } from './modules/tenancy/index.js';
import { createWebhooks } from './modules/webhooks/index.js';
import { EncryptionKeyProvider } from './platform/crypto/encryption-key.js';
import { OutboundClient } from './platform/net/outbound-client.js';
import { Resilience } from './platform/resilience/resilience.js';
import { logRedisOutages } from './platform/resilience/redis-outages.js';
import { redisConnector } from './platform/redis/redis-client.js';
import { redisTopology } from './platform/redis/redis-topology.js';

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
  // Circuit breakers and pool metrics; the metrics join the registry once it exists.
  const resilience = new Resilience(logger);
  const open = (databaseUrl: string | undefined, poolName?: string) =>
    openDatabase<Database>({
      databaseUrl,
      dataDir: config.PAYLENS_DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      acquireTimeoutMs: config.DATABASE_POOL_ACQUIRE_TIMEOUT_MS,
      idleTimeoutMs: config.DATABASE_POOL_IDLE_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      resilience,
      ...(poolName ? { poolName } : {}),
    });
  const database: DatabaseHandle<Database> = await open(config.DATABASE_URL);
  const { db } = database;
  // Lists, analytics and reads by id use the streaming replica when there is one (platform/db/read-routing.ts).
  const replica: DatabaseHandle<Database> | null = config.DATABASE_READ_URL
    ? await open(config.DATABASE_READ_URL, 'replica')
    : null;
  const reader = replica?.db ?? db;
  if (options.migrate !== false) {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  }

  const normalize = createNormalize({ config, logger });
  const { registry } = normalize;
  // The provider label takes the connectors' ids and unknown (no connector claimed the payload); anything else is other.
  const metrics: Metrics = createMetrics({ providers: [...normalize.providers, 'unknown'], logger });
  // Shared by the request limits (and any module that needs plain commands); pub/sub needs its own connections.
  resilience.registerMetrics(metrics.registry);
  const topology = redisTopology(config);
  // Request-path commands fail after the timeout instead of waiting for a reconnect: callers fall back in time.
  const redisTimeouts = {
    maxRetriesPerRequest: 1,
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
  };
  // One topology (a server, Sentinel or Cluster) and one set of options for every Redis user.
  const connectRedis = topology ? redisConnector(topology, redisTimeouts) : null;
  const redis = connectRedis ? connectRedis('limits') : null;
  if (redis) logRedisOutages(redis, 'limits', logger);
  const settings = new SettingsRepository(db);

  const tenancy = createTenancy({
    db,
    apiKeyCacheTtlMs: config.API_KEY_CACHE_TTL_MS,
    clock,
    apiKeyLookups: metrics.cache('api_key'),
  });
  const { tenants, apiKeys, audit } = tenancy;
  const limits = new RequestLimits(
    {
      enabled: config.RATE_LIMIT_ENABLED,
      perKey: config.RATE_LIMIT_PER_MINUTE,
      perAddress: config.RATE_LIMIT_IP_PER_MINUTE,
      authFailures: config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      onRedisDown: config.RATE_LIMIT_ON_REDIS_DOWN,
    },
    redis,
  );
  const ingest = await createIngest({
    db,
    databaseKind: database.kind,
    replica: reader,
    registry,
    fallback: normalize.fallback,
    metrics,
    logger,
    clock,
    customerKeySalt: config.PAYLENS_CUSTOMER_KEY_SALT,
    settings,
    maxAttempts: config.MAX_ATTEMPTS,
    workerPollMs: config.WORKER_POLL_MS,
    queue: { pollMs: config.INTAKE_QUEUE_POLL_MS, leaseMs: config.INTAKE_QUEUE_LEASE_MS },
    writeBatch: { maxBatch: config.WRITE_BATCH_MAX, maxDelayMs: config.WRITE_BATCH_DELAY_MS },
    rawEventRetentionDays: config.RAW_EVENT_RETENTION_DAYS ?? null,
    // The webhooks module is made from the intake; the retry paths ask it only once events flow.
    resolveContextFor: (raw) => webhooks.resolveContextFor(raw),
  });
  const { rawEvents, paymentEvents, hooks, writer, intake, retryWorker, queueWorker, deadLetters, customerKey } =
    ingest;
  metrics.intakeQueue(() => rawEvents.queueBacklog());
  const { hub: live, hook: liveHook } = createLive({
    redis: connectRedis,
    logger,
    registry: metrics.registry,
    // A feed opened with a session stays while the session lives; one opened with a key while the key works.
    keys: {
      activeIds: async (ids) => {
        const [keysActive, sessionsLive] = await Promise.all([
          apiKeys.activeIds(ids),
          access.service.liveSessionIds(ids),
        ]);
        return new Set([...keysActive, ...sessionsLive]);
      },
      onKeyEnded: (listener) => apiKeys.onKeyEnded(listener),
      forget: (keyId) => apiKeys.forget(keyId),
    },
  });
  hooks.register(liveHook);
  const { payments, hook: paymentsHook } = createPayments({ db, replica: reader });
  hooks.register(paymentsHook);
  const risk = createRisk({
    db,
    redis: connectRedis,
    logger,
    customerKey,
    clock,
    paymentOfCapture: (trx, tenantId, provider, captureId) =>
      paymentEvents.paymentOfCapture(trx, tenantId, provider, captureId),
    onVerdict: (verdict) => metrics.risk.observe(verdict),
    configLookups: metrics.cache('risk_config'),
    watchVelocityKeys: (keys) => metrics.velocityKeys(keys),
    resilience,
    redisTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  hooks.register(risk.hook);
  // One key provider: every stored secret (webhook endpoints, alert webhooks) uses the same key.
  const keys = new EncryptionKeyProvider({
    configuredKey: config.PAYLENS_ENCRYPTION_KEY,
    embedded: isEmbedded(config),
    settings,
    logger,
  });
  // Every call made on a tenant's behalf (alert webhooks, Mercado Pago, PayPal) goes through this one client.
  const outbound = new OutboundClient({
    allowHttp: config.OUTBOUND_ALLOW_HTTP,
    allowPrivate: config.OUTBOUND_ALLOW_PRIVATE,
  });
  const access = createAccess({
    db,
    audit,
    tenants,
    secretBox: () => keys.box(),
    http: outbound,
    // Ended sessions close their live feeds on every instance, as revoked keys do.
    onSessionsEnded: (tenantId, sessionIds) => {
      for (const id of sessionIds) live.endKey(tenantId, id);
    },
    clock,
    settings: {
      publicUrl: config.PAYLENS_PUBLIC_URL ?? null,
      idleTimeoutMs: config.SESSION_IDLE_MINUTES * 60_000,
      absoluteTimeoutMs: config.SESSION_MAX_HOURS * 3_600_000,
      invitationTtlMs: config.INVITATION_TTL_HOURS * 3_600_000,
    },
  });
  const analytics = createAnalytics({
    db,
    replica: reader,
    keys,
    logger,
    clock,
    outbound,
    tenantIds: () => tenants.ids(),
    minuteRetentionMs: config.ROLLUP_MINUTE_RETENTION_DAYS * 86_400_000,
    live,
    merchantStats: async (tenantId, from, recentFrom, to) => {
      // Scores are recorded behind their answers: the detectors judge everything scored until now.
      await risk.recorder.flush();
      return risk.repo.merchantActivity(tenantId, from, recentFrom, to);
    },
  });
  hooks.register(analytics.hook);
  const webhooks = createWebhooks({ db, keys, registry, intake, rawEvents, metrics, clock, http: outbound });

  // The tables that grow with traffic are monthly partitions (migration 080): months created ahead, raw payloads expired.
  const partitions = new PartitionMaintenance({
    db,
    tables: [...ingest.partitionedTables, ...risk.partitionedTables],
    monthsAhead: 2,
    clock,
    logger,
  });

  let closed = false;
  return {
    config,
    logger,
    clock,
    database,
    db,
    /** The read replica's handle (DATABASE_READ_URL), null without one. */
    replica,
    metrics,
    resilience,
    redis,
    settings,
    tenants,
    apiKeys,
    limits,
    audit,
    access,
    rawEvents,
    paymentEvents,
    registry,
    hooks,
    writer,
    intake,
    payments,
    retryWorker,
    queueWorker,
    deadLetters,
    webhooks,
    outbound,
    live,
    risk,
    analytics,
    customerKey,
    partitions,
    /**
     * The one shutdown path for every entrypoint: stops whatever background job was started (retry
     * worker, alert checks, rollup retention), flushes pending writes, then closes every connection.
     * Safe to call twice.
     */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await retryWorker.stop();
      await queueWorker.stop();
      await analytics.alerts.stop();
      await analytics.retention.stop();
      await partitions.stop();
      await writer.close();
      await risk.close();
      await live.close();
      redis?.disconnect();
      await outbound.close();
      await database.close();
      await replica?.close();
      resilience.shutdown();
    },
  };
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
