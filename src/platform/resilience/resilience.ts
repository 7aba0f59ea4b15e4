import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { BREAKER_STATE_VALUE, DependencyBreaker, type BreakerOptions } from './breaker.js';

/** What the pool gauges read at scrape time (pg.Pool has these three counts). */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export type AcquireOutcome = 'ok' | 'timeout' | 'error' | 'circuit_open';

/**
 * The process's circuit breakers and connection pools, and their metrics. Created before the
 * database is opened; the metrics join the container's registry once it exists (registerMetrics).
 *
 * - paylens_circuit_breaker_state{breaker}: 0 closed, 1 half-open, 2 open
 * - paylens_circuit_breaker_rejected_total{breaker}: calls refused without trying while open
 * - paylens_circuit_breaker_failures_total{breaker}: failed calls that count toward opening
 * - paylens_db_pool_connections{pool,state}: state idle|in_use
 * - paylens_db_pool_max_connections{pool}, paylens_db_pool_waiting_clients{pool}
 * - paylens_db_pool_acquire_seconds{pool,outcome}: outcome ok|timeout|error|circuit_open
 * - paylens_dependency_fallbacks_total{dependency,use}: answers given without the dependency (degraded)
 */
export class Resilience {
  private readonly breakers = new Map<string, DependencyBreaker>();
  private readonly pools = new Map<string, { counts: PoolCounts; max: number }>();
  private readonly rejected: Counter<'breaker'>;
  private readonly failed: Counter<'breaker'>;
  private readonly fallbacks: Counter<'dependency' | 'use'>;
  private readonly metrics: (Gauge | Counter | Histogram)[];
  readonly acquireSeconds: Histogram<'pool' | 'outcome'>;

  constructor(private readonly logger: Pick<Logger, 'warn' | 'info'>) {
    const breakers = this.breakers;
    const pools = this.pools;
    const state = new Gauge({
      name: 'paylens_circuit_breaker_state',
      help: 'Circuit breaker state per dependency: 0 closed, 1 half-open (one trial call), 2 open (calls fail fast)',
      labelNames: ['breaker'] as const,
      registers: [],
      collect() {
        for (const [name, breaker] of breakers) this.set({ breaker: name }, BREAKER_STATE_VALUE[breaker.state]);
      },
    });
    this.rejected = new Counter({
      name: 'paylens_circuit_breaker_rejected_total',
      help: 'Calls refused without trying because the circuit was open',
      labelNames: ['breaker'] as const,
      registers: [],
    });
    this.failed = new Counter({
      name: 'paylens_circuit_breaker_failures_total',
      help: 'Failed calls to a dependency that count toward opening its circuit',
      labelNames: ['breaker'] as const,
      registers: [],
    });
    this.fallbacks = new Counter({
      name: 'paylens_dependency_fallbacks_total',
      help: 'Answers given without a dependency, degraded (e.g. risk scores without Redis velocity: use="velocity")',
      labelNames: ['dependency', 'use'] as const,
      registers: [],
    });
    const connections = new Gauge({
      name: 'paylens_db_pool_connections',
      help: 'PostgreSQL pool connections by state (idle, in_use)',
      labelNames: ['pool', 'state'] as const,
      registers: [],
      collect() {
        for (const [name, { counts }] of pools) {
          this.set({ pool: name, state: 'idle' }, counts.idleCount);
          this.set({ pool: name, state: 'in_use' }, counts.totalCount - counts.idleCount);
        }
      },
    });
    const max = new Gauge({
      name: 'paylens_db_pool_max_connections',
      help: 'PostgreSQL pool size (DATABASE_POOL_SIZE)',
      labelNames: ['pool'] as const,
      registers: [],
      collect() {
        for (const [name, pool] of pools) this.set({ pool: name }, pool.max);
      },
    });
    const waiting = new Gauge({
      name: 'paylens_db_pool_waiting_clients',
      help: 'Queries waiting for a PostgreSQL pool connection',
      labelNames: ['pool'] as const,
      registers: [],
      collect() {
        for (const [name, { counts }] of pools) this.set({ pool: name }, counts.waitingCount);
      },
    });
    this.acquireSeconds = new Histogram({
      name: 'paylens_db_pool_acquire_seconds',
      help: 'Time to get a PostgreSQL pool connection, by outcome (ok, timeout, error, circuit_open)',
      labelNames: ['pool', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [],
    });
    this.metrics = [state, this.rejected, this.failed, this.fallbacks, connections, max, waiting, this.acquireSeconds];
  }

  /** The breaker named `name` (one per dependency, shared by every client of it). */
  breaker(name: string, options?: BreakerOptions): DependencyBreaker {
    const existing = this.breakers.get(name);
    if (existing) return existing;
    const breaker = new DependencyBreaker(name, this.logger, options, {
      rejected: () => this.rejected.inc({ breaker: name }),
      failed: () => this.failed.inc({ breaker: name }),
    });
    this.breakers.set(name, breaker);
    return breaker;
  }

  /** Counts one answer given without `dependency` (what it was used for: a closed set chosen by the caller). */
  fallback(dependency: string, use: string): void {
    this.fallbacks.inc({ dependency, use });
  }

  /** Reports a pool's counts at every scrape. */
  trackPool(name: string, counts: PoolCounts, max: number): void {
    this.pools.set(name, { counts, max });
  }

  registerMetrics(registry: Registry): void {
    for (const metric of this.metrics) registry.registerMetric(metric);
  }

  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }
}
