import type { QueryExecutorProvider } from 'kysely';
import type { Config } from '../config/config.js';
import { pingDatabase } from '../db/client.js';
import { HEARTBEAT_STALE_MS, latestWorkerHeartbeat } from '../jobs/worker-heartbeat.js';

/** One dependency readiness looks at. A required one down makes the instance unready (503); an optional one, degraded (200). */
export interface DependencyCheck {
  name: string;
  required: boolean;
  /** Resolves when the dependency answers; rejects (with the reason) when not. */
  check(): Promise<void>;
}

export interface CheckResult {
  status: 'ok' | 'down';
  required: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  status: 'ok' | 'degraded' | 'down';
  checks: Record<string, CheckResult>;
}

/** Longest any one check may take: a load balancer's probe must get its answer well inside its own timeout. */
const CHECK_TIMEOUT_MS = 2000;

function withTimeout(check: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    check(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function run(check: DependencyCheck): Promise<CheckResult> {
  const started = performance.now();
  const latency = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    await withTimeout(() => check.check(), CHECK_TIMEOUT_MS);
    return { status: 'ok', required: check.required, latencyMs: latency() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'down', required: check.required, latencyMs: latency(), error: message.slice(0, 200) };
  }
}

/** Runs every check at once; the slowest bounds the answer. */
export async function checkReadiness(checks: readonly DependencyCheck[]): Promise<Readiness> {
  const results = await Promise.all(checks.map(run));
  const byName = Object.fromEntries(checks.map((c, i) => [c.name, results[i]!]));
  const status = results.some((r) => r.status === 'down' && r.required)
    ? 'down'
    : results.some((r) => r.status === 'down')
      ? 'degraded'
      : 'ok';
  return { status, checks: byName };
}

/** What the standard checks read; each is present only when configured. */
export interface DependencyCheckSources {
  /** The primary database: always required. */
  primary: QueryExecutorProvider;
  /** The read replica (DATABASE_READ_URL): optional, reads fall back or fail on their own. */
  replica?: QueryExecutorProvider | null;
  /** Redis (REDIS_URL): required only when the request limits fail closed without it. */
  redis?: { ping(): Promise<unknown> } | null;
  redisRequired?: boolean;
  /** Whether a separate `paylens worker` should be beating (PostgreSQL without RUN_WORKER_IN_SERVER). */
  workerExpected?: boolean;
}

export function dependencyChecks(sources: DependencyCheckSources): DependencyCheck[] {
  const checks: DependencyCheck[] = [
    { name: 'database', required: true, check: () => pingDatabase(sources.primary, CHECK_TIMEOUT_MS) },
  ];
  const { replica, redis } = sources;
  if (replica)
    checks.push({ name: 'database_replica', required: false, check: () => pingDatabase(replica, CHECK_TIMEOUT_MS) });
  if (redis)
    checks.push({
      name: 'redis',
      required: sources.redisRequired ?? false,
      check: async () => {
        await redis.ping();
      },
    });
  if (sources.workerExpected)
    checks.push({
      name: 'worker',
      required: false,
      check: async () => {
        const at = await latestWorkerHeartbeat(sources.primary);
        if (at === null) throw new Error('no worker has reported a heartbeat');
        const age = Date.now() - at;
        if (age > HEARTBEAT_STALE_MS) throw new Error(`last worker heartbeat ${Math.round(age / 1000)} s ago`);
      },
    });
  return checks;
}

/**
 * The checks this configuration calls for: the database always; Redis when REDIS_URL is set (required
 * only when RATE_LIMIT_ON_REDIS_DOWN=closed, since then every limited request fails without it); the
 * worker's heartbeat with PostgreSQL when the server does not run the worker itself.
 */
export function configuredChecks(
  config: Pick<Config, 'DATABASE_URL' | 'RUN_WORKER_IN_SERVER' | 'RATE_LIMIT_ENABLED' | 'RATE_LIMIT_ON_REDIS_DOWN'>,
  sources: Pick<DependencyCheckSources, 'primary' | 'replica' | 'redis'>,
): DependencyCheck[] {
  return dependencyChecks({
    ...sources,
    redisRequired: config.RATE_LIMIT_ENABLED && config.RATE_LIMIT_ON_REDIS_DOWN === 'closed',
    workerExpected: config.DATABASE_URL !== undefined && config.RUN_WORKER_IN_SERVER !== true,
  });
}
