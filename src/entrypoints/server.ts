import { ConfigError, isEmbedded, loadConfig } from '../platform/config/config.js';
import { startMetricsServer, type MetricsServer } from '../platform/metrics/metrics-server.js';
// Nothing imported statically may load pg, ioredis or Fastify: startTelemetry must patch them first.
import type { Telemetry } from '../platform/telemetry/telemetry.js';

/**
 * The OpenTelemetry SDK and @sentry/node are loaded only when something is to be exported: idle,
 * they cost ~50 MB RSS and start-up time in a server that would make no span and report no error.
 */
async function telemetryFor(config: ReturnType<typeof loadConfig>): Promise<Telemetry> {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT && !config.SENTRY_DSN) {
    return { flush: async () => undefined, shutdown: async () => undefined };
  }
  const { startTelemetry } = await import('../platform/telemetry/telemetry.js');
  return startTelemetry({
    serviceName: 'paylens-api',
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    sentryDsn: config.SENTRY_DSN,
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = await telemetryFor(config);
  // Imported only now: the instrumentations patch pg, ioredis and Fastify as they load.
  const { buildApp } = await import('../app.js');
  const { createContainer } = await import('../container.js');
  const { bootstrapFirstTenant } = await import('../modules/tenancy/index.js');
  const { waitForPostgres } = await import('../platform/db/client.js');
  const { listenWhileStarting } = await import('../platform/http/health-starting.js');
  const { createLogger } = await import('../platform/logging/logger.js');
  const logger = createLogger(config.LOG_LEVEL);
  // Started before its database: the port answers health (live 200, ready 503) while the connect is retried with backoff.
  const starting =
    config.DATABASE_URL && config.PORT !== 0 ? await listenWhileStarting(config.HOST, config.PORT) : null;
  if (config.DATABASE_URL) await waitForPostgres(config.DATABASE_URL, logger, { onFailure: starting?.databaseDown });
  const container = await createContainer(config, { logger });

  const boot = await bootstrapFirstTenant(container.tenants, container.apiKeys, config.PAYLENS_BOOTSTRAP_API_KEY);
  if (boot?.generatedKey) {
    // Shown once on the terminal on purpose, not through the logger: keys never enter logs.
    process.stdout.write(
      `\n  Paylens created tenant "demo". Its API key (shown only now):\n\n    ${boot.generatedKey}\n\n` +
        `  Try: curl -H "Authorization: Bearer ${boot.generatedKey}" http://${config.HOST}:${config.PORT}/v1/events\n\n`,
    );
  }

  const app = await buildApp(container);
  let metricsServer: MetricsServer | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await app.close();
      await metricsServer?.close();
      await container.close();
      await telemetry.shutdown();
      logger.info('shutdown complete');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await starting?.close();
  await app.listen({ host: config.HOST, port: config.PORT });
  // Without METRICS_TOKEN, /metrics is not on the API port: it gets a listener of its own, loopback by default.
  if (!config.METRICS_TOKEN) {
    try {
      metricsServer = await startMetricsServer(container.metrics.registry, config.METRICS_HOST, config.METRICS_PORT);
      logger.info({ host: metricsServer.address.address, port: metricsServer.address.port }, 'metrics listening');
    } catch (error) {
      // Observability must not take the API down with it (another process on the port): say so loudly and serve on.
      logger.error(
        { err: error, host: config.METRICS_HOST, port: config.METRICS_PORT },
        'metrics listener could not start; /metrics is unavailable',
      );
    }
  }
  logger.info({ store: container.database.kind, location: container.database.location }, 'paylens ready');
  // Embedded mode is one process, so the workers live here; with PostgreSQL run `paylens worker` (container.close() stops them).
  if (config.RUN_WORKER_IN_SERVER ?? isEmbedded(config)) {
    container.retryWorker.start();
    container.queueWorker.start();
  }
  // Alert detectors run in every server; the open-alert index keeps concurrent instances from opening duplicates.
  if (config.ALERT_CHECK_INTERVAL_MS > 0) container.analytics.alerts.start(config.ALERT_CHECK_INTERVAL_MS);
  // Pruning is idempotent, so every instance may run it; an hourly pass keeps minute rollups bounded.
  container.analytics.retention.start();
  // Creating months ahead and dropping expired ones is serialized by an advisory lock, so every instance may run it.
  container.partitions.start();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
