import type { LiveBus } from './live-bus.js';
import type { LiveEnvelope, LiveMessage } from './live-message.js';

/** The part of a WebSocket the hub needs; `ws` sockets satisfy it. */
export interface LiveSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
}

const OPEN = 1;

interface Subscriber {
  socket: LiveSocket;
  /** Messages skipped since the last one delivered; reported to the client so it can refetch. */
  dropped: number;
}

export interface LiveHubOptions {
  /** Above this many bytes queued for a socket, new messages to it are dropped (slow consumer). */
  maxBufferedBytes: number;
  /** Told once per fanned-out message how many sockets got it and how many were skipped as too slow. */
  onFanOut?: (delivered: number, dropped: number) => void;
}

export interface LiveHubStats {
  connections: number;
  delivered: number;
  dropped: number;
}

/**
 * Fans live messages out to the WebSocket clients of one tenant. Publishing goes through the bus so
 * that, with Redis, a message reaches the clients of every instance exactly once.
 */
export class LiveHub {
  private readonly byTenant = new Map<string, Set<Subscriber>>();
  private delivered = 0;
  private dropped = 0;

  constructor(
    private readonly bus: LiveBus,
    private readonly options: LiveHubOptions = { maxBufferedBytes: 1024 * 1024 },
  ) {
    bus.onMessage((envelope) => this.deliver(envelope));
  }

  /** Sends `message` to every live client of `tenantId`, on every instance. Never throws. */
  publish(tenantId: string, message: LiveMessage): void {
    try {
      this.bus.publish(tenantId, message);
    } catch {
      // The feed is best-effort: a failed publish must never fail the caller's work.
    }
  }

  /** Attaches a socket to a tenant's feed; returns the detach function. */
  subscribe(tenantId: string, socket: LiveSocket): () => void {
    const subscriber: Subscriber = { socket, dropped: 0 };
    let set = this.byTenant.get(tenantId);
    if (!set) {
      set = new Set();
      this.byTenant.set(tenantId, set);
    }
    set.add(subscriber);
    return () => {
      const current = this.byTenant.get(tenantId);
      if (!current) return;
      current.delete(subscriber);
      if (current.size === 0) this.byTenant.delete(tenantId);
    };
  }

  ready(): Promise<void> {
    return this.bus.ready();
  }

  stats(): LiveHubStats {
    let connections = 0;
    for (const set of this.byTenant.values()) connections += set.size;
    return { connections, delivered: this.delivered, dropped: this.dropped };
  }

  async close(): Promise<void> {
    await this.bus.close();
    this.byTenant.clear();
  }

  private deliver({ tenantId, message }: LiveEnvelope): void {
    const set = this.byTenant.get(tenantId);
    if (!set || set.size === 0) return;
    // Serialised once for all of the tenant's clients.
    const text = JSON.stringify(message);
    let delivered = 0;
    let dropped = 0;
    for (const subscriber of set) {
      const outcome = this.sendTo(subscriber, text);
      if (outcome === 'delivered') delivered += 1;
      else if (outcome === 'dropped') dropped += 1;
    }
    this.delivered += delivered;
    this.dropped += dropped;
    this.options.onFanOut?.(delivered, dropped);
  }

  private sendTo(subscriber: Subscriber, text: string): 'delivered' | 'dropped' | 'closed' {
    const { socket } = subscriber;
    if (socket.readyState !== OPEN) return 'closed';
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      subscriber.dropped += 1;
      return 'dropped';
    }
    try {
      if (subscriber.dropped > 0) {
        socket.send(JSON.stringify({ type: 'lagged', data: { dropped: subscriber.dropped } } satisfies LiveMessage));
        subscriber.dropped = 0;
      }
      socket.send(text);
      return 'delivered';
    } catch {
      subscriber.dropped += 1;
      return 'dropped';
    }
  }
}
