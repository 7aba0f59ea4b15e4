import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { callApi, createTestApp, postEvent, type TestApp } from '../harness/app.js';
import { startPostgres, type RunningProcess } from '../harness/processes.js';
import { startReplica } from '../harness/replica.js';

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last statement of every session of the app's database: what each pooled connection ran. */
async function lastStatements(serverUrl: string): Promise<string[]> {
  const rows = await query<{ query: string }>(
    serverUrl,
    `SELECT query FROM pg_stat_activity WHERE datname = 'paylens' AND pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.query);
}

const LIST_QUERY = /from "payment_events" where "tenant_id" = \$1 order by "occurred_at" desc/i;
const SUMMARY_QUERY = /analytics_slices/i;

describe('PostgreSQL streaming replica behind DATABASE_READ_URL', { tags: ['postgres'], timeout: 180_000 }, () => {
  let primary: RunningProcess;
  let replica: RunningProcess | null = null;
  let t: TestApp | null = null;
  const primaryDb = () => primary.url.replace(/\/postgres$/, '/paylens');
  const replicaDb = () => replica!.url.replace(/\/postgres$/, '/paylens');
  const onReplica = (eventId: string) => async () =>
    (await query(replicaDb(), 'SELECT 1 FROM payment_events WHERE id = $1', [eventId])).length === 1;

  beforeAll(async () => {
    primary = await startPostgres();
    await query(primary.url, 'CREATE DATABASE paylens');
    replica = await startReplica(primary.url);
    await waitFor(async () => {
      const rows = await query(replica!.url, `SELECT 1 FROM pg_database WHERE datname = 'paylens'`);
      return rows.length === 1;
    }, 'the database reached the replica');
    t = await createTestApp('pglite', { DATABASE_URL: primaryDb(), DATABASE_READ_URL: replicaDb() });
  });
  afterAll(async () => {
    await t?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it('the replica is a standby streaming from the primary', async () => {
    const [standby] = await query<{ standby: boolean }>(replicaDb(), 'SELECT pg_is_in_recovery() AS standby');
    expect(standby?.standby).toBe(true);
    const senders = await query<{ state: string }>(primary.url, 'SELECT state FROM pg_stat_replication');
    expect(senders.map((s) => s.state)).toEqual(['streaming']);
  });

  it('the event list and the analytics are read on the replica, never on the primary', async () => {
    const app = t!;
    const res = await postEvent(app, stripeEvent('charge.succeeded', charge()));
    expect(res.statusCode).toBe(201);
    const eventId: string = res.json().events[0].id;
    await waitFor(onReplica(eventId), 'the event reached the replica');

    // Pooled connections keep their last statement in pg_stat_activity: each read is checked right after it.
    const list = await callApi(app, 'GET', '/v1/events?limit=10');
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(eventId);
    expect((await lastStatements(replica!.url)).some((q) => LIST_QUERY.test(q))).toBe(true);

    const to = new Date(Date.now() + 60_000).toISOString();
    const summary = await callApi(app, 'GET', `/v1/analytics/summary?from=2000-01-01T00:00:00Z&to=${to}`);
    expect(summary.statusCode).toBe(200);
    expect(summary.json().count).toBeGreaterThanOrEqual(1);
    expect((await lastStatements(replica!.url)).some((q) => SUMMARY_QUERY.test(q))).toBe(true);

    const primaryRan = await lastStatements(primary.url);
    expect(primaryRan.length).toBeGreaterThan(0);
    expect(primaryRan.some((q) => LIST_QUERY.test(q) || SUMMARY_QUERY.test(q))).toBe(false);
  });

  it('read-your-writes: with replay paused, the ingested event is still found by id (from the primary) while the list lags', async () => {
    const app = t!;
    await query(replicaDb(), 'SELECT pg_wal_replay_pause()');
    try {
      const res = await postEvent(app, stripeEvent('charge.succeeded', charge()));
      expect(res.statusCode).toBe(201);
      const eventId: string = res.json().events[0].id;
      expect(await onReplica(eventId)()).toBe(false);

      const byId = await callApi(app, 'GET', `/v1/events/${eventId}`);
      expect(byId.statusCode).toBe(200);
      expect(byId.json().id).toBe(eventId);
      // The list is the replica's: it does not have the event yet.
      const lagging = await callApi(app, 'GET', '/v1/events?limit=100');
      expect(lagging.json().data.map((e: { id: string }) => e.id)).not.toContain(eventId);
      // An id that exists nowhere is still 404 (asked of both).
      expect((await callApi(app, 'GET', '/v1/events/evt_01jzzzzzzzzzzzzzzzzzzzzzzz')).statusCode).toBe(404);

      await query(replicaDb(), 'SELECT pg_wal_replay_resume()');
      await waitFor(onReplica(eventId), 'the event reached the replica after replay resumed');
      const caughtUp = await callApi(app, 'GET', '/v1/events?limit=100');
      expect(caughtUp.json().data.map((e: { id: string }) => e.id)).toContain(eventId);
    } finally {
      await query(replicaDb(), 'SELECT pg_wal_replay_resume()');
    }
  });
});
