export interface RedisAddress {
  host: string;
  port: number;
}

/**
 * Where Redis is: one server (REDIS_URL), a primary found through Sentinel (REDIS_SENTINELS +
 * REDIS_SENTINEL_NAME), or a Redis Cluster (REDIS_CLUSTER_NODES, any reachable subset of its nodes).
 */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisAddress[];
      name: string;
      password?: string | undefined;
      sentinelPassword?: string | undefined;
    }
  | { kind: 'cluster'; nodes: RedisAddress[]; password?: string | undefined };

export interface RedisSettings {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

/** `host:port` or `[v6]:port`; null when the entry is neither. */
function parseAddress(entry: string): RedisAddress | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (match[1] ?? match[2])!, port };
}

/** A comma-separated `host:port` list; null when any entry is malformed or the list is empty. */
export function parseRedisAddresses(list: string): RedisAddress[] | null {
  const entries = list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const addresses = entries.map(parseAddress);
  if (addresses.length === 0 || addresses.some((a) => a === null)) return null;
  return addresses as RedisAddress[];
}

/** What is wrong with the Redis variables taken together (each alone is checked by the config schema). */
export function redisSettingsIssues(settings: RedisSettings): string[] {
  const chosen = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((k) => settings[k]);
  const issues: string[] = [];
  if (chosen.length > 1) issues.push(`${chosen.join(', ')}: set only one of them (one Redis topology)`);
  if (settings.REDIS_SENTINELS && !settings.REDIS_SENTINEL_NAME)
    issues.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name the sentinels monitor)');
  return issues;
}

/** The configured topology, or null without Redis. Expects settings that passed `redisSettingsIssues`. */
export function redisTopology(settings: RedisSettings): RedisTopology | null {
  if (settings.REDIS_CLUSTER_NODES) {
    const nodes = parseRedisAddresses(settings.REDIS_CLUSTER_NODES);
    if (!nodes) throw new Error('REDIS_CLUSTER_NODES: expected host:port[,host:port…]');
    return { kind: 'cluster', nodes, password: settings.REDIS_PASSWORD };
  }
  if (settings.REDIS_SENTINELS) {
    const sentinels = parseRedisAddresses(settings.REDIS_SENTINELS);
    if (!sentinels || !settings.REDIS_SENTINEL_NAME)
      throw new Error('REDIS_SENTINELS: expected host:port[,host:port…] and REDIS_SENTINEL_NAME');
    return {
      kind: 'sentinel',
      sentinels,
      name: settings.REDIS_SENTINEL_NAME,
      password: settings.REDIS_PASSWORD,
      sentinelPassword: settings.REDIS_SENTINEL_PASSWORD,
    };
  }
  return settings.REDIS_URL ? { kind: 'standalone', url: settings.REDIS_URL } : null;
}

/** For logs and health detail: where Redis is, never a password. */
export function describeRedisTopology(topology: RedisTopology): string {
  const list = (addresses: RedisAddress[]) =>
    addresses.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(',');
  switch (topology.kind) {
    case 'standalone': {
      const url = new URL(topology.url);
      return `standalone ${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    }
    case 'sentinel':
      return `sentinel ${topology.name} via ${list(topology.sentinels)}`;
    case 'cluster':
      return `cluster via ${list(topology.nodes)}`;
  }
}
