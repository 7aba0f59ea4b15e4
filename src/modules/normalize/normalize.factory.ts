import type { Logger } from 'pino';
import type { Config } from '../../platform/config/config.js';
import { createAiNormalizer } from './ai/ai.normalizer.js';
import { ConnectorRegistry } from './connector-registry.js';
import { allConnectors } from './connectors/index.js';
import { HeuristicNormalizer } from './heuristic/heuristic.normalizer.js';
import type { FallbackNormalizer } from './normalize.service.js';

export interface NormalizeDeps {
  /** NORMALIZE_MIN_CONFIDENCE and the AI endpoint (AI_BASE_URL, AI_MODEL, …), off unless both are set. */
  config: Pick<Config, 'NORMALIZE_MIN_CONFIDENCE' | 'AI_BASE_URL' | 'AI_MODEL' | 'AI_API_KEY' | 'AI_TIMEOUT_MS'>;
  logger: Logger;
}

/**
 * Wires normalize: the registry of every connector, and the fallback for payloads no connector
 * claims (heuristics, escalating to the AI normalizer when one is configured).
 */
export function createNormalize(deps: NormalizeDeps) {
  const fallback: FallbackNormalizer = new HeuristicNormalizer(
    deps.config.NORMALIZE_MIN_CONFIDENCE,
    createAiNormalizer(deps.config, deps.logger),
  );
  return {
    registry: new ConnectorRegistry(allConnectors),
    /** The connectors' ids: the values the provider metric label may take besides `unknown`. */
    providers: allConnectors.map((c) => c.id),
    fallback,
  };
}
