import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per container, so several apps in one process (tests) never collide. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paylens_' });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'paylens_http_request_duration_seconds',
      help: 'HTTP request duration by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: 'paylens_raw_events_total',
      help: 'Raw events stored, by provider, source and outcome',
      labelNames: ['provider', 'source', 'status'] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'paylens_duplicate_events_total',
      help: 'Deliveries recognised as already stored (idempotent replays)',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    unmappedCodes: new Counter({
      name: 'paylens_unmapped_provider_codes_total',
      help: 'Provider decline codes missing from the connector table (mapped to unknown)',
      labelNames: ['provider', 'code'] as const,
      registers: [registry],
    }),
    invalidSignatures: new Counter({
      name: 'paylens_invalid_signatures_total',
      help: 'Webhook deliveries rejected for a bad or missing signature',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    retryOutcomes: new Counter({
      name: 'paylens_retry_attempts_total',
      help: 'Retry-worker attempts by resulting raw-event status (normalized, ignored, unprocessed, dead)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    writeBatchSize: new Histogram({
      name: 'paylens_write_batch_size',
      help: 'Events per group-commit transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    writeBatchSeconds: new Histogram({
      name: 'paylens_write_batch_duration_seconds',
      help: 'Duration of one group-commit transaction',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
