import type { PipelineHook } from '../ingest/index.js';
import { rollupDeltas } from './rollup.js';
import type { RollupRepository } from './rollup.repository.js';

/** Keeps the rollups in step with the stored events, in the statement that stores them (all or nothing with them). */
export function rollupHook(rollups: RollupRepository): PipelineHook {
  return {
    name: 'analytics-rollups',
    writes(events) {
      return rollups.writes(rollupDeltas(events));
    },
  };
}
