import type { Logger } from 'pino';
import type { RedisClient, RedisConnector } from '../../platform/redis/redis-client.js';
import { decodeEnvelope, encodeEnvelope, type KeyEnded, type LiveEnvelope, type LiveMessage } from './live-message.js';

/** Carries live messages to every instance's hub (itself included). */
export interface LiveBus {
  publish(tenantId: string, message: LiveMessage | KeyEnded): void;
  onMessage(listener: (envelope: LiveEnvelope) => void): void;
  /** Resolves once messages published from now on will be received. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** One process: delivery is a direct call. */
export class LocalLiveBus implements LiveBus {
  private listener: ((envelope: LiveEnvelope) => void) | null = null;

  publish(tenantId: string, message: LiveMessage | KeyEnded): void {
    this.listener?.({ tenantId, message });
  }

  onMessage(listener: (envelope: LiveEnvelope) => void): void {
    this.listener = listener;
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.listener = null;
  }
}

export const LIVE_CHANNEL = 'paylens:live';

/**
 * Several instances: one Redis pub/sub channel with the tenant inside the message, so an instance
 * needs one subscription whatever the number of tenants; each hub filters to its own sockets.
 * Pub/sub is fire-and-forget, which fits a live view (the API remains the record). While Redis is
 * unreachable, messages are delivered to this instance's own clients instead of being queued, so
 * memory stays bounded and local dashboards stay live.
 */
export class RedisLiveBus implements LiveBus {
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private listener: ((envelope: LiveEnvelope) => void) | null = null;
  private readonly subscribed: Promise<void>;
  private failures = 0;
  private lastWarning = 0;

  constructor(
    connect: RedisConnector,
    private readonly logger: Logger,
    private readonly readyTimeoutMs = 5000,
  ) {
    // A stored batch publishes one message per event in the same tick: auto-pipelining sends them in one write.
    this.publisher = connect('live-publisher', {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
    // On a cluster the channel is cluster-wide (PUBLISH reaches every node): one subscription on any node hears it.
    this.subscriber = connect('live-subscriber', { maxRetriesPerRequest: null });
    this.publisher.on('error', (error) => this.warn('redis publisher error', error));
    this.subscriber.on('error', (error) => this.warn('redis subscriber error', error));
    this.subscriber.on('message', (_channel: string, text: string) => {
      const envelope = decodeEnvelope(text);
      if (envelope) this.listener?.(envelope);
    });
    this.subscribed = this.subscriber.subscribe(LIVE_CHANNEL).then(
      () => undefined,
      (error: unknown) => this.warn('cannot subscribe to redis', error),
    );
  }

  /** Resolves once subscribed and able to publish, or after the timeout so an unreachable Redis never blocks startup. */
  ready(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn('live feed: redis subscription not confirmed yet; starting without waiting');
        resolve();
      }, this.readyTimeoutMs);
      timer.unref();
    });
    const publisherReady =
      this.publisher.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => this.publisher.once('ready', () => resolve()));
    return Promise.race([Promise.all([this.subscribed, publisherReady]).then(() => clearTimeout(timer)), timeout]);
  }

  publish(tenantId: string, message: LiveMessage | KeyEnded): void {
    if (this.publisher.status !== 'ready') {
      this.listener?.({ tenantId, message });
      return;
    }
    this.publisher.publish(LIVE_CHANNEL, encodeEnvelope(tenantId, message)).catch((error: unknown) => {
      this.warn('redis publish failed; delivered to local clients only', error);
      this.listener?.({ tenantId, message });
    });
  }

  onMessage(listener: (envelope: LiveEnvelope) => void): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.listener = null;
    // quit() waits for a reply a Redis that is down never sends; disconnect() does not wait.
    for (const client of [this.subscriber, this.publisher]) {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    }
  }

  /** At most one line per 10 s, with the count, so a Redis outage under load does not flood the log. */
  private warn(what: string, error: unknown): void {
    this.failures += 1;
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.logger.warn({ err: error, occurrences: this.failures }, `live feed: ${what}`);
    this.lastWarning = now;
    this.failures = 0;
  }
}
