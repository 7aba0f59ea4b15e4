import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { freePort } from '../harness/processes.js';
import { createPostgresDatabase } from '../harness/stores.js';
import { postEventOverHttp } from './server-process.js';

const API_KEY = `pl_${randomBytes(32).toString('base64url')}`;
const LOAD_MS = 1500;
const CONCURRENCY = 16;

async function startServer(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PAYLENS_BOOTSTRAP_API_KEY: API_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
      ...env,
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const up = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { child, base };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const post = (base: string, body: string) => postEventOverHttp(base, API_KEY, body, AbortSignal.timeout(10_000));

/**
 * CONCURRENCY clients posting distinct events to `base` for LOAD_MS, then kill -9 of `child`: every
 * event sent, and the ids of those `acknowledged` (any 2xx by default) before the kill.
 */
async function loadThenKill(
  base: string,
  child: ChildProcess,
  headers: Record<string, string> = {},
  acknowledged: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<{ sent: { id: string; body: string }[]; acked: Set<string> }> {
  const sent: { id: string; body: string }[] = [];
  const acked = new Set<string>();
  let stop = false;
  const client = async () => {
    while (!stop) {
      const event = stripeEvent('charge.succeeded', charge({ amount: 1000 + sent.length }));
      const item = { id: event.id as string, body: JSON.stringify(event) };
      sent.push(item);
      try {
        const res = await fetch(`${base}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
          body: item.body,
          signal: AbortSignal.timeout(10_000),
        });
        if (acknowledged(res.status)) acked.add(item.id);
        await res.arrayBuffer();
      } catch {
        // The server is gone: this one was never acknowledged.
        return;
      }
    }
  };
  const clients = Array.from({ length: CONCURRENCY }, client);
  await new Promise((r) => setTimeout(r, LOAD_MS));
  await killed(child);
  stop = true;
  await Promise.all(clients);
  return { sent, acked };
}

describe('a server killed under load', { tags: ['postgres'] }, () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killed));
  });

  it(
    'keeps every acknowledged event exactly once, and a resend after restart stores the rest once',
    { timeout: 240_000 },
    async () => {
      const databaseUrl = await createPostgresDatabase();
      const first = await startServer(databaseUrl);
      children.push(first.child);

      const { sent, acked } = await loadThenKill(first.base, first.child);
      expect(acked.size).toBeGreaterThan(0);

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const counts = async () => {
          const raw = await db.query<{ provider_event_id: string; n: string }>(
            `SELECT provider_event_id, count(*) AS n FROM raw_events GROUP BY provider_event_id`,
          );
          const events = await db.query<{ provider_event_id: string; n: string }>(
            `SELECT provider_event_id, count(*) AS n FROM payment_events GROUP BY provider_event_id`,
          );
          return {
            raw: new Map(raw.rows.map((r) => [r.provider_event_id, Number(r.n)])),
            events: new Map(events.rows.map((r) => [r.provider_event_id, Number(r.n)])),
          };
        };
        const afterCrash = await counts();
        for (const id of acked) {
          expect(afterCrash.raw.get(id), `acknowledged ${id} stored once`).toBe(1);
          expect(afterCrash.events.get(id), `acknowledged ${id} normalized once`).toBe(1);
        }
        expect([...afterCrash.raw.values()].every((n) => n === 1)).toBe(true);

        // The provider's redelivery: every event again, acknowledged or not.
        const second = await startServer(databaseUrl);
        children.push(second.child);
        const statuses = new Map<string, number>();
        for (let i = 0; i < sent.length; i += CONCURRENCY) {
          const slice = sent.slice(i, i + CONCURRENCY);
          const answers = await Promise.all(
            slice.map((item) => post(second.base, item.body).then(async (r) => (await r.arrayBuffer(), r.status))),
          );
          slice.forEach((item, j) => statuses.set(item.id, answers[j]!));
        }
        for (const id of acked) expect(statuses.get(id), `acknowledged ${id} is a replay`).toBe(200);
        const afterResend = await counts();
        for (const item of sent) {
          expect(afterResend.raw.get(item.id)).toBe(1);
          expect(afterResend.events.get(item.id)).toBe(1);
        }
        await killed(second.child);
      } finally {
        await db.end();
      }
    },
  );

  it(
    'keeps every event accepted with respond-async, and settles each exactly once after the restart',
    { timeout: 240_000 },
    async () => {
      const databaseUrl = await createPostgresDatabase();
      // The server drains its own queue while it accepts, so the kill lands between accepting and
      // settling, and likely inside a pass; a short claim lets the next server take that pass's events.
      const env = { RUN_WORKER_IN_SERVER: 'true', INTAKE_QUEUE_LEASE_MS: '2000' };
      const first = await startServer(databaseUrl, env);
      children.push(first.child);
      const { acked } = await loadThenKill(
        first.base,
        first.child,
        { prefer: 'respond-async' },
        (status) => status === 202,
      );
      expect(acked.size).toBeGreaterThan(0);

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const state = async () => {
          const { rows } = await db.query<{ provider_event_id: string; status: string; raws: string; events: string }>(
            `SELECT r.provider_event_id, min(r.status) AS status, count(DISTINCT r.id) AS raws, count(e.id) AS events
             FROM raw_events r LEFT JOIN payment_events e ON e.raw_event_id = r.id
             GROUP BY r.provider_event_id`,
          );
          return new Map(
            rows.map((r) => [
              r.provider_event_id,
              { status: r.status, raws: Number(r.raws), events: Number(r.events) },
            ]),
          );
        };
        // Right after the kill: every accepted event is stored once, and settled all or nothing.
        const afterCrash = await state();
        for (const id of acked) {
          const row = afterCrash.get(id);
          expect(row?.raws, `accepted ${id} stored once`).toBe(1);
          expect(row?.events, `${id}: events exactly when settled`).toBe(row?.status === 'normalized' ? 1 : 0);
        }

        const second = await startServer(databaseUrl, env);
        children.push(second.child);
        const deadline = Date.now() + 90_000;
        let settled = await state();
        while ([...settled.values()].some((r) => r.status === 'queued') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          settled = await state();
        }
        for (const id of acked)
          expect(settled.get(id), `accepted ${id} settled once`).toEqual({ status: 'normalized', raws: 1, events: 1 });
        expect([...settled.values()].every((r) => r.status === 'normalized' && r.events === 1)).toBe(true);
        await killed(second.child);
      } finally {
        await db.end();
      }
    },
  );
});
