import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.js';
import { describeRedisTopology, parseRedisAddresses, redisTopology } from './redis-topology.js';

describe('Redis topology from configuration', () => {
  it('reads host:port lists, IPv6 in brackets, with spaces around entries', () => {
    expect(parseRedisAddresses('10.0.0.1:26379, redis-b:26380 ,[::1]:7000')).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: 'redis-b', port: 26380 },
      { host: '::1', port: 7000 },
    ]);
  });

  it.each(['', ' , ', 'redis', 'redis:', 'redis:0', 'redis:65536', 'a:1,b', '::1:7000', 'redis://a:1'])(
    'refuses the address list %j',
    (list) => {
      expect(parseRedisAddresses(list)).toBeNull();
    },
  );

  it('chooses the cluster, then sentinel, then a single server, and none without settings', () => {
    expect(redisTopology({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_PASSWORD: 'pw' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      password: 'pw',
    });
    expect(
      redisTopology({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'main', REDIS_SENTINEL_PASSWORD: 'sp' }),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'main',
      password: undefined,
      sentinelPassword: 'sp',
    });
    expect(redisTopology({ REDIS_URL: 'redis://r:6379' })).toEqual({ kind: 'standalone', url: 'redis://r:6379' });
    expect(redisTopology({})).toBeNull();
  });

  it('describes where Redis is without the password', () => {
    expect(describeRedisTopology({ kind: 'standalone', url: 'redis://:s3cret@cache:6380/2' })).toBe(
      'standalone redis://cache:6380/2',
    );
    expect(
      describeRedisTopology({
        kind: 'sentinel',
        name: 'main',
        sentinels: [{ host: '::1', port: 26379 }],
        password: 's3cret',
      }),
    ).toBe('sentinel main via [::1]:26379');
    expect(describeRedisTopology({ kind: 'cluster', nodes: [{ host: 'a', port: 1 }], password: 's3cret' })).toBe(
      'cluster via a:1',
    );
  });

  it('refuses two topologies at once, a sentinel set without its name, and malformed lists', () => {
    const issues = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        if (error instanceof ConfigError) return error.issues;
        throw error;
      }
    };
    expect(issues({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'a:1' })).toEqual([
      'REDIS_URL, REDIS_CLUSTER_NODES: set only one of them (one Redis topology)',
    ]);
    expect(issues({ REDIS_SENTINELS: 'a:26379' })).toEqual([
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name the sentinels monitor)',
    ]);
    expect(issues({ REDIS_CLUSTER_NODES: 'a' })).toEqual([
      'REDIS_CLUSTER_NODES: must be comma-separated host:port entries',
    ]);
    expect(loadConfig({ REDIS_SENTINELS: 'a:26379,b:26379', REDIS_SENTINEL_NAME: 'main' }).REDIS_SENTINELS).toBe(
      'a:26379,b:26379',
    );
  });
});
