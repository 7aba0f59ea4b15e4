import type { Logger } from 'pino';
import { PollingLoop } from '../../../platform/jobs/polling-loop.js';
import { withSpan } from '../../../platform/tracing.js';
import type { IntakeService } from '../intake.service.js';
import type { ResolveContextLookup } from './resolve-context.js';

export interface QueueWorkerOptions {
  intake: Pick<IntakeService, 'drainQueue'>;
  logger: Logger;
  /** Pause between passes that found less than a full batch (events accepted by another process). */
  pollMs: number;
  /** Queued events one pass settles in one transaction. */
  batchSize: number;
  /** How long a claim holds before another worker may take the events again (if this one died). */
  leaseMs: number;
  /**
   * Passes in flight in this process: while one normalizes and scores in JavaScript, another's
   * statements run in the database.
   */
  concurrency: number;
  resolveContextFor?: ResolveContextLookup;
}

/**
 * Normalizes and scores the raw events accepted with `Prefer: respond-async`, oldest first, a batch
 * per transaction, until the queue is empty. Any number of workers may drain one PostgreSQL: each
 * pass claims its events with SKIP LOCKED (RawEventRepository.claimQueued).
 */
export class QueueWorker {
  private readonly loops: PollingLoop[];

  constructor(private readonly options: QueueWorkerOptions) {
    this.loops = Array.from(
      { length: options.concurrency },
      () =>
        new PollingLoop(() => this.runOnce(), {
          pollMs: options.pollMs,
          fullBatch: options.batchSize,
          logger: options.logger,
          name: 'queue worker',
        }),
    );
  }

  /** One pass: returns how many queued events it settled. */
  runOnce(): Promise<number> {
    // A trace of its own per pass: the requests that queued the events have long been answered.
    return withSpan('worker.queue', {}, () =>
      this.options.intake.drainQueue(this.options.batchSize, this.options.leaseMs, this.options.resolveContextFor),
    );
  }

  start(): void {
    for (const loop of this.loops) loop.start();
  }

  /** Runs a pass now rather than at the next poll (this process just queued events). */
  wake(): void {
    for (const loop of this.loops) loop.wake();
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }
}
