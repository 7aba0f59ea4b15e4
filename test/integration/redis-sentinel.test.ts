import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import { callApi, configFor, createTestApp, type TestApp } from '../harness/app.js';
import { redisCommand, startRedisSentinel, type RedisSentinelHandle } from '../harness/redis-topologies.js';
import { createPostgresDatabase } from '../harness/stores.js';

const T = Date.parse('2026-03-10T12:00:00Z');
const LIMIT = 40;

/**
 * Two API instances on one database and a Sentinel set (1 primary, 1 replica, 3 sentinels). Scores
 * and request limits are counted in Redis, so what one instance counted the other sees; after the
 * primary moves (a SENTINEL FAILOVER, or a SIGKILL of the primary) both keep counting on the new one.
 */
// Each kind of failover gets a Sentinel set of its own, so each starts from the primary the set began with.
describe.each(['SENTINEL FAILOVER', 'primary killed'] as const)(
  'Redis Sentinel, %s',
  { tags: ['redis', 'postgres'] },
  (kind) => {
    let set: RedisSentinelHandle;
    let a: TestApp;
    let b: TestApp;
    let n = 0;
    beforeAll(async () => {
      set = await startRedisSentinel();
      const env = {
        DATABASE_URL: await createPostgresDatabase(),
        REDIS_SENTINELS: set.sentinels.join(','),
        REDIS_SENTINEL_NAME: set.name,
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
      };
      a = await createTestApp('pglite', env);
      // The second instance on the same database: the first one made the tenant and its keys.
      const container = await createContainer(await configFor('pglite', env));
      const app = await buildApp(container, { logger: false });
      b = {
        ...a,
        app,
        container,
        close: async () => {
          await app.close();
          await container.close();
        },
      };
    }, 180_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await set?.stop();
    });

    /** A score of `customer` through instance `t`, with tenant `key`; its status and the customer's count before it. */
    const score = async (t: TestApp, apiKey: string, customer: string) => {
      const res = await callApi(
        t,
        'POST',
        '/v1/risk/score',
        {
          transactionId: `st_${++n}`,
          amount: { minor: 2500, currency: 'USD' },
          customer: { id: customer },
          occurredAt: new Date(T + n * 1000).toISOString(),
        },
        apiKey,
      );
      return { status: res.statusCode, count: res.statusCode === 200 ? res.json().features.customer_count_1h : null };
    };

    /** Scores alternately through both instances until the limit answers 429; how many got through. */
    const untilLimited = async (apiKey: string, customer: string) => {
      for (let i = 0; i < 3 * LIMIT; i++) {
        const { status } = await score(i % 2 === 0 ? a : b, apiKey, customer);
        if (status === 429) return i;
        expect(status).toBe(200);
      }
      return Infinity;
    };

    /**
     * A fresh key's limit, scored alternately through both instances: exactly LIMIT get through once
     * both count in the shared Redis again. Right after a failover an instance whose limiter client is
     * still reconnecting counts in memory (fail open), so this tries fresh keys for up to 30 s.
     */
    const limitSharedAgain = async (label: string) => {
      const started = Date.now();
      let through = Infinity;
      for (let i = 1; Date.now() - started < 30_000; i++) {
        const fresh = await a.newTenant(`${label}-${i}`);
        through = await untilLimited(fresh.apiKey, 'cus_limit');
        if (through <= LIMIT) break;
      }
      console.log(`request limits shared again ${Date.now() - started} ms after the failover`);
      return through;
    };

    /**
     * Whether instance `t`'s request-limit connection is ready on the primary at `port`, seen without a
     * counted request (a request made while it reconnects is counted in the instance's memory, by design).
     */
    const limitsOn = (t: TestApp, port: number) => {
      const client = t.container.redis;
      return client !== null && 'stream' in client && client.status === 'ready' && client.stream.remotePort === port;
    };

    if (kind === 'SENTINEL FAILOVER')
      it(
        'a SENTINEL FAILOVER loses neither the velocity history nor the request count, and the limits are shared again',
        { timeout: 120_000 },
        async () => {
          const tenant = await a.newTenant('failover-graceful');
          expect(a.container.risk.velocity.kind).toBe('redis');
          const before = [];
          for (let i = 0; i < 4; i++) before.push(await score(i % 2 === 0 ? a : b, tenant.apiKey, 'cus_sentinel'));
          expect(before).toEqual([0, 1, 2, 3].map((count) => ({ status: 200, count })));
          let requests = 4;
          // SENTINEL FAILOVER promotes the replica without pausing the primary's writers, so only what the
          // replica has acknowledged is sure to carry over (replication is asynchronous): wait for that. On a
          // loaded machine the replica may still be syncing, so ask again rather than once for 2 s.
          const primary = await set.primaryPort();
          let acknowledged = 0;
          for (const started = Date.now(); acknowledged < 1 && Date.now() - started < 30_000;)
            acknowledged = Number(await redisCommand(primary, 'WAIT', '1', '1000'));
          expect(acknowledged).toBe(1);

          const moved = await set.failover();
          expect(moved.to).not.toBe(moved.from);
          expect(((await redisCommand(moved.to, 'ROLE')) as string[])[0]).toBe('master');
          console.log(`sentinel failover (SENTINEL FAILOVER): ${moved.from} -> ${moved.to} in ${moved.ms} ms`);
          const named = Date.now();
          while (!(limitsOn(a, moved.to) && limitsOn(b, moved.to)) && Date.now() - named < 30_000)
            await new Promise((r) => setTimeout(r, 50));
          expect(limitsOn(a, moved.to) && limitsOn(b, moved.to)).toBe(true);
          console.log(`both request-limit connections on the new primary ${Date.now() - named} ms after it was named`);

          // The history on the new primary is the one written before: the count goes on from 4. Until the
          // velocity client has found the new primary a score reads no history (degraded) and writes none.
          const recovered = Date.now();
          let after = await score(b, tenant.apiKey, 'cus_sentinel');
          requests += 1;
          while (after.count !== 4 && Date.now() - recovered < 30_000) {
            await new Promise((r) => setTimeout(r, 250));
            after = await score(b, tenant.apiKey, 'cus_sentinel');
            requests += 1;
          }
          expect(after).toEqual({ status: 200, count: 4 });
          expect(await score(a, tenant.apiKey, 'cus_sentinel')).toEqual({ status: 200, count: 5 });
          requests += 1;
          // The key's request count carried over too: the shared count (not one per instance) lets exactly
          // the rest of the limit through.
          expect(await untilLimited(tenant.apiKey, 'cus_sentinel_2')).toBe(LIMIT - requests);
          expect(await limitSharedAgain('graceful-limit')).toBe(LIMIT);
        },
      );

    if (kind === 'primary killed')
      it(
        'a killed primary: the sentinels promote the replica and both instances carry on',
        { timeout: 180_000 },
        async () => {
          const tenant = await a.newTenant('failover-kill');
          expect(await score(a, tenant.apiKey, 'cus_killed')).toEqual({ status: 200, count: 0 });
          expect(await score(b, tenant.apiKey, 'cus_killed')).toEqual({ status: 200, count: 1 });
          // Let the replica acknowledge those writes: replication is asynchronous, and the kill must not be what is measured.
          await redisCommand(await set.primaryPort(), 'WAIT', '1', '2000');

          const moved = await set.failover({ kill: true });
          console.log(`sentinel failover (primary killed): ${moved.from} -> ${moved.to} in ${moved.ms} ms`);

          // A client may still be finding the new primary (its reconnection was backing off while the
          // sentinels agreed): until then a score may fail; then it reads the history the replica took over
          // (a score that missed Redis wrote nothing there, so the count is at least 2).
          const recovered = Date.now();
          const failed: number[] = [];
          let after = await score(a, tenant.apiKey, 'cus_killed');
          while (!(after.count >= 2) && Date.now() - recovered < 60_000) {
            if (after.status !== 200) failed.push(after.status);
            await new Promise((r) => setTimeout(r, 250));
            after = await score(a, tenant.apiKey, 'cus_killed');
          }
          console.log(
            `scores read the new primary ${Date.now() - recovered} ms after the sentinels named it; failed meanwhile: ${JSON.stringify(failed)}`,
          );
          expect(after.status).toBe(200);
          expect(after.count).toBeGreaterThanOrEqual(2);
          expect((await score(b, tenant.apiKey, 'cus_killed')).status).toBe(200);
          // Counted in Redis across both instances (each alone in memory would let twice the limit through).
          expect(await limitSharedAgain('killed-limit')).toBe(LIMIT);
        },
      );
  },
);
