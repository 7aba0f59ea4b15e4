import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer, type Container } from '../../src/container.js';
import type { Database } from '../../src/database.js';
import { RawEventRepository } from '../../src/modules/ingest/index.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/platform/db/client.js';
import { migrationProvider } from '../../src/platform/db/migrations/index.js';
import type { App } from '../../src/platform/http/types.js';
import { configFor } from '../harness/app.js';
import { createPostgresDatabase, storeKinds, type StoreKind } from '../harness/stores.js';

const PARTITIONING = '080_event_partitions';

/** Which table of a partitioned one holds each row: the month's partition, or the default one. */
async function placement(db: Kysely<Database>, table: string, column: string): Promise<Record<string, string>> {
  const rows = await sql<{ part: string; value: string }>`
    SELECT tableoid::regclass::text AS part, ${sql.ref(column)} AS value FROM ${sql.table(table)}`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [r.value, r.part]));
}

interface ClockedApp {
  app: App;
  container: Container;
  apiKey: string;
  setNow(iso: string): void;
  post(payload: unknown): Promise<{ statusCode: number; body: { rawEvent: { id: string }; events: { id: string }[] } }>;
  close(): Promise<void>;
}

/** A server whose clock the test moves: events arrive in whatever month the test needs. */
async function clockedApp(store: StoreKind, env: Record<string, string> = {}): Promise<ClockedApp> {
  let now = new Date('2030-01-01T00:00:00Z');
  const container = await createContainer(await configFor(store, env), { clock: () => now });
  const app = await buildApp(container, { logger: false });
  await app.ready();
  const tenant = await container.tenants.create('acme');
  const { secret: apiKey } = await container.apiKeys.issue(tenant!.id, 'test');
  return {
    app,
    container,
    apiKey,
    setNow: (iso) => (now = new Date(iso)),
    post: async (payload) => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      return { statusCode: res.statusCode, body: res.json() };
    },
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}

