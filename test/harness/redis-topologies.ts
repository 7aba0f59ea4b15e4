import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisConnector, type RedisConnector } from '../../src/platform/redis/redis-client.js';
import { findRedisServer, freePort } from './processes.js';

/**
 * Redis topologies beyond the single server of the global setup, each started by the test file that
 * needs it: a 3-primary Redis Cluster, a Sentinel set (1 primary, 1 replica, 3 sentinels), and a
 * standalone server that can be restarted on its own port.
 */

export interface RedisNode {
  port: number;
  /** `127.0.0.1:port` */
  address: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  running(): boolean;
}

function binary(): string {
  const found = findRedisServer();
  if (!found) throw new Error('redis-server not found (apt-get install redis-server)');
  return found;
}

async function until<T>(probe: () => Promise<T | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** One command on a fresh connection that gives up at once when nothing listens. */
export async function redisCommand(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/** A redis-server on a fixed port that can be stopped (any signal) and started again with the same arguments. */
async function redisNode(args: (port: number) => string[], options: { port?: number } = {}): Promise<RedisNode> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let output = '';
  const node: RedisNode = {
    port,
    address: `127.0.0.1:${port}`,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    async start() {
      output = '';
      const started = spawn(binary(), args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
      started.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      started.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      child = started;
      await until(
        async () => {
          if (started.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${output}`);
          return (await redisCommand(port, 'PING')) === 'PONG';
        },
        20_000,
        `redis-server on ${port} did not answer`,
      );
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const current = child;
      if (!current || !node.running()) return;
      const done = exited(current);
      current.kill(signal);
      const timer = setTimeout(() => current.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
  await node.start();
  return node;
}

/** Connections to a single server at `url`, with the container's retry default. */
export const standaloneRedis = (url: string): RedisConnector =>
  redisConnector({ kind: 'standalone', url }, { maxRetriesPerRequest: 2 });

const ephemeral = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/** A standalone Redis the test may stop and start again on the same port (a Redis restart under load). */
export async function startRestartableRedis(): Promise<RedisNode & { url: string }> {
  const node = await redisNode(ephemeral);
  return Object.assign(node, { url: `redis://127.0.0.1:${node.port}` });
}

export interface RedisClusterHandle {
  /** `host:port` of each primary, the form REDIS_CLUSTER_NODES takes. */
  nodes: string[];
  primaries: RedisNode[];
  stop(): Promise<void>;
}

/**
 * A real 3-primary Redis Cluster on loopback: three `--cluster-enabled yes` servers joined by
 * `redis-cli --cluster create`, ready once every node reports cluster_state:ok. Bus ports are
 * chosen free (the default, port + 10000, may not be).
 */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'paylens-redis-cluster-'));
  const primaries: RedisNode[] = [];
  const stop = async () => {
    await Promise.all(primaries.map((n) => n.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const busPort = await freePort();
      primaries.push(
        await redisNode((port) => [
          ...ephemeral(port),
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          dir,
        ]),
      );
    }
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...primaries.map((n) => n.address), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const node of primaries) {
      await until(
        async () => String(await redisCommand(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
        30_000,
        `cluster node ${node.address} did not report cluster_state:ok`,
      );
    }
    return { nodes: primaries.map((n) => n.address), primaries, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface RedisSentinelHandle {
  /** `host:port` of each sentinel, the form REDIS_SENTINELS takes. */
  sentinels: string[];
  name: string;
  data: RedisNode[];
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /**
   * Moves the primary: `SENTINEL FAILOVER`, or a SIGKILL of the primary when `kill` is set (the
   * sentinels must then agree it is down). Resolves once the sentinels name the other node and it
   * answers as a primary; gives the time that took.
   */
  failover(options?: { kill?: boolean }): Promise<{ from: number; to: number; ms: number }>;
  stop(): Promise<void>;
}

/**
 * A Sentinel set on loopback: one primary, one replica, three sentinels (quorum 2) watching them
 * as `paylens`, with short detection and failover timeouts so a test's failover takes seconds.
 */
export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'paylens-redis-sentinel-'));
  const name = 'paylens';
  const data: RedisNode[] = [];
  const sentinels: RedisNode[] = [];
  const stop = async () => {
    await Promise.all([...sentinels, ...data].map((n) => n.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  const masterOf = async (port: number) => {
    const reply = (await redisCommand(port, 'SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
    return reply ? Number(reply[1]) : null;
  };
  try {
    // A replica writes the snapshot a full sync sends it to its dir: keep it in the set's own folder.
    const onDisk = (port: number) => [...ephemeral(port), '--dir', dir, '--dbfilename', `dump-${port}.rdb`];
    const primary = await redisNode(onDisk);
    data.push(primary);
    data.push(await redisNode((port) => [...onDisk(port), '--replicaof', '127.0.0.1', String(primary.port)]));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // A sentinel rewrites its configuration file as it learns the topology, so each gets its own.
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(await redisNode(() => [file, '--sentinel'], { port }));
    }
    // Ready once every sentinel knows the replica and the other two sentinels.
    for (const sentinel of sentinels) {
      await until(
        async () => {
          const info = (await redisCommand(sentinel.port, 'SENTINEL', 'master', name)) as string[];
          const field = (key: string) => Number(info[info.indexOf(key) + 1]);
          return field('num-slaves') === 1 && field('num-other-sentinels') === 2;
        },
        30_000,
        `sentinel ${sentinel.address} did not discover the replica and the other sentinels`,
      );
    }
    const primaryPort = async () => {
      const port = await masterOf(sentinels[0]!.port);
      if (port === null) throw new Error('the sentinels name no primary');
      return port;
    };
    return {
      sentinels: sentinels.map((s) => s.address),
      name,
      data,
      primaryPort,
      async failover(options = {}) {
        const from = await primaryPort();
        const started = Date.now();
        if (options.kill) await data.find((n) => n.port === from)!.stop('SIGKILL');
        else await redisCommand(sentinels[0]!.port, 'SENTINEL', 'FAILOVER', name);
        const to = await until(
          async () => {
            const named = await Promise.all(sentinels.filter((s) => s.running()).map((s) => masterOf(s.port)));
            const port = named[0];
            if (!port || port === from || named.some((p) => p !== port)) return null;
            const role = (await redisCommand(port, 'ROLE')) as [string];
            return role[0] === 'master' ? port : null;
          },
          60_000,
          `the sentinels did not move the primary away from ${from}`,
        );
        return { from, to, ms: Date.now() - started };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
