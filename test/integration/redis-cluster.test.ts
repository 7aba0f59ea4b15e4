import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEnvelope } from '../../src/modules/live/live-message.js';
import { RedisLiveBus } from '../../src/modules/live/live-bus.js';
import { MemoryLabelRiskStore } from '../../src/modules/risk/velocity/memory-label-risk.store.js';
import { MemoryVelocityStore } from '../../src/modules/risk/velocity/memory-velocity.store.js';
import { RedisLabelRiskStore } from '../../src/modules/risk/velocity/redis-label-risk.store.js';
import { RedisVelocityStore } from '../../src/modules/risk/velocity/redis-velocity.store.js';
import { DAY_MS, MINUTE_MS, type VelocityEvent } from '../../src/modules/risk/velocity/velocity-store.js';
import { RequestLimits } from '../../src/platform/http/rate-limit.js';
import { createRedisClient, redisConnector } from '../../src/platform/redis/redis-client.js';
import { redisTopology, type RedisTopology } from '../../src/platform/redis/redis-topology.js';
import { callApi, createTestApp } from '../harness/app.js';
import { redisCommand, startRedisCluster, type RedisClusterHandle } from '../harness/redis-topologies.js';

const T = Date.parse('2026-03-10T12:00:00Z');
const silent = pino({ level: 'silent' });

