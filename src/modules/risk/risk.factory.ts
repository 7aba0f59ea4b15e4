import type { Kysely } from 'kysely';
import type { CacheLookups, HeldKeys } from '../../platform/metrics/metrics.js';
import type { Resilience } from '../../platform/resilience/resilience.js';
import type { Logger } from 'pino';
import type { RedisConnector } from '../../platform/redis/redis-client.js';
import type { Database } from '../../database.js';
import { AssessmentRecorder } from './assessment-recorder.js';
import { ListRepository } from './lists/list.repository.js';
import { MemoryVelocityStore } from './velocity/memory-velocity.store.js';
import { RedisVelocityStore } from './velocity/redis-velocity.store.js';
import { riskPipelineHook, type RiskHookDeps } from './risk.hook.js';
import { RiskRepository } from './risk.repository.js';
import { RiskService } from './risk.service.js';
import type { CustomerKeyHasher } from './risk-subject.js';
import { RiskScorer, type HistoryGuard, type VerdictObserver } from './risk-scorer.js';
import { TenantRiskConfigCache } from './rules/tenant-risk-config.js';
import { TrainingJobRepository } from './training/training-job.repository.js';
import { TrainingJobs } from './training/training-jobs.js';
import type { VelocityStore } from './velocity/velocity-store.js';
import type { LabelRiskStore } from './velocity/label-risk-store.js';
import { MemoryLabelRiskStore } from './velocity/memory-label-risk.store.js';
import { RedisLabelRiskStore } from './velocity/redis-label-risk.store.js';
import type { PartitionedTable } from '../../platform/db/partitions.js';

export interface RiskDeps {
  db: Kysely<Database>;
  /** Velocity and label risk in Redis when set, in-process otherwise. */
  redis: RedisConnector | null;
  logger: Logger;
  customerKey: CustomerKeyHasher;
  clock: () => Date;
  /** How a dispute naming a capture finds its payment (the ingest module knows the events). */
  paymentOfCapture: RiskHookDeps['paymentOfCapture'];
  /** Told of every verdict (the score histogram and decision counter). */
  onVerdict?: VerdictObserver;
  /** Told whether each tenant configuration lookup was answered from the cache. */
  configLookups?: CacheLookups;
  /** Given the in-process velocity store's key counts (none with Redis). */
  watchVelocityKeys?: (keys: HeldKeys) => void;
  /** Breakers and fallback counts: the Redis history is read through the `redis` breaker. */
  resilience?: Resilience;
  /** How long a score waits for the Redis history before scoring without it (REDIS_COMMAND_TIMEOUT_MS). */
  redisTimeoutMs?: number;
}

/** Wires the risk module: Redis velocity and label risk when Redis is configured, in-process otherwise. */
export function createRisk(deps: RiskDeps) {
  const velocity: VelocityStore = deps.redis
    ? RedisVelocityStore.connect(deps.redis, undefined, (error) =>
        deps.logger.warn({ err: error }, 'risk velocity store: Redis connection error'),
      )
    : new MemoryVelocityStore();
  if (velocity instanceof MemoryVelocityStore) deps.watchVelocityKeys?.(velocity.heldKeys);
  const labelRisk: LabelRiskStore = deps.redis
    ? RedisLabelRiskStore.connect(deps.redis, undefined, (error) =>
        deps.logger.warn({ err: error }, 'risk label store: Redis connection error'),
      )
    : new MemoryLabelRiskStore();
  const repo = new RiskRepository(deps.db);
  const lists = new ListRepository(deps.db);
  const config = new TenantRiskConfigCache(repo, lists, deps.configLookups);
  const recorder = new AssessmentRecorder(deps.db, repo, deps.logger);
  const { resilience } = deps;
  const breaker = deps.redis && resilience ? resilience.breaker('redis', { timeoutMs: deps.redisTimeoutMs }) : null;
  const history: HistoryGuard | undefined =
    breaker && resilience
      ? { run: (action) => breaker.run(action), degraded: (use) => resilience.fallback('redis', use) }
      : undefined;
  const scorer = new RiskScorer(config, velocity, labelRisk, recorder, deps.clock, deps.onVerdict, history);
  const service = new RiskService(repo, lists, config, recorder, deps.customerKey, labelRisk);
  const training = new TrainingJobs({
    repo,
    jobs: new TrainingJobRepository(deps.db),
    flushAssessments: () => recorder.flush(),
    currentRules: (tenantId) => service.currentRules(tenantId),
    activated: (tenantId) => config.invalidate(tenantId),
    logger: deps.logger,
    clock: deps.clock,
  });
  // Assessments grow with traffic: monthly partitions (migration 080), kept (training and reviews read them).
  const partitionedTables: PartitionedTable[] = [{ table: 'risk_assessments', key: 'scored_at', retentionDays: null }];
  return {
    velocity,
    labelRisk,
    repo,
    partitionedTables,
    scorer,
    service,
    training,
    recorder,
    hook: riskPipelineHook({
      scorer,
      repo,
      logger: deps.logger,
      paymentOfCapture: deps.paymentOfCapture,
      // Dispute and fraud-warning labels count for their merchants the way API labels do.
      onLabels: (tenantId, labels) =>
        void service
          .countLabels(
            tenantId,
            labels.map((l) => l.transactionId),
          )
          .catch((error: unknown) =>
            deps.logger.warn({ err: error, tenantId }, 'provider labels not counted for merchant label risk'),
          ),
    }),
    /** Stops training, stores queued assessments, then releases the velocity store. */
    async close(): Promise<void> {
      await training.close();
      await recorder.close();
      await Promise.all([velocity.close(), labelRisk.close()]);
    },
  };
}

export type Risk = ReturnType<typeof createRisk>;
