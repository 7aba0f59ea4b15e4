import type { Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { redisCommandSeconds } from './redis-latency.js';

/** Every label value is taken from a closed set: a value a client or tenant chose would be a new series each time. */
export const OTHER = 'other';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function methodLabel(method: string): string {
  return HTTP_METHODS.has(method) ? method : OTHER;
}

/** Where a verdict was asked for: the ingest pipeline, the scoring API, or anything else (simulations, backtests). */
const SCORE_SOURCES = new Set(['ingest', 'api']);
const DECISIONS = new Set(['approve', 'review', 'decline']);

/** Lines about unmapped provider codes per minute at most: tenants choose those codes, so they must not flood the log either. */
const UNMAPPED_LOG_LINES_PER_MINUTE = 60;

export interface MetricsOptions {
  /** The provider label's values (the registered connectors, `unknown`); anything else counts as `other`. */
  providers: Iterable<string>;
  /** Where an unmapped provider code is named, since the metric only counts it. */
  logger?: Pick<Logger, 'warn'>;
}

/** One registry per container, so several apps in one process (tests) never collide. */
export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paylens_' });
  const providers = new Set(options.providers);
  const provider = (value: string) => (providers.has(value) ? value : OTHER);

  const eventsIngested = new Counter({
    name: 'paylens_raw_events_total',
    help: 'Raw events stored, by provider, source and outcome',
    labelNames: ['provider', 'source', 'status'] as const,
    registers: [registry],
  });
  const duplicates = new Counter({
    name: 'paylens_duplicate_events_total',
    help: 'Deliveries recognised as already stored (idempotent replays)',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  const unmappedCodes = new Counter({
    name: 'paylens_unmapped_provider_codes_total',
    help: 'Provider decline codes missing from the connector table (mapped to unknown); the codes themselves are logged',
    labelNames: ['provider', 'code'] as const,
    registers: [registry],
  });
  const invalidSignatures = new Counter({
    name: 'paylens_invalid_signatures_total',
    help: 'Webhook deliveries rejected for a bad or missing signature',
    labelNames: ['provider'] as const,
    registers: [registry],
  });

  const logged = { minute: 0, lines: 0, seen: new Set<string>() };
  const logUnmapped = (providerName: string, code: string) => {
    const pair = `${providerName}\u0000${code}`;
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== logged.minute) {
      logged.minute = minute;
      logged.lines = 0;
      // Forgetting every minute bounds the memory whatever codes arrive; a code still seen is named again.
      logged.seen.clear();
    }
    if (logged.seen.has(pair) || logged.lines >= UNMAPPED_LOG_LINES_PER_MINUTE) return;
    logged.seen.add(pair);
    logged.lines += 1;
    options.logger?.warn(
      { provider: providerName, code: code.slice(0, 100) },
      'provider code missing from the connector table; mapped to unknown',
    );
  };

  registry.registerMetric(redisCommandSeconds());
  const riskScore = new Histogram({
    name: 'paylens_risk_score',
    help: 'Risk scores given (0 to 1), by where the verdict was asked for (ingest, api, other)',
    labelNames: ['source'] as const,
    buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    registers: [registry],
  });
  const riskDecisions = new Counter({
    name: 'paylens_risk_decisions_total',
    help: 'Risk verdicts by decision (approve, review, decline) and source (ingest, api, other)',
    labelNames: ['decision', 'source'] as const,
    registers: [registry],
  });
  return {
    registry,
    risk: {
      /** One verdict: its score and decision, labelled by closed sets only (never the tenant). */
      observe(verdict: { score: number; decision: string; source: string }): void {
        const source = SCORE_SOURCES.has(verdict.source) ? verdict.source : OTHER;
        riskScore.observe({ source }, verdict.score);
        riskDecisions.inc({ decision: DECISIONS.has(verdict.decision) ? verdict.decision : OTHER, source });
      },
    },
    httpRequestDuration: new Histogram({
      name: 'paylens_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern (unmatched for none), method and status class',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsIngested: {
      inc(labels: { provider: string; source: string; status: string }): void {
        eventsIngested.inc({ ...labels, provider: provider(labels.provider) });
      },
    },
    duplicates: {
      inc(labels: { provider: string }): void {
        duplicates.inc({ provider: provider(labels.provider) });
      },
    },
    unmappedCodes: {
      /** Counted under code="other": the code is the provider's (or a tenant's) text, so it goes to the log instead. */
      inc(labels: { provider: string; code: string }): void {
        unmappedCodes.inc({ provider: provider(labels.provider), code: OTHER });
        logUnmapped(provider(labels.provider), labels.code);
      },
    },
    invalidSignatures: {
      inc(labels: { provider: string }): void {
        invalidSignatures.inc({ provider: provider(labels.provider) });
      },
    },
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
