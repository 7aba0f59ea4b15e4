import type { LiveBus } from './live-bus.js';
import type { LiveEnvelope, LiveMessage } from './live-message.js';

/** The part of a WebSocket the hub needs; `ws` sockets satisfy it. */
export interface LiveSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;
/** WebSocket close code for "policy violation": the credentials the session stood on are gone. */
export const CLOSE_KEY_ENDED = 1008;

/** What a feed stands on: an API key, or a signed-in user's session. */
export type LiveCredential = 'api_key' | 'session';

/**
 * The close reason a client reads, by what its feed stood on and how the hub learnt it ended: told
 * (a revocation; a sign-out, disable or role change) or found by the periodic check (also expiry).
 */
const ENDED_REASONS: Record<LiveCredential, Record<'told' | 'checked', string>> = {
  api_key: { told: 'api key revoked', checked: 'api key expired or revoked' },
  session: { told: 'session ended', checked: 'session ended' },
};

interface Subscriber {
  socket: LiveSocket;
  /** What the feed stands on, the API key or the signed-in user's session id: it ends when that does. */
  keyId: string;
  credential: LiveCredential;
  /** Messages skipped since the last one delivered; reported to the client so it can refetch. */
  dropped: number;
}

/** How sessions learn that their key stopped working without being told (expiry, a revocation message lost). */
export interface KeyCheck {
  /** The keys among `ids` that still work. */
  activeIds(ids: readonly string[]): Promise<Set<string>>;
  intervalMs: number;
}

export interface LiveHubOptions {
  /** Above this many bytes queued for a socket, new messages to it are dropped (slow consumer). */
  maxBufferedBytes: number;
  /** Told once per fanned-out message how many sockets got it and how many were skipped as too slow. */
  onFanOut?: (delivered: number, dropped: number) => void;
  /** Without it, sessions end only on a key_ended message. */
  keyCheck?: KeyCheck;
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
  private readonly keyEndedListeners: Array<(keyId: string) => void> = [];
  private keyTimer: NodeJS.Timeout | null = null;
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

  /**
   * Closes every session of a key that stopped working, on every instance, and tells each instance's
   * key-ended listeners (so caches drop the key). Never throws.
   */
  endKey(tenantId: string, keyId: string): void {
    try {
      this.bus.publish(tenantId, { type: 'key_ended', keyId });
    } catch {
      // The key check closes the sessions a little later all the same.
    }
  }

  onKeyEnded(listener: (keyId: string) => void): void {
    this.keyEndedListeners.push(listener);
  }

  /**
   * Attaches a socket to a tenant's feed, authenticated by `keyId`: an API key's id, or a session's
   * id (`credential` says which); returns the detach function.
   */
  subscribe(tenantId: string, socket: LiveSocket, keyId: string, credential: LiveCredential): () => void {
    this.startKeyCheck();
    const subscriber: Subscriber = { socket, keyId, credential, dropped: 0 };
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
    if (this.keyTimer) clearInterval(this.keyTimer);
    this.keyTimer = null;
    await this.bus.close();
    this.byTenant.clear();
  }

  /** Closes the sessions of the keys among those in use that no longer work. */
  async checkKeys(): Promise<void> {
    const check = this.options.keyCheck;
    if (!check) return;
    const inUse = new Set<string>();
    for (const set of this.byTenant.values()) for (const subscriber of set) inUse.add(subscriber.keyId);
    if (inUse.size === 0) return;
    const active = await check.activeIds([...inUse]);
    for (const keyId of inUse) if (!active.has(keyId)) this.closeSessions(null, keyId, 'checked');
  }

  private startKeyCheck(): void {
    const check = this.options.keyCheck;
    if (!check || this.keyTimer) return;
    this.keyTimer = setInterval(() => {
      // A failed check (database briefly away) is retried at the next tick; the sessions stay meanwhile.
      this.checkKeys().catch(() => undefined);
    }, check.intervalMs);
    this.keyTimer.unref();
  }

  private closeSessions(tenantId: string | null, keyId: string, how: 'told' | 'checked'): void {
    const sets =
      tenantId === null ? [...this.byTenant.values()] : [this.byTenant.get(tenantId) ?? new Set<Subscriber>()];
    for (const set of sets) {
      for (const subscriber of set) {
        if (subscriber.keyId !== keyId) continue;
        set.delete(subscriber);
        try {
          subscriber.socket.close(CLOSE_KEY_ENDED, ENDED_REASONS[subscriber.credential][how]);
        } catch {
          // Already gone.
        }
      }
    }
    for (const [tenant, set] of this.byTenant) if (set.size === 0) this.byTenant.delete(tenant);
  }

  private deliver({ tenantId, message }: LiveEnvelope): void {
    if (message.type === 'key_ended') {
      this.closeSessions(tenantId, message.keyId, 'told');
      for (const listener of this.keyEndedListeners) listener(message.keyId);
      return;
    }
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
