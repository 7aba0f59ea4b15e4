import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { postEventOverHttp } from './server-process.js';
import { postgresCluster, type RestartableProcess } from '../harness/processes.js';
import { spawnServer, until, type ServerUnderTest } from './faults-processes.js';

const API_KEY = `pl_${randomBytes(32).toString('base64url')}`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function started(postgres: RestartableProcess, env: Record<string, string> = {}): Promise<ServerUnderTest> {
  const server = await spawnServer({ DATABASE_URL: postgres.url, PAYLENS_BOOTSTRAP_API_KEY: API_KEY, ...env });
  cleanup.push(() => server.stop());
  return server;
}

const ready = (server: ServerUnderTest) => fetch(`${server.base}/health/ready`, { signal: AbortSignal.timeout(5000) });

function logLines(server: ServerUnderTest): { msg?: string; attempt?: number; delayMs?: number }[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; attempt?: number; delayMs?: number });
}

describe('PostgreSQL faults', { tags: ['postgres'] }, () => {
  it(
    'a server started before its database retries with backoff, answers health meanwhile, and becomes ready when it appears',
    { timeout: 180_000 },
    async () => {
      // Durable, as a deployment is: the drills count acknowledged events across the database's stops.
      const postgres = await postgresCluster({ durable: true });
      cleanup.push(() => postgres.destroy());
      const server = await started(postgres);

      const live = await until(
        async () => {
          const res = await fetch(`${server.base}/health/live`);
          return res.ok ? res : null;
        },
        60_000,
        'liveness while the database is down',
        server,
      );
      const liveBody = await live.json();
      expect(liveBody).toMatchObject({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      expect(typeof liveBody.uptimeS).toBe('number');
      expect(liveBody.commit === null || /^[0-9a-f]{7,40}$/.test(liveBody.commit)).toBe(true);

      const notReady = await ready(server);
      expect(notReady.status).toBe(503);
      expect(notReady.headers.get('content-type')).toContain('application/problem+json');
      expect(await notReady.json()).toMatchObject({
        code: 'unavailable',
        checks: { database: { status: 'down', required: true, error: expect.any(String) } },
      });
      const ingest = await postEventOverHttp(server.base, API_KEY, stripeEvent('charge.succeeded', charge()));
      expect(ingest.status).toBe(503);
      expect(ingest.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await ingest.json()).code).toBe('unavailable');

      // Let it fail a few times, each logged with a growing delay.
      await until(
        async () =>
          logLines(server).filter((l) => l.msg?.startsWith('database not reachable')).length >= 3 ? true : null,
        30_000,
        'three logged attempts',
        server,
      );
      const databaseAt = Date.now();
      await postgres.start();
      await until(async () => ((await ready(server)).status === 200 ? true : null), 60_000, 'readiness', server);
      const readyAfterMs = Date.now() - databaseAt;

      const attempts = logLines(server).filter((l) => l.msg?.startsWith('database not reachable'));
      const delays = attempts.map((a) => a.delayMs ?? 0);
      expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
      expect(delays[2]!).toBeGreaterThan(delays[0]!);
      const body = await (await ready(server)).json();
      // A separate worker is expected with PostgreSQL and none runs: ready, degraded.
      expect(body).toMatchObject({
        status: 'degraded',
        checks: { database: { status: 'ok', required: true }, worker: { status: 'down', required: false } },
      });
      const stored = await postEventOverHttp(server.base, API_KEY, stripeEvent('charge.succeeded', charge()));
      expect(stored.status).toBe(201);
      console.log(`drill: database started after ${attempts.length} attempts; ready ${readyAfterMs} ms later`);
    },
  );

  it(
    'PostgreSQL stopped under load: 503 unavailable with Retry-After, never a 2xx for an unstored event, and recovery without a restart',
    { timeout: 240_000 },
    async () => {
      const postgres = await postgresCluster({ durable: true });
      cleanup.push(() => postgres.destroy());
      await postgres.start();
      const server = await started(postgres, { RUN_WORKER_IN_SERVER: 'true' });
      await until(async () => ((await ready(server)).status === 200 ? true : null), 90_000, 'readiness', server);
      expect((await (await ready(server)).json()).status).toBe('ok');

      const acked = new Set<string>();
      const statuses = new Map<number, number>();
      const unavailable: { retryAfter: string | null; code: unknown }[] = [];
      let lastOk = 0;
      let stop = false;
      const client = async () => {
        while (!stop) {
          const event = stripeEvent('charge.succeeded', charge());
          const id = event.id as string;
          try {
            const res = await postEventOverHttp(server.base, API_KEY, event, AbortSignal.timeout(10_000));
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 200 && res.status < 300) {
              acked.add(id);
              lastOk = Date.now();
              await res.arrayBuffer();
            } else if (res.status === 503) {
              unavailable.push({ retryAfter: res.headers.get('retry-after'), code: (await res.json()).code });
              // A client honouring Retry-After would wait its seconds; the drill keeps pressure on.
              await new Promise((r) => setTimeout(r, 20));
            } else await res.arrayBuffer();
          } catch {
            // A timeout or reset: never an acknowledgement.
          }
        }
      };
      const clients = Array.from({ length: 8 }, client);
      await new Promise((r) => setTimeout(r, 1500));
      const ackedBefore = acked.size;

      await postgres.stop();
      const stoppedAt = Date.now();
      await until(async () => ((await ready(server)).status === 503 ? true : null), 10_000, 'readiness 503', server);
      await new Promise((r) => setTimeout(r, 3000));
      // A batch answers item by item (its chunks commit apart): every item 503 unavailable, none stored.
      const batchEvents = Array.from({ length: 5 }, () => stripeEvent('charge.succeeded', charge()));
      const batch = await fetch(`${server.base}/v1/events/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(batchEvents),
        signal: AbortSignal.timeout(10_000),
      });
      const batchAnswer = (await batch.json()) as { items: { status: number; error?: { code: string } }[] };
      expect(batch.status).toBe(200);
      expect(batchAnswer.items.map((i) => [i.status, i.error?.code])).toEqual(
        batchEvents.map(() => [503, 'unavailable']),
      );
      const ackedDuringOutage = [...acked].length - ackedBefore;
      const outage = unavailable.length;

      await postgres.start();
      const backAt = Date.now();
      await until(async () => (lastOk > backAt ? true : null), 60_000, 'a 2xx after the database returned', server);
      const recoveredMs = lastOk - backAt;
      await new Promise((r) => setTimeout(r, 1500));
      stop = true;
      await Promise.all(clients);

      expect(ackedBefore).toBeGreaterThan(0);
      expect(outage).toBeGreaterThan(0);
      expect(unavailable.every((u) => u.code === 'unavailable' && /^\d+$/.test(u.retryAfter ?? ''))).toBe(true);
      // Nothing but 201 (stored) and 503 (not stored): no 500s, no other 2xx.
      expect([...statuses.keys()].sort()).toEqual([201, 503]);
      expect((await ready(server)).status).toBe(200);

      const db = new pg.Client({ connectionString: postgres.url });
      await db.connect();
      try {
        const { rows } = await db.query<{ provider_event_id: string }>(`SELECT provider_event_id FROM raw_events`);
        const stored = new Set(rows.map((r) => r.provider_event_id));
        const missing = [...acked].filter((id) => !stored.has(id));
        expect(missing).toEqual([]);
        expect(batchEvents.filter((e) => stored.has(e.id as string))).toEqual([]);
        expect(rows.length).toBe(stored.size);
        console.log(
          `drill: ${acked.size} acknowledged (${ackedBefore} before the stop, ${ackedDuringOutage} during the ~${Math.round((backAt - stoppedAt) / 1000)} s outage), ` +
            `${stored.size} stored, ${outage} answered 503 during the outage, status counts ${JSON.stringify(Object.fromEntries(statuses))}; ` +
            `first 2xx ${recoveredMs} ms after PostgreSQL accepted connections again`,
        );
      } finally {
        await db.end();
      }
    },
  );
});
