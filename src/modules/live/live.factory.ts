import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { RedisConnector } from '../../platform/redis/redis-client.js';
import type { PipelineHook } from '../ingest/index.js';
import type { ApiKeyService } from '../tenancy/index.js';
import { LocalLiveBus, RedisLiveBus } from './live-bus.js';
import { LiveHub, type KeyCheck } from './live-hub.js';
import type { LiveMessage } from './live-message.js';

/** Bytes a slow client may have queued before its messages are dropped. */
export const LIVE_MAX_BUFFERED_BYTES = 1024 * 1024;
/** How often open sessions' keys are checked: a key that expired (a rotation's grace ran out) ends its sessions within this. */
const LIVE_KEY_CHECK_MS = 2000;

/**
 * In-process fan-out by default; Redis pub/sub when several instances share Redis. Metrics:
 * paylens_live_connections, paylens_live_messages_total{outcome=delivered|dropped}.
 */
function createLiveHub(
  redis: RedisConnector | null,
  logger: Logger,
  registry?: Registry,
  keyCheck?: KeyCheck,
): LiveHub {
  const messages = registry
    ? new Counter({
        name: 'paylens_live_messages_total',
        help: 'Live-feed messages per client, delivered or dropped for a slow client',
        labelNames: ['outcome'] as const,
        registers: [registry],
      })
    : null;
  const hub = new LiveHub(redis ? new RedisLiveBus(redis, logger) : new LocalLiveBus(), {
    maxBufferedBytes: LIVE_MAX_BUFFERED_BYTES,
    onFanOut: (delivered, dropped) => {
      if (delivered > 0) messages?.inc({ outcome: 'delivered' }, delivered);
      if (dropped > 0) messages?.inc({ outcome: 'dropped' }, dropped);
    },
    ...(keyCheck ? { keyCheck } : {}),
  });
  if (registry) {
    new Gauge({
      name: 'paylens_live_connections',
      help: 'Open live-feed WebSocket connections on this instance',
      registers: [registry],
      collect() {
        this.set(hub.stats().connections);
      },
    });
  }
  return hub;
}
/**
 * The live-feed port: the one way anything reaches a tenant's dashboards. Stored events (through the
 * pipeline hook below), risk decisions and alert changes are all published here.
 */
export interface LiveFeed {
  publish(tenantId: string, message: LiveMessage): void;
}

/** Publishes every stored event to its tenant's live feed, after commit. */
function liveFeedHook(feed: LiveFeed): PipelineHook {
  return {
    name: 'live-feed',
    afterStore(events) {
      for (const event of events) feed.publish(event.tenantId, { type: 'event', data: event });
    },
  };
}

export interface LiveDeps {
  /** Several instances fan out through Redis pub/sub when set. */
  redis: RedisConnector | null;
  logger: Logger;
  registry: Registry;
  /** The keys behind open sessions: checked while sessions are open, and told when one ends on any instance. */
  keys: Pick<ApiKeyService, 'activeIds' | 'onKeyEnded' | 'forget'>;
}

/** The live feed: its hub (WebSocket sessions and the fan-out; it is the LiveFeed publishers get) and the stored-events hook. */
export function createLive(deps: LiveDeps) {
  const hub = createLiveHub(deps.redis, deps.logger, deps.registry, {
    activeIds: (ids) => deps.keys.activeIds(ids),
    intervalMs: LIVE_KEY_CHECK_MS,
  });
  // A key that stops working ends its live sessions on every instance, and every instance's cache forgets it.
  deps.keys.onKeyEnded((tenantId, keyId) => hub.endKey(tenantId, keyId));
  hub.onKeyEnded((keyId) => deps.keys.forget(keyId));
  return { hub, hook: liveFeedHook(hub) };
}
