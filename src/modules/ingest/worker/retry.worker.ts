import type { Logger } from 'pino';
import type { Metrics } from '../../../platform/metrics/metrics.js';
import type { IntakeService } from '../intake.service.js';
import type { RawEventRepository } from '../raw-event.repository.js';
import type { ResolveContextLookup } from './resolve-context.js';
import { PollingLoop } from '../../../platform/jobs/polling-loop.js';
import { withSpan } from '../../../platform/tracing.js';
import { retryDelayMs } from './retry-policy.js';

export interface RetryWorkerOptions {
  rawEvents: RawEventRepository;
  intake: IntakeService;
  logger: Logger;
  maxAttempts: number;
  pollMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How many due events one pass claims. */
  batchSize: number;
  /** How long a claim holds before another worker may take the event again (if this one died). */
  leaseMs: number;
  clock?: () => Date;
  random?: () => number;
  resolveContextFor?: ResolveContextLookup;
  metrics?: Metrics;
}

/**
 * Retries the normalization of `unprocessed` raw events when they come due, backing off
 * exponentially, and dead-letters them after `maxAttempts`. Several workers may run against one
 * PostgreSQL: each pass claims its events atomically (see RawEventRepository.claimDue).
 */
export class RetryWorker {
  private readonly clock: () => Date;
  private readonly loop: PollingLoop;

  constructor(private readonly options: RetryWorkerOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.loop = new PollingLoop(() => this.runOnce(), {
      pollMs: options.pollMs,
      fullBatch: options.batchSize,
      logger: options.logger,
      name: 'retry worker',
    });
  }

  /** One pass: claims the due events and retries each; returns how many it handled. */
  async runOnce(): Promise<number> {
    const { rawEvents, intake, logger, maxAttempts, baseDelayMs, maxDelayMs, batchSize, leaseMs } = this.options;
    const now = this.clock();
    const claimed = await rawEvents.claimDue(now, new Date(now.getTime() + leaseMs), batchSize);
    for (const raw of claimed) {
      try {
        // Each retry is a trace of its own: the worker has no request to hang it on.
        const { rawEvent } = await withSpan('worker.retry', { 'paylens.attempts': raw.attempts }, async () =>
          intake.reprocess(raw, {
            maxAttempts,
            resolveContext: await this.options.resolveContextFor?.(raw),
            nextAttemptAt: (attempts) =>
              new Date(this.clock().getTime() + retryDelayMs(attempts, baseDelayMs, maxDelayMs, this.options.random)),
          }),
        );
        this.options.metrics?.retryOutcomes.inc({ status: rawEvent.status });
        if (rawEvent.status === 'dead')
          logger.warn(
            { rawEventId: raw.id, attempts: rawEvent.attempts, error: rawEvent.error },
            'raw event dead-lettered',
          );
      } catch (error) {
        // The claim lease brings the event back later; one bad event must not stop the pass.
        logger.error({ err: error, rawEventId: raw.id }, 'retry attempt failed');
      }
    }
    return claimed.length;
  }

  start(): void {
    this.loop.start();
  }

  /** Stops polling and waits for the pass in progress, so no attempt is cut in half. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
