import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { startHaproxy, type HaproxyHandle } from '../harness/haproxy.js';
import { freePort } from '../harness/processes.js';
import { startRestartableRedis, type RedisNode } from '../harness/redis-topologies.js';
import { createPostgresDatabase } from '../harness/stores.js';
import { postEventOverHttp } from './server-process.js';

/**
 * The multi-node drill: three API processes and two workers behind HAProxy on real PostgreSQL and
 * Redis. During a load of distinct events one API process is killed with SIGKILL (and started
 * again, as an orchestrator would) and Redis is restarted. A third of the events are accepted with
 * `Prefer: respond-async`, so the two workers settle them from one queue meanwhile. Every event that
 * got a 2xx must be stored and normalized exactly once, and every process must answer afterwards.
 */

const API_KEY = `pl_${randomBytes(32).toString('base64url')}`;
const EVENTS = 3000;
const CONCURRENCY = 24;
const MAX_ATTEMPTS = 2;
/** Redis stays down this long, so the load meets it down and not just a blip. */
const REDIS_DOWN_MS = 2000;

interface Proc {
  name: string;
  child: ChildProcess;
  output(): string;
}

const procs: Proc[] = [];
const cleanups: (() => Promise<void>)[] = [];

function spawnNode(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const proc = { name, child, output: () => out };
  procs.push(proc);
  return proc;
}

const alive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

