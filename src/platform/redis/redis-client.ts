import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTopology } from './redis-topology.js';

/** A connection to whichever topology is configured; both speak the same commands, scripts and pipelines. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Names the connection on the server (CLIENT LIST shows `paylens:<role>`). */
  role: string;
  /** Reconnect attempts a command waits through before failing; null waits for ever (a subscriber). */
  maxRetriesPerRequest?: number | null;
  /** Queue commands while disconnected (false: fail at once). */
  enableOfflineQueue?: boolean;
  enableAutoPipelining?: boolean;
  /**
   * A command fails after this long, queued or sent (request-path users: the caller falls back in
   * time instead of waiting for a reconnect); unset, a command waits as long as its retries allow.
   */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * A primary demoted by a failover answers writes with READONLY until the client reconnects and asks
 * the sentinels again; reconnecting and resending (2) makes that one retried command instead of an
 * error per command until the connection happens to drop.
 */
const reconnectOnReadOnly = (error: Error) => (error.message.startsWith('READONLY') ? 2 : false);

/**
 * The one place Redis connections are made: every user (rate limits, velocity, label risk, the
 * live feed's pub/sub) asks here, so the topology is chosen once, from configuration.
 */
export function createRedisClient(topology: RedisTopology, options: RedisClientOptions): RedisClient {
  const common: RedisOptions = {
    connectionName: `paylens:${options.role}`,
    ...(options.maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest: options.maxRetriesPerRequest } : {}),
    ...(options.commandTimeoutMs !== undefined ? { commandTimeout: options.commandTimeoutMs } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeout: options.connectTimeoutMs } : {}),
  };
  const queueing = {
    ...(options.enableOfflineQueue !== undefined ? { enableOfflineQueue: options.enableOfflineQueue } : {}),
    ...(options.enableAutoPipelining !== undefined ? { enableAutoPipelining: options.enableAutoPipelining } : {}),
  };
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, { ...common, ...queueing });
    case 'sentinel':
      return new Redis({
        ...common,
        ...queueing,
        sentinels: topology.sentinels,
        name: topology.name,
        ...(topology.password ? { password: topology.password } : {}),
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
        // Hear +switch-master from the sentinels rather than waiting for the old primary's connection to fail.
        failoverDetector: true,
        reconnectOnError: reconnectOnReadOnly,
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        ...queueing,
        redisOptions: { ...common, ...(topology.password ? { password: topology.password } : {}) },
      });
  }
}

/** Makes connections to one configured Redis: each user names its role and may adjust the shared options. */
export type RedisConnector = (role: string, options?: Omit<RedisClientOptions, 'role'>) => RedisClient;

/** The topology with the options every connection shares; each Redis user asks it for a connection of its own. */
export function redisConnector(topology: RedisTopology, shared: Omit<RedisClientOptions, 'role'> = {}): RedisConnector {
  return (role, options = {}) => createRedisClient(topology, { ...shared, ...options, role });
}
