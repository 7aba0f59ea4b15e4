import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { PipelineHook } from '../ingest/index.js';
import { LocalLiveBus, RedisLiveBus } from './live-bus.js';
import { LiveHub, type KeyCheck } from './live-hub.js';

/** Bytes a slow client may have queued before its messages are dropped. */
export const LIVE_MAX_BUFFERED_BYTES = 1024 * 1024;
/** How often open sessions' keys are checked: a key that expired (a rotation's grace ran out) ends its sessions within this. */
export const LIVE_KEY_CHECK_MS = 2000;

/**
 * In-process fan-out by default; Redis pub/sub when several instances share REDIS_URL. Metrics:
 * paylens_live_connections, paylens_live_messages_total{outcome=delivered|dropped}.
 */
export function createLiveHub(
  redisUrl: string | undefined,
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
  const hub = new LiveHub(redisUrl ? new RedisLiveBus(redisUrl, logger) : new LocalLiveBus(), {
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
/** Publishes every stored event to its tenant's live feed, after commit. */
export function liveFeedHook(hub: LiveHub): PipelineHook {
  return {
    name: 'live-feed',
    afterStore(events) {
      for (const event of events) hub.publish(event.tenantId, { type: 'event', data: event });
    },
  };
}