function killHard(p: Proc): Promise<void> {
  return new Promise((resolve) => {
    if (!alive(p)) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

async function until<T>(probe: () => Promise<T | null>, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gave up waiting for ${what()}`);
}

const ready = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(5000) })).status === 200
    ? true
    : null;

afterAll(async () => {
  await Promise.all(procs.map(killHard));
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('multi-node drill', { tags: ['postgres', 'redis', 'haproxy'] }, () => {
  it(
    'keeps every acknowledged event exactly once through an API process kill and a Redis restart, and every process recovers',
    { timeout: 900_000 },
    async () => {
      const databaseUrl = await createPostgresDatabase();
      const redis: RedisNode & { url: string } = await startRestartableRedis();
      cleanups.push(() => redis.stop('SIGKILL'));
      const env = {
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_SIZE: '8',
        REDIS_URL: redis.url,
        PAYLENS_BOOTSTRAP_API_KEY: API_KEY,
        PAYLENS_CUSTOMER_KEY_SALT: 'drill-salt-0123456789',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        // /metrics on the API port behind the token, so five processes do not compete for the metrics port.
        METRICS_TOKEN: 'drill-metrics-token-0123456789',
        // One address sends everything: the limits stay on (counted in Redis) but out of the drill's way.
        RATE_LIMIT_PER_MINUTE: '10000000',
        RATE_LIMIT_IP_PER_MINUTE: '10000000',
        RUN_WORKER_IN_SERVER: 'false',
        MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        WORKER_POLL_MS: '200',
      };
      const ports = [await freePort(), await freePort(), await freePort()];
      const startApi = (i: number) =>
        spawnNode(`api${i + 1}`, ['src/entrypoints/server.ts'], { ...env, PORT: String(ports[i]) });
      const apis: Proc[] = [startApi(0)];
      // The first process migrates the fresh database and creates the tenant; the others start on it.
      await until(
        () => ready(ports[0]!),
        180_000,
        () => `api1 to be ready:\n${apis[0]!.output()}`,
      );
      apis.push(startApi(1), startApi(2));
      const workers = [0, 1].map((i) => spawnNode(`worker${i + 1}`, ['src/entrypoints/cli.ts', 'worker'], env));
      for (const i of [1, 2])
        await until(
          () => ready(ports[i]!),
          180_000,
          () => `api${i + 1} to be ready:\n${apis[i]!.output()}`,
        );
      const lb: HaproxyHandle = await startHaproxy(ports.map((port, i) => ({ name: `api${i + 1}`, port })));
      cleanups.push(() => lb.stop());
      await until(
        async () => (Object.values(await lb.states()).every((s) => s === 'UP') ? true : null),
        60_000,
        () => 'HAProxy to see the three API processes up',
      );

      const events = Array.from({ length: EVENTS }, (_, i) => {
        const event = stripeEvent('charge.succeeded', charge({ amount: 1000 + i, customer: `cus_drill${i % 200}` }));
        return { id: event.id as string, body: JSON.stringify(event) };
      });
      const acked = new Set<string>();
      const statuses = new Map<number, number>();
      let networkErrors = 0;
      let next = 0;
      const marks: Record<string, number> = {};
      let replacement: Promise<void> | null = null;
      let redisRestart: Promise<void> | null = null;
      const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

      // Recovery is watched while the load goes on. The killed process is back when HAProxy, having
      // counted it down, counts it up again.
      let resolveKilled: () => void = () => undefined;
      const killed = new Promise<void>((resolve) => (resolveKilled = resolve));
      const apiRecovery = killed.then(async () => {
        await until(
          async () => ((await lb.states()).api2 !== 'UP' ? true : null),
          60_000,
          () => 'HAProxy to count the killed api2 down',
        );
        await until(
          async () => ((await lb.states()).api2 === 'UP' ? true : null),
          300_000,
          () => `HAProxy to count api2 up again:\n${apis[1]!.output()}`,
        );
        return Date.now() - marks.apiKilled!;
      });
      // Scoring reads Redis again when two scores of a new customer through the balancer (round robin
      // puts them on different processes) see each other, which only the shared history in Redis allows.
      let probe = 0;
      const sharesRedis = async () => {
        const customer = `drill-probe-${++probe}`;
        const score = async (n: number) => {
          const res = await fetch(`${lb.url}/v1/risk/score`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({
              transactionId: `probe_${probe}_${n}`,
              amount: { minor: 2500, currency: 'USD' },
              customer: { id: customer },
              occurredAt: new Date().toISOString(),
            }),
            signal: AbortSignal.timeout(30_000),
          });
          return res.ok ? ((await res.json()) as { features: Record<string, number> }).features : null;
        };
        const first = await score(1);
        const second = await score(2);
        return first?.customer_count_1h === 0 && second?.customer_count_1h === 1 ? true : null;
      };
      expect(await sharesRedis()).toBe(true);
      let resolveRedisStarted: () => void = () => undefined;
      const redisStarted = new Promise<void>((resolve) => (resolveRedisStarted = resolve));
      const redisRecovery = redisStarted.then(async () => {
        await until(sharesRedis, 300_000, () => 'scores to share the velocity history in Redis again');
        return Date.now() - marks.redisStarted!;
      });
      // Awaited after the load; a failure before then is reported there, not as an unhandled rejection.
      for (const watch of [apiRecovery, redisRecovery]) watch.catch(() => undefined);
      // The disruptions are tied to progress, so they happen during the load however fast this machine is.
      const disrupt = (sent: number) => {
        if (replacement === null && sent >= EVENTS * 0.2) {
          marks.apiKilled = Date.now();
          replacement = killHard(apis[1]!).then(() => {
            resolveKilled();
            apis[1] = startApi(1);
          });
        }
        if (redisRestart === null && sent >= EVENTS * 0.4) {
          marks.redisStopped = Date.now();
          redisRestart = redis
            .stop('SIGKILL')
            .then(() => new Promise((r) => setTimeout(r, REDIS_DOWN_MS)))
            .then(() => redis.start())
            .then(() => {
              marks.redisStarted = Date.now();
              resolveRedisStarted();
            });
        }
      };
      const client = async () => {
        while (next < events.length) {
          const item = events[next++]!;
          disrupt(next);
          try {
            // Every third event is accepted with respond-async: only the two worker processes settle those.
            const res = await fetch(`${lb.url}/v1/events`, {
              method: 'POST',
              headers: next % 3 === 0 ? { ...auth, prefer: 'respond-async' } : auth,
              body: item.body,
              signal: AbortSignal.timeout(60_000),
            });
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 200 && res.status < 300) acked.add(item.id);
          } catch {
            networkErrors += 1;
          }
        }
      };
      const loadStarted = Date.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, client));
      const loadMs = Date.now() - loadStarted;
      await replacement;
      await redisRestart;

      const [apiRecoveryMs, redisRecoveryMs] = await Promise.all([apiRecovery, redisRecovery]);

      // Every process that was not killed answers, and the replacement does too.
      expect(Object.values(await lb.states())).toEqual(['UP', 'UP', 'UP']);
      for (const [i, port] of ports.entries()) {
        expect(await ready(port), `api${i + 1} ready`).toBe(true);
        expect(alive(apis[i]!), `api${i + 1} running`).toBe(true);
      }
      // The workers survived the Redis restart and still work: only they retry (RUN_WORKER_IN_SERVER=false),
      // so an event no connector claims reaches its last attempt through them.
      for (const worker of workers) expect(alive(worker), `${worker.name} running:\n${worker.output()}`).toBe(true);
      const unknown = await postEventOverHttp(lb.url, API_KEY, { no: 'connector', drill: Date.now() });
      expect(unknown.status).toBe(201);
      const rawId = ((await unknown.json()) as { rawEvent: { id: string } }).rawEvent.id;
      const retried = await until(
        async () => {
          const res = await fetch(`${lb.url}/v1/raw-events/${rawId}`, { headers: auth });
          const raw = (await res.json()) as { status: string; attempts: number };
          return raw.attempts >= MAX_ATTEMPTS ? raw : null;
        },
        120_000,
        () => `a worker to retry ${rawId}:\n${workers.map((w) => w.output()).join('\n')}`,
      );
      expect(retried.attempts).toBe(MAX_ATTEMPTS);

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      let stored: Map<string, number>;
      let normalized: Map<string, number>;
      try {
        const queued = async () =>
          Number(
            (await db.query<{ n: string }>(`SELECT count(*) AS n FROM raw_events WHERE status = 'queued'`)).rows[0]!.n,
          );
        await until(
          async () => ((await queued()) === 0 ? true : null),
          120_000,
          () => `the workers to settle the queue:\n${workers.map((w) => w.output()).join('\n')}`,
        );
        const count = async (table: 'raw_events' | 'payment_events') =>
          new Map(
            (
              await db.query<{ id: string; n: string }>(
                `SELECT provider_event_id AS id, count(*) AS n FROM ${table} WHERE provider_event_id = ANY($1) GROUP BY 1`,
                [events.map((e) => e.id)],
              )
            ).rows.map((r) => [r.id, Number(r.n)]),
          );
        stored = await count('raw_events');
        normalized = await count('payment_events');
      } finally {
        await db.end();
      }
      const duplicates = [...stored.values()].filter((n) => n > 1).length;
      const twoxx = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
      const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
      console.log(
        `multi-node drill: sent ${EVENTS} in ${loadMs} ms (${CONCURRENCY} concurrent), 2xx ${twoxx}, 5xx ${fivexx} ` +
          `(503: ${statuses.get(503) ?? 0}), other ${JSON.stringify(Object.fromEntries(statuses))}, network errors ${networkErrors}; ` +
          `stored ${stored.size} (acknowledged ${acked.size}), duplicates ${duplicates}; ` +
          `killed api2 back in HAProxy ${apiRecoveryMs} ms after the kill; Redis down ${REDIS_DOWN_MS} ms, ` +
          `scores sharing Redis again ${redisRecoveryMs} ms after it came back`,
      );

      expect(acked.size).toBeGreaterThan(EVENTS / 2);
      for (const id of acked) {
        expect(stored.get(id), `acknowledged ${id} stored once`).toBe(1);
        expect(normalized.get(id), `acknowledged ${id} normalized once`).toBe(1);
      }
      expect(duplicates).toBe(0);
      expect([...normalized.values()].every((n) => n === 1)).toBe(true);
    },
  );
});
