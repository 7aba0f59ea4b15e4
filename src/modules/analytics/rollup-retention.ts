import type { Logger } from 'pino';
import { PollingLoop } from '../../platform/jobs/polling-loop.js';
import type { RollupRepository } from './rollup.repository.js';
import { floorTo } from './time-ranges.js';

const HOUR_MS = 3_600_000;

export interface RollupRetentionDeps {
  rollups: RollupRepository;
  tenantIds: () => Promise<string[]>;
  /** How long minute rollups are kept; hour and day rollups are kept for good. */
  minuteRetentionMs: number;
  clock: () => Date;
  logger: Logger;
}

/**
 * Minute rollups grow by a row per minute per dimension combination, forever; past the retention
 * they are deleted and queries resolve those windows to the hour. The horizon is hour-aligned so
 * a window's edge either has its minutes or falls on an hour the hour rollups answer exactly.
 */
export class RollupRetention {
  private readonly loop: PollingLoop;

  constructor(private readonly deps: RollupRetentionDeps) {
    this.loop = new PollingLoop(() => this.runOnce(), {
      pollMs: HOUR_MS,
      fullBatch: Number.POSITIVE_INFINITY,
      logger: deps.logger,
      name: 'rollup retention',
    });
  }

  minuteHorizon(): number {
    return floorTo(this.deps.clock().getTime() - this.deps.minuteRetentionMs, 'hour');
  }

  /** Prunes every tenant's minute rollups older than the horizon; returns the rows deleted. */
  async runOnce(): Promise<number> {
    const before = new Date(this.minuteHorizon());
    let deleted = 0;
    for (const tenantId of await this.deps.tenantIds())
      deleted += await this.deps.rollups.pruneMinutes(tenantId, before);
    if (deleted > 0) this.deps.logger.info({ deleted, before: before.toISOString() }, 'pruned minute rollups');
    return deleted;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
