import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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

/** The in-process caches on the request path: verified API keys, webhook endpoints, tenants' risk rules and lists. */
export type CacheName = 'api_key' | 'webhook_endpoint' | 'risk_config';

/** What a cache reports of each lookup (a port: the cache's module needs no registry). */
export interface CacheLookups {
  hit(): void;
  miss(): void;
}

/** For a cache built without metrics (tests, tools). */
export const UNCOUNTED_LOOKUPS: CacheLookups = { hit: () => undefined, miss: () => undefined };

/** An in-process velocity history: how many keys it holds now, and how many it holds before evicting the least recent. */
export interface HeldKeys {
  size(): number;
  max: number;
}

/** The intake queue's backlog as the database holds it (a port: metrics knows no module). */
export interface QueueBacklog {
  depth: number;
  oldestReceivedAt: Date | null;
}

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

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });

  const eventsIngested = counter('paylens_raw_events_total', 'Raw events stored, by provider, source and outcome', [
    'provider',
    'source',
    'status',
  ]);
  const duplicates = counter(
    'paylens_duplicate_events_total',
    'Deliveries recognised as already stored (idempotent replays)',
    ['provider'],
  );
  const unmappedCodes = counter(
    'paylens_unmapped_provider_codes_total',
    'Provider decline codes missing from the connector table (mapped to unknown); the codes themselves are logged',
    ['provider', 'code'],
  );
  const invalidSignatures = counter(
    'paylens_invalid_signatures_total',
    'Webhook deliveries rejected for a bad or missing signature',
    ['provider'],
  );

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
  const riskDecisions = counter(
    'paylens_risk_decisions_total',
    'Risk verdicts by decision (approve, review, decline) and source (ingest, api, other)',
    ['decision', 'source'],
  );
  const cacheRequests = counter(
    'paylens_cache_requests_total',
    'In-process cache lookups by cache (api_key, webhook_endpoint, risk_config) and result (hit, miss)',
    ['cache', 'result'],
  );
  // Only the in-process store counts its keys here: a Redis store's keys are Redis's to report (redis_exporter).
  let memoryVelocity: HeldKeys | null = null;
  const velocityGauge = (name: string, help: string, value: (keys: HeldKeys) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['store'] as const,
      registers: [registry],
      collect() {
        if (memoryVelocity) this.set({ store: 'memory' }, value(memoryVelocity));
      },
    });
  velocityGauge(
    'paylens_velocity_active_keys',
    'Velocity-history keys (a customer, card, device, IP or merchant of a tenant) held in process memory',
    (keys) => keys.size(),
  );
  velocityGauge(
    'paylens_velocity_max_keys',
    'Velocity-history keys held in process memory before the least recently seen are evicted',
    (keys) => keys.max,
  );
  let readBacklog: (() => Promise<QueueBacklog>) | null = null;
  // A scrape collects its gauges together: one read of the backlog serves both.
  let reading: Promise<QueueBacklog> | null = null;
  const backlog = (): Promise<QueueBacklog> | null => {
    if (!readBacklog) return null;
    reading ??= readBacklog().finally(() => {
      reading = null;
    });
    return reading;
  };
  const backlogGauge = (name: string, help: string, value: (b: QueueBacklog) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const pending = backlog();
        if (!pending) return;
        try {
          this.set(value(await pending));
        } catch {
          // The database is down: no sample rather than a stale one (its own alerts say why).
          this.reset();
        }
      },
    });
  backlogGauge(
    'paylens_intake_queue_depth',
    'Raw events accepted with Prefer: respond-async, stored and not yet normalized (all tenants)',
    (b) => b.depth,
  );
  backlogGauge(
    'paylens_intake_queue_age_seconds',
    'How long the oldest queued raw event has waited for the queue worker (0 when none waits)',
    (b) => (b.oldestReceivedAt ? Math.max(0, (Date.now() - b.oldestReceivedAt.getTime()) / 1000) : 0),
  );
  return {
    registry,
    /** Reads the intake queue's backlog at each scrape. */
    intakeQueue(read: () => Promise<QueueBacklog>): void {
      readBacklog = read;
    },
    risk: {
      /** One verdict: its score and decision, labelled by closed sets only (never the tenant). */
      observe(verdict: { score: number; decision: string; source: string }): void {
        const source = SCORE_SOURCES.has(verdict.source) ? verdict.source : OTHER;
        riskScore.observe({ source }, verdict.score);
        riskDecisions.inc({ decision: DECISIONS.has(verdict.decision) ? verdict.decision : OTHER, source });
      },
    },
    /** The lookup counters of one cache, bound once (a lookup on the request path costs one increment). */
    cache(name: CacheName): CacheLookups {
      const hit = cacheRequests.labels({ cache: name, result: 'hit' });
      const miss = cacheRequests.labels({ cache: name, result: 'miss' });
      return { hit: () => hit.inc(), miss: () => miss.inc() };
    },
    /** Reports the in-process velocity store's keys at each scrape. */
    velocityKeys(keys: HeldKeys): void {
      memoryVelocity = keys;
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
    retryOutcomes: counter(
      'paylens_retry_attempts_total',
      'Retry-worker attempts by resulting raw-event status (normalized, ignored, unprocessed, dead)',
      ['status'],
    ),
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
