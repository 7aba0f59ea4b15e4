import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../database.js';
import { randomToken } from '../../platform/crypto/hashing.js';
import type { DatabaseKind } from '../../platform/db/client.js';
import type { PartitionedTable } from '../../platform/db/partitions.js';
import type { SettingsRepository } from '../../platform/db/settings.repository.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { ConnectorRegistry, FallbackNormalizer } from '../normalize/index.js';
import { createCustomerKeyHasher } from './customer-key.js';
import { DeadLetterService } from './dead-letter.service.js';
import { EventWriter } from './event-writer.js';
import { IntakeService } from './intake.service.js';
import { PaymentEventRepository } from './payment-event.repository.js';
import { PipelineHooks } from './pipeline-hooks.js';
import { RawEventRepository } from './raw-event.repository.js';
import type { ResolveContextLookup } from './worker/resolve-context.js';
import { QueueWorker } from './worker/queue.worker.js';
import { RetryWorker } from './worker/retry.worker.js';

/** One backoff schedule for the intake's first retry, the worker and operator replays. */
const RETRY_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 3_600_000 };

export interface IngestDeps {
  db: Kysely<Database>;
  databaseKind: DatabaseKind;
  /** Where reads by id and lists go (a read replica when one is configured). */
  replica: Kysely<Database>;
  registry: ConnectorRegistry;
  /** What normalizes a payload no connector claims (heuristics, then AI when configured). */
  fallback: FallbackNormalizer | null;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  /** PAYLENS_CUSTOMER_KEY_SALT; without it one salt is made per installation and kept in `settings`. */
  customerKeySalt: string | undefined;
  settings: Pick<SettingsRepository, 'getOrCreate'>;
  maxAttempts: number;
  workerPollMs: number;
  queue: { pollMs: number; leaseMs: number };
  writeBatch: { maxBatch: number; maxDelayMs: number };
  /** RAW_EVENT_RETENTION_DAYS: how long raw payloads (and so the dedupe window) are kept; null for good. */
  rawEventRetentionDays: number | null;
  /** The endpoint context a retried or replayed webhook delivery needs (the webhooks module knows it). */
  resolveContextFor: ResolveContextLookup;
}

/**
 * Wires ingest: the repositories, the pipeline hooks other modules join, the group-commit writer,
 * the intake, the retry worker and dead letters, and the customer-key hasher every module links
 * customers with. Also names the tables it owns that grow with traffic, for partition maintenance.
 */
export async function createIngest(deps: IngestDeps) {
  const { db, replica, clock, metrics } = deps;
  // The salt must be stable for customer keys to link payments; generate it once per installation when not configured.
  const salt = deps.customerKeySalt ?? (await deps.settings.getOrCreate('customer_key_salt', randomToken(32)));
  const customerKey = createCustomerKeyHasher(salt);
  const rawEvents = new RawEventRepository(db, replica);
  const paymentEvents = new PaymentEventRepository(db, replica);
  const hooks = new PipelineHooks();
  const writer = new EventWriter(
    db,
    rawEvents,
    paymentEvents,
    hooks,
    {
      ...deps.writeBatch,
      // Two transactions in flight let one commit while the next batch fills. More only contend on the
      // same rollup and payment rows (measured: 8 in flight was slower than 2, see docs/benchmarks.md).
      concurrency: deps.databaseKind === 'postgres' ? 2 : 1,
    },
    (size, ms) => {
      metrics.writeBatchSize.observe(size);
      metrics.writeBatchSeconds.observe(ms / 1000);
    },
  );
  // Made before the intake, which wakes it; it only runs where a worker is started (stays idle otherwise).
  let queueWorker: QueueWorker | undefined = undefined;
  const intake = new IntakeService({
    registry: deps.registry,
    writer,
    rawEvents,
    paymentEvents,
    metrics,
    hooks,
    customerKey,
    fallback: deps.fallback,
    retryDelayMs: RETRY_BACKOFF.baseDelayMs,
    onQueued: () => queueWorker?.wake(),
    clock,
  });
  queueWorker = new QueueWorker({
    intake,
    logger: deps.logger,
    pollMs: deps.queue.pollMs,
    // Large enough that a transaction's cost is shared by hundreds of events, small enough that a pass
    // holds its rows for well under a second.
    batchSize: 500,
    leaseMs: deps.queue.leaseMs,
    concurrency: deps.databaseKind === 'postgres' ? 2 : 1,
    resolveContextFor: deps.resolveContextFor,
  });
  const retryWorker = new RetryWorker({
    rawEvents,
    intake,
    logger: deps.logger,
    maxAttempts: deps.maxAttempts,
    metrics,
    pollMs: deps.workerPollMs,
    ...RETRY_BACKOFF,
    batchSize: 50,
    leaseMs: 300_000,
    clock,
    resolveContextFor: deps.resolveContextFor,
  });
  const deadLetters = new DeadLetterService({
    rawEvents,
    paymentEvents,
    intake,
    writer,
    maxAttempts: deps.maxAttempts,
    ...RETRY_BACKOFF,
    clock,
    resolveContextFor: deps.resolveContextFor,
  });
  // Monthly partitions (migration 080); raw payloads expire with their keys and operator actions.
  const partitionedTables: PartitionedTable[] = [
    {
      table: 'raw_events',
      key: 'received_at',
      retentionDays: deps.rawEventRetentionDays,
      companions: [
        { table: 'raw_event_keys', key: 'received_at' },
        { table: 'raw_event_actions', key: 'at' },
      ],
    },
    { table: 'payment_events', key: 'received_at', retentionDays: null },
  ];
  return {
    customerKey,
    rawEvents,
    paymentEvents,
    hooks,
    writer,
    intake,
    retryWorker,
    queueWorker,
    deadLetters,
    partitionedTables,
  };
}

export type Ingest = Awaited<ReturnType<typeof createIngest>>;