describe.each(storeKinds())('monthly partitions on %s', { timeout: 180_000 }, (store) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('migration 080 moves existing rows into their months, keeps every index, and dedupes across months', async () => {
    const handle: DatabaseHandle<Database> = await openDatabase<Database>({
      databaseUrl: store === 'postgres' ? await createPostgresDatabase() : undefined,
      dataDir: 'memory://',
      poolSize: 2,
    });
    cleanups.push(() => handle.close());
    const { db } = handle;
    const names = Object.keys(await migrationProvider.getMigrations()).sort();
    const before = names[names.indexOf(PARTITIONING) - 1]!;
    const partial = await new Migrator({ db, provider: migrationProvider }).migrateTo(before);
    expect(partial.error).toBeUndefined();

    await sql`INSERT INTO tenants (id, name) VALUES ('ten_1', 'acme')`.execute(db);
    for (const [id, at] of [
      ['raw_jan', '2025-01-15T10:00:00Z'],
      ['raw_mar', '2025-03-10T10:00:00Z'],
    ] as const) {
      await sql`INSERT INTO raw_events (id, tenant_id, source, provider, provider_event_id, content_type, payload, payload_sha256, status, received_at)
                VALUES (${id}, 'ten_1', 'api', 'stripe', ${`evt_${id}`}, 'application/json', '{}', 'x', 'normalized', ${at})`.execute(
        db,
      );
      await sql`INSERT INTO payment_events (id, tenant_id, raw_event_id, source, provider, type, status, amount_minor, currency,
                  occurred_at, received_at, normalized_at, normalization_method, confidence, metadata)
                VALUES (${`evt_${id}`}, 'ten_1', ${id}, 'api', 'stripe', 'sale', 'succeeded', 100, 'USD', ${at}, ${at}, ${at}, 'connector', 1,
                  '{"captureId":"cap_1"}')`.execute(db);
      await sql`INSERT INTO risk_assessments (id, tenant_id, transaction_id, source, occurred_at, scored_at, score, rules_score,
                  risk_level, decision, reasons, features, rules_version, amount_usd_minor, latency_ms)
                VALUES (${`rsk_${id}`}, 'ten_1', ${`tx_${id}`}, 'event', ${at}, ${at}, 0.1, 0.1, 'low', 'approve', '[]', '{}', 1, 100, 1)`.execute(
        db,
      );
    }

    expect(await migrateToLatest(db)).toContain(PARTITIONING);

    expect(await placement(db, 'raw_events', 'id')).toEqual({
      raw_jan: 'raw_events_p2025_01',
      raw_mar: 'raw_events_p2025_03',
    });
    expect(await placement(db, 'payment_events', 'id')).toEqual({
      evt_raw_jan: 'payment_events_p2025_01',
      evt_raw_mar: 'payment_events_p2025_03',
    });
    expect(await placement(db, 'risk_assessments', 'id')).toEqual({
      rsk_raw_jan: 'risk_assessments_p2025_01',
      rsk_raw_mar: 'risk_assessments_p2025_03',
    });
    const indexes = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE tablename IN ('raw_events', 'payment_events', 'risk_assessments')`.execute(
      db,
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'raw_events_retry_idx',
        'raw_events_tenant_status_idx',
        'payment_events_list_idx',
        'payment_events_payment_idx',
        'payment_events_capture_idx',
        'payment_events_raw_seq_idx',
        'payment_events_customer_idx',
        'risk_assessments_tenant_time_idx',
        'risk_assessments_tenant_tx_idx',
      ]),
    );

    // The same provider event arriving months later is still the stored one.
    const raws = new RawEventRepository(db);
    const row = {
      tenant_id: 'ten_1',
      source: 'api',
      provider: 'stripe',
      content_type: 'application/json',
      payload: '{}',
      payload_sha256: 'x',
      status: 'normalized',
      error: null,
      attempts: 0,
      next_attempt_at: null,
      endpoint_id: null,
      processed_at: null,
      received_at: new Date(),
    };
    const again = await raws.insertIgnoringDuplicates(db, [
      { ...row, id: 'raw_again', provider_event_id: 'evt_raw_jan' },
      { ...row, id: 'raw_new', provider_event_id: 'evt_new' },
    ]);
    expect([...again]).toEqual(['raw_new']);
    const stored = await raws.findByDedupeKeys('ten_1', [{ provider: 'stripe', providerEventId: 'evt_raw_jan' }]);
    expect([...stored.values()].map((r) => r.id)).toEqual(['raw_jan']);
  });

  it('an event in a month without a partition waits in the default one and moves when maintenance makes the month', async () => {
    const t = await clockedApp(store);
    cleanups.push(() => t.close());
    t.setNow('2031-05-10T12:00:00Z');
    const event = stripeEvent('charge.succeeded', charge());
    const first = await t.post(event);
    expect(first.statusCode).toBe(201);
    await t.container.risk.recorder.flush();
    expect((await placement(t.container.db, 'raw_events', 'id'))[first.body.rawEvent.id]).toBe('raw_events_default');

    const result = await t.container.partitions.runOnce();
    expect(result.created).toEqual(
      expect.arrayContaining([
        'raw_events_p2031_05',
        'raw_events_p2031_06',
        'raw_events_p2031_07',
        'payment_events_p2031_05',
        'risk_assessments_p2031_05',
      ]),
    );
    expect((await placement(t.container.db, 'raw_events', 'id'))[first.body.rawEvent.id]).toBe('raw_events_p2031_05');
    expect((await placement(t.container.db, 'payment_events', 'id'))[first.body.events[0]!.id]).toBe(
      'payment_events_p2031_05',
    );
    const assessments = await sql<{ part: string }>`
      SELECT tableoid::regclass::text AS part FROM risk_assessments`.execute(t.container.db);
    expect(assessments.rows.map((r) => r.part)).toEqual(['risk_assessments_p2031_05']);

    // Moved, it still answers reads and redeliveries; a second pass has nothing to do.
    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/events/${first.body.events[0]!.id}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    expect(read.statusCode).toBe(200);
    const again = await t.post(event);
    expect(again.statusCode).toBe(200);
    expect(again.body.rawEvent.id).toBe(first.body.rawEvent.id);
    expect((await t.container.partitions.runOnce()).created).toEqual([]);
  });

  it('RAW_EVENT_RETENTION_DAYS drops expired months whole and the older rows of the month across the cutoff', async () => {
    const t = await clockedApp(store, { RAW_EVENT_RETENTION_DAYS: '30' });
    cleanups.push(() => t.close());
    const sent: Record<string, { payload: unknown; rawId: string }> = {};
    const send = async (name: string, at: string) => {
      t.setNow(at);
      const payload = stripeEvent('charge.succeeded', charge());
      const res = await t.post(payload);
      expect(res.statusCode).toBe(201);
      sent[name] = { payload, rawId: res.body.rawEvent.id };
    };
    await send('january', '2030-01-10T12:00:00Z');
    // Maintenance in January makes January's month, which the later pass drops whole.
    await t.container.partitions.runOnce();
    await send('february', '2030-02-20T12:00:00Z');
    await send('march', '2030-03-05T12:00:00Z');
    const paymentEventsBefore = await t.container.db
      .selectFrom('payment_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();

    t.setNow('2030-03-25T12:00:00Z'); // cutoff 2030-02-23
    const result = await t.container.partitions.runOnce();
    expect(result.dropped).toContain('raw_events_p2030_01');
    expect(result.dropped).not.toContain('raw_events_p2030_02');
    expect(result.dropped.some((name) => !name.startsWith('raw_events_'))).toBe(false);
    expect(result.deletedRows).toBeGreaterThanOrEqual(2); // February's raw event and its dedupe key

    const raws = await placement(t.container.db, 'raw_events', 'id');
    expect(raws).toEqual({ [sent.march!.rawId]: 'raw_events_p2030_03' });
    const keys = await t.container.db.selectFrom('raw_event_keys').select('raw_event_id').execute();
    expect(keys.map((k) => k.raw_event_id)).toEqual([sent.march!.rawId]);
    // Normalized events have no retention of their own here: only the raw payloads went.
    const paymentEventsAfter = await t.container.db
      .selectFrom('payment_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(paymentEventsAfter.n)).toBe(Number(paymentEventsBefore.n));

    // The dedupe window is the retention: an expired event sent again is stored again; a kept one is not.
    expect((await t.post(sent.january!.payload)).statusCode).toBe(201);
    expect((await t.post(sent.march!.payload)).statusCode).toBe(200);
  });
});