describe('Redis Cluster: every Redis user on a real 3-primary cluster', { tags: ['redis'] }, () => {
  let cluster: RedisClusterHandle;
  let topology: RedisTopology;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    topology = redisTopology({ REDIS_CLUSTER_NODES: cluster.nodes.join(',') })!;
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Which primaries hold keys starting with `prefix`, by port. */
  const holders = async (prefix: string) => {
    const found = new Map<number, string[]>();
    for (const node of cluster.primaries) {
      const keys = (await redisCommand(node.port, 'KEYS', `${prefix}*`)) as string[];
      if (keys.length > 0) found.set(node.port, keys);
    }
    return found;
  };

  it('velocity: the same snapshots as the in-process store, each tenant in one slot, tenants spread over the primaries', async () => {
    const prefix = `ct:${randomBytes(3).toString('hex')}`;
    const redis = RedisVelocityStore.connect(redisConnector(topology), prefix);
    const memory = new MemoryVelocityStore();
    try {
      const tenants = Array.from({ length: 12 }, (_, i) => `ten_${i}_${randomBytes(3).toString('hex')}`);
      let seq = 0;
      for (const tenantId of tenants) {
        // A customer on two cards, a shared device and IP, declines, and a BIN run at one merchant.
        for (let i = 0; i < 6; i++) {
          const event: VelocityEvent = {
            tenantId,
            transactionId: `tx_${++seq}`,
            at: T - DAY_MS + i * 7 * MINUTE_MS,
            amountUsdMinor: 1000 + 250 * i,
            declined: i % 3 === 2,
            customer: `cust-${i % 2}`,
            card: `card-${i % 3}`,
            bin: '424242',
            last4: String(4240 + i),
            device: 'dev-1',
            ip: '203.0.113.9',
            merchant: 'm-1',
            account: `acct-${i % 2}`,
          };
          expect(await redis.observe(event)).toEqual(await memory.observe(event));
          if (event.declined) {
            await redis.recordDecline({ ...event, transactionId: `${event.transactionId}-late` });
            await memory.recordDecline({ ...event, transactionId: `${event.transactionId}-late` });
          }
        }
      }
      const where = await holders(`${prefix}:`);
      for (const tenantId of tenants) {
        const nodes = [...where].filter(([, keys]) => keys.some((k) => k.includes(`{${tenantId}}`)));
        expect(nodes, `${tenantId}'s keys on one primary`).toHaveLength(1);
      }
      expect(where.size, 'twelve tenants spread over more than one primary').toBeGreaterThan(1);
    } finally {
      await redis.close();
      await memory.close();
    }
  });

  it('label risk: the same windows as the in-process store, labels included', async () => {
    const prefix = `cl:${randomBytes(3).toString('hex')}`;
    const redis = RedisLabelRiskStore.connect(redisConnector(topology), prefix);
    const memory = new MemoryLabelRiskStore();
    try {
      let seq = 0;
      for (const tenantId of ['ten_a', 'ten_b', 'ten_c', 'ten_d']) {
        for (let day = 0; day < 12; day++) {
          const tx = { tenantId, merchant: `m-${day % 2}`, transactionId: `tx_${++seq}`, at: T - (12 - day) * DAY_MS };
          expect(await redis.observe(tx)).toEqual(await memory.observe(tx));
          if (day % 4 === 1) {
            await redis.recordLabel({ ...tx, fraud: true });
            await memory.recordLabel({ ...tx, fraud: true });
          }
        }
      }
      expect((await holders(`${prefix}:`)).size).toBeGreaterThan(0);
    } finally {
      await redis.close();
      await memory.close();
    }
  });

  it('rate limits: two instances share one count per key', async () => {
    const clients = [0, 1].map(() => createRedisClient(topology, { role: 'test-limits', maxRetriesPerRequest: 2 }));
    try {
      // Until a client is ready each instance counts alone (the fallback); the shared count is what is tested.
      await Promise.all(clients.map((c) => (c.status === 'ready' ? null : new Promise((r) => c.once('ready', r)))));
      const settings = { enabled: true, perKey: 5, perAddress: 0, authFailures: 0 };
      const [a, b] = clients.map((c) => new RequestLimits(settings, c));
      const key = `key_${randomBytes(4).toString('hex')}`;
      const answers: (number | null)[] = [];
      for (let i = 0; i < 7; i++) answers.push(await (i % 2 === 0 ? a! : b!).key(key));
      expect(answers.slice(0, 5)).toEqual([null, null, null, null, null]);
      expect(answers[5]).toBeGreaterThan(0);
      expect(answers[6]).toBeGreaterThan(0);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  it('live feed: a message published on one instance reaches the other through the cluster', async () => {
    const a = new RedisLiveBus(redisConnector(topology), silent);
    const b = new RedisLiveBus(redisConnector(topology), silent);
    try {
      const received: LiveEnvelope[] = [];
      b.onMessage((envelope) => received.push(envelope));
      await Promise.all([a.ready(), b.ready()]);
      a.publish('ten_live', { type: 'risk', data: { marker: 'over-the-cluster' } });
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(received).toEqual([
        { tenantId: 'ten_live', message: { type: 'risk', data: { marker: 'over-the-cluster' } } },
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the app on REDIS_CLUSTER_NODES keeps velocity and rate limits in the cluster', { timeout: 300_000 }, async () => {
    const t = await createTestApp('pglite', {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      RATE_LIMIT_PER_MINUTE: '6',
    });
    try {
      expect(t.container.risk.velocity.kind).toBe('redis');
      const score = (n: number) =>
        callApi(t, 'POST', '/v1/risk/score', {
          transactionId: `cl_${n}`,
          amount: { minor: 2500, currency: 'USD' },
          customer: { id: 'cus_cluster' },
          occurredAt: new Date(T + n * MINUTE_MS).toISOString(),
        });
      const counts: number[] = [];
      for (let n = 0; n < 3; n++) {
        const res = await score(n);
        expect(res.statusCode).toBe(200);
        counts.push(res.json().features.customer_count_1h);
      }
      expect(counts).toEqual([0, 1, 2]);
      const statuses: number[] = [];
      for (let n = 3; n < 8; n++) statuses.push((await score(n)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect((await holders(`pl:rv:{${t.tenantId}}`)).size).toBe(1);
      // The app's key was counted in the cluster: eight requests, the two refused ones included.
      const counted = [];
      for (const [port, keys] of await holders('paylens:rl:key:'))
        for (const key of keys) counted.push(await redisCommand(port, 'GET', key));
      expect(counted).toContain('8');
    } finally {
      await t.close();
    }
  });
});
