import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { callApi, createTestApp } from '../harness/app.js';
import { postEventOverHttp } from './server-process.js';
import { startRestartableRedis } from '../harness/redis-topologies.js';
import { spawnServer, until } from './faults-processes.js';

const API_KEY = `pl_${randomBytes(32).toString('base64url')}`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

let seq = 0;
const transaction = () => ({
  transactionId: `tx_fault_${++seq}`,
  amount: { minor: 2500, currency: 'USD' },
  customer: { email: `shopper${seq % 5}@example.com` },
  card: { bin: '424242', last4: '4242', country: 'US' },
  ip: '198.51.100.7',
  ipCountry: 'US',
  deviceId: 'dev-1',
  merchant: { id: 'shop-1', country: 'US' },
});

describe('Redis faults', { tags: ['redis'] }, () => {
  it(
    'Redis stopped: ingest and scoring answer within a second (velocity marked degraded), limits fail open, and recovery is automatic',
    { timeout: 180_000 },
    async () => {
      const redis = await startRestartableRedis();
      cleanup.push(() => redis.stop('SIGKILL'));
      const server = await spawnServer({
        PAYLENS_DATA_DIR: 'memory://',
        REDIS_URL: redis.url,
        PAYLENS_BOOTSTRAP_API_KEY: API_KEY,
      });
      cleanup.push(() => server.stop());
      await until(
        async () => ((await fetch(`${server.base}/health/ready`)).status === 200 ? true : null),
        90_000,
        'readiness',
        server,
      );
      const score = async () => {
        const started = performance.now();
        const res = await fetch(`${server.base}/v1/risk/score`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(transaction()),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await res.json()) as { features?: Record<string, number> };
        return { status: res.status, ms: performance.now() - started, degraded: body.features?.velocity_degraded };
      };
      const ingest = async () => {
        const started = performance.now();
        const res = await postEventOverHttp(
          server.base,
          API_KEY,
          stripeEvent('charge.succeeded', charge()),
          AbortSignal.timeout(10_000),
        );
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - started };
      };

      const healthy = await score();
      expect(healthy).toMatchObject({ status: 200, degraded: 0 });
      expect((await ingest()).status).toBe(201);

      // A crash: nothing is said to the clients.
      await redis.stop('SIGKILL');
      const outage: { status: number; ms: number; degraded?: number | undefined }[] = [];
      const ingested: { status: number; ms: number }[] = [];
      for (let round = 0; round < 10; round++) {
        const answers = await Promise.all([score(), score(), ingest(), ingest()]);
        outage.push(answers[0], answers[1]);
        ingested.push(answers[2] as { status: number; ms: number }, answers[3] as { status: number; ms: number });
      }
      expect(outage.every((a) => a.status === 200 && a.degraded === 1)).toBe(true);
      expect(ingested.every((a) => a.status === 201)).toBe(true);
      const slowest = Math.max(...outage.map((a) => a.ms), ...ingested.map((a) => a.ms));
      expect(slowest).toBeLessThan(1500);
      const ready = await fetch(`${server.base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'degraded',
        checks: { redis: { status: 'down', required: false } },
      });

      await redis.start();
      const backAt = Date.now();
      await until(async () => ((await score()).degraded === 0 ? true : null), 30_000, 'a scored history', server);
      const recoveredMs = Date.now() - backAt;
      expect((await (await fetch(`${server.base}/health/ready`)).json()).status).toBe('ok');
      const sorted = [...outage.map((a) => a.ms)].sort((a, b) => a - b);
      console.log(
        `drill: Redis down, ${outage.length} scores (all velocity_degraded: 1; median ${Math.round(sorted[sorted.length >> 1]!)} ms, ` +
          `slowest ${Math.round(slowest)} ms of scores and ingests), ${ingested.length} ingests all 201; ` +
          `history back ${recoveredMs} ms after Redis restarted, no restart of the server`,
      );
      const metrics = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/paylens_circuit_breaker_state\{breaker="redis"\} 0/);
      expect(metrics).toMatch(/paylens_dependency_fallbacks_total\{dependency="redis",use="velocity"\} [1-9]/);
    },
  );

  it(
    'RATE_LIMIT_ON_REDIS_DOWN=closed refuses limited requests with 503 while Redis is down',
    { timeout: 120_000 },
    async () => {
      const redis = await startRestartableRedis();
      cleanup.push(() => redis.stop('SIGKILL'));
      const t = await createTestApp('pglite', { REDIS_URL: redis.url, RATE_LIMIT_ON_REDIS_DOWN: 'closed' });
      cleanup.push(() => t.close());
      // Closed from the start: until the client has connected, a limited request is refused too.
      await until(
        async () => ((await callApi(t, 'GET', '/v1/events')).statusCode === 200 ? true : null),
        20_000,
        'limits',
      );
      await redis.stop('SIGKILL');
      const refused = await callApi(t, 'GET', '/v1/events');
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused.json().code).toBe('unavailable');
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.redis).toMatchObject({ status: 'down', required: true });
      await redis.start();
      await until(
        async () => ((await callApi(t, 'GET', '/v1/events')).statusCode === 200 ? true : null),
        20_000,
        'limits',
      );
    },
  );
});
