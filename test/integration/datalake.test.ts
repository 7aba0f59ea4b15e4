import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { capture, paypalEvent } from '../../src/modules/normalize/connectors/paypal/__fixtures__/paypal-events.js';
import { DatalakePoller, lakeMerchant, lakeRowBody } from '../../src/modules/ingest/datalake/datalake.poller.js';
import { openLakeSource, type LakeSource } from '../../src/modules/ingest/datalake/datalake.source.js';
import { callApi, createTestApp, appForSuite } from '../harness/app.js';
import { createPostgresDatabase, storeKinds } from '../harness/stores.js';

const run = promisify(execFile);

async function createLake(): Promise<{ url: string; client: pg.Client }> {
  const url = await createPostgresDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE raw_transactions (
    id uuid PRIMARY KEY, data jsonb NOT NULL, merchant jsonb, transactional_id uuid,
    processed boolean NOT NULL DEFAULT false, processed_at timestamptz, created_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  return { url, client };
}

async function addRows(client: pg.Client, datas: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (const data of datas) {
    const id = randomUUID();
    await client.query('INSERT INTO raw_transactions (id, data, merchant, transactional_id) VALUES ($1, $2, $3, $4)', [
      id,
      JSON.stringify(data),
      JSON.stringify({ id: 'm_1', name: 'Shop' }),
      randomUUID(),
    ]);
    ids.push(id);
  }
  return ids;
}

async function addRow(client: pg.Client, data: unknown, merchant: unknown, transactionalId: string): Promise<string> {
  const id = randomUUID();
  await client.query('INSERT INTO raw_transactions (id, data, merchant, transactional_id) VALUES ($1, $2, $3, $4)', [
    id,
    JSON.stringify(data),
    JSON.stringify(merchant),
    transactionalId,
  ]);
  return id;
}

/**
 * A PayPal capture event that Stripe's detector claims too, and more surely (an `object: "event"`
 * envelope with `type` and `data`, and an id that is not a PayPal webhook id): only a hint makes it PayPal's.
 */
function ambiguousPaypalCapture(hints: Record<string, unknown>): { data: Record<string, unknown>; captureId: string } {
  const resource = capture();
  return {
    data: {
      ...paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', resource),
      id: `lake-${randomUUID()}`,
      object: 'event',
      type: 'payment',
      data: {},
      ...hints,
    },
    captureId: resource.id as string,
  };
}

const xmlPayment =
  '<payment><id>PAY-XML-1</id><amount>12.50</amount><currency>EUR</currency><status>approved</status></payment>';
const csvPayment = 'id,amount,currency,status\nPAY-CSV-1,9.99,USD,declined\n';

describe('data lake row bodies', () => {
  it('reads the provider and p_id hints beside the payload or its {content} text', () => {
    expect(lakeRowBody({ content: xmlPayment, provider: ' Adyen ', p_id: 8835511210681543 })).toEqual({
      body: xmlPayment,
      contentType: 'application/xml',
      provider: 'Adyen',
      paymentId: '8835511210681543',
    });
    expect(lakeRowBody({ id: 1, provider: 'stripe', p_id: 'ch_123' })).toEqual({
      body: '{"id":1,"provider":"stripe","p_id":"ch_123"}',
      contentType: 'application/json',
      provider: 'stripe',
      paymentId: 'ch_123',
    });
    expect(lakeRowBody({ content: 'x', provider: '' })).toEqual({
      body: 'x',
      contentType: 'text/csv',
    });
  });

  it('reads the merchant column as an id or an object with an id, name and country', () => {
    expect(lakeMerchant('m_9')).toEqual({ id: 'm_9' });
    expect(lakeMerchant(42)).toEqual({ id: '42' });
    expect(lakeMerchant({ merchant_id: 'm_1', name: 'Shop', country: 'es' })).toEqual({
      id: 'm_1',
      name: 'Shop',
      country: 'ES',
    });
    expect(lakeMerchant({ country: 'Spain' })).toBeUndefined();
    expect(lakeMerchant(null)).toBeUndefined();
  });

  it('passes JSON through and unwraps {content} text with its content type', () => {
    expect(lakeRowBody({ a: 1 })).toEqual({ body: '{"a":1}', contentType: 'application/json' });
    expect(lakeRowBody({ content: xmlPayment })).toEqual({ body: xmlPayment, contentType: 'application/xml' });
    expect(lakeRowBody({ content: csvPayment })).toEqual({ body: csvPayment, contentType: 'text/csv' });
    expect(lakeRowBody({ content: 'x', other: 1 })).toEqual({
      body: '{"content":"x","other":1}',
      contentType: 'application/json',
    });
  });
});

describe.each(storeKinds())('data lake poller into %s', { tags: ['postgres'] }, (store) => {
  let lake: { url: string; client: pg.Client };
  let source: LakeSource;
  const poller = (src: LakeSource = source, pageSize = 2) =>
    new DatalakePoller({
      source: src,
      intake: t.container.intake,
      registry: t.container.registry,
      tenantId: t.tenantId,
      pageSize,
      logger: t.container.logger,
    });
  const rawRows = (ids: string[]) =>
    t.container.db
      .selectFrom('raw_events')
      .select(['id', 'provider_event_id', 'source', 'status'])
      .where(
        'provider_event_id',
        'in',
        ids.map((id) => `idem:${id}`),
      )
      .execute();
  const unprocessedLakeRows = async (ids: string[]) =>
    (
      await lake.client.query<{ id: string }>(
        'SELECT id::text AS id FROM raw_transactions WHERE processed = false AND id = ANY($1::uuid[])',
        [ids],
      )
    ).rows.length;

  const t = appForSuite(store);
  beforeAll(async () => {
    lake = await createLake();
    source = openLakeSource(lake.url);
  });
  afterAll(async () => {
    await source.close();
    await lake.client.end();
  });

  it('ingests rows of any shape page by page and flags each processed', async () => {
    const stripe = stripeEvent('charge.succeeded', charge({ amount: 777 }));
    const ids = await addRows(lake.client, [
      stripe,
      { whatever: 'shape', n: 1 },
      { content: xmlPayment },
      { content: csvPayment },
      { content: JSON.stringify(stripeEvent('charge.succeeded', charge())) },
    ]);
    const summary = await poller().pollOnce();
    expect(summary).toEqual({ read: 5, stored: 5, replayed: 0, failed: 0 });
    expect(await unprocessedLakeRows(ids)).toBe(0);
    const stored = await rawRows(ids);
    expect(stored).toHaveLength(5);
    expect(new Set(stored.map((r) => r.source))).toEqual(new Set(['datalake']));
    const marked = await lake.client.query<{ processed_at: Date | null }>(
      'SELECT processed_at FROM raw_transactions WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(marked.rows.every((r) => r.processed_at instanceof Date)).toBe(true);
    const normalized = await t.container.db
      .selectFrom('payment_events')
      .select(['amount_minor', 'source'])
      .where('provider_event_id', '=', stripe.id as string)
      .execute();
    expect(normalized.map((r) => [Number(r.amount_minor), r.source])).toEqual([[777, 'datalake']]);
  });

  it('a crash between storing and flagging creates no duplicate: the re-read is a replay', async () => {
    const ids = await addRows(lake.client, [stripeEvent('charge.succeeded', charge()), { crash: 1 }, { crash: 2 }]);
    const crashing: LakeSource = {
      ...source,
      markProcessed: async () => Promise.reject(new Error('killed before flagging')),
    };
    await expect(poller(crashing, 10).pollOnce()).rejects.toThrow('killed before flagging');
    expect(await unprocessedLakeRows(ids)).toBe(3);
    expect(await rawRows(ids)).toHaveLength(3);

    const again = await poller(source, 10).pollOnce();
    expect(again).toEqual({ read: 3, stored: 0, replayed: 3, failed: 0 });
    expect(await unprocessedLakeRows(ids)).toBe(0);
    expect(await rawRows(ids)).toHaveLength(3);
    const events = await t.container.db
      .selectFrom('payment_events')
      .select('id')
      .where(
        'raw_event_id',
        'in',
        (await rawRows(ids)).map((r) => r.id),
      )
      .execute();
    expect(events).toHaveLength(1);
  });

  it('a row holding a list becomes one raw event per item, none dropped, none doubled on re-read', async () => {
    const list = [
      stripeEvent('charge.succeeded', charge()),
      stripeEvent('charge.failed', charge({ status: 'failed' })),
    ];
    const csv = 'id,amount,currency,status\nPAY-CSV-A,1.00,USD,approved\nPAY-CSV-B,2.00,USD,approved\n';
    const ids = await addRows(lake.client, [list, { content: csv }]);
    expect(await poller().pollOnce()).toEqual({ read: 2, stored: 2, replayed: 0, failed: 0 });
    const keys = [`${ids[0]}:0`, `${ids[0]}:1`, `${ids[1]}:0`, `${ids[1]}:1`];
    expect((await rawRows(keys)).map((r) => r.provider_event_id).sort()).toEqual(keys.map((k) => `idem:${k}`).sort());
    await lake.client.query('UPDATE raw_transactions SET processed = false WHERE id = ANY($1::uuid[])', [ids]);
    expect(await poller().pollOnce()).toEqual({ read: 2, stored: 0, replayed: 2, failed: 0 });
    expect(await rawRows(keys)).toHaveLength(4);
  });

  it('puts the merchant column and transactional_id on the events, searchable on the events list', async () => {
    const stripe = stripeEvent('charge.succeeded', charge({ amount: 1234 }));
    const transactionalId = randomUUID();
    await addRow(lake.client, stripe, { id: 'm_lake', name: 'Lake Shop', country: 'es' }, transactionalId);
    await addRow(lake.client, stripeEvent('charge.succeeded', charge()), 'm_other', randomUUID());
    expect(await poller().pollOnce()).toEqual({ read: 2, stored: 2, replayed: 0, failed: 0 });

    const found = await callApi(t, 'GET', `/v1/events?transactionalId=${transactionalId}`);
    expect(found.statusCode).toBe(200);
    const events = found.json<{ data: Record<string, unknown>[] }>().data;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      providerEventId: stripe.id,
      amountMinor: 1234,
      source: 'datalake',
      merchant: { id: 'm_lake', name: 'Lake Shop', country: 'ES' },
      metadata: { transactionalId },
    });
    const none = await callApi(t, 'GET', `/v1/events?transactionalId=${randomUUID()}`);
    expect(none.json<{ data: unknown[] }>().data).toEqual([]);
  });

  it('the provider and p_id hints decide between connectors that both claim a row', async () => {
    const named = ambiguousPaypalCapture({ provider: 'PayPal' });
    const byPaymentId = ambiguousPaypalCapture({});
    byPaymentId.data.p_id = byPaymentId.captureId;
    const unhinted = ambiguousPaypalCapture({});
    const unknownName = ambiguousPaypalCapture({ provider: 'SomePSP' });
    const ids = [
      await addRow(lake.client, named.data, 'm_1', randomUUID()),
      await addRow(lake.client, byPaymentId.data, 'm_1', randomUUID()),
      await addRow(lake.client, unhinted.data, 'm_1', randomUUID()),
      await addRow(lake.client, unknownName.data, 'm_1', randomUUID()),
    ];
    expect(await poller().pollOnce()).toMatchObject({ read: 4, failed: 0 });
    const raws = await t.container.db
      .selectFrom('raw_events')
      .select(['provider_event_id', 'provider'])
      .where(
        'provider_event_id',
        'in',
        ids.map((id) => `idem:${id}`),
      )
      .execute();
    const providerOf = new Map(raws.map((r) => [r.provider_event_id, r.provider]));
    expect(ids.map((id) => providerOf.get(`idem:${id}`))).toEqual(['paypal', 'paypal', 'stripe', 'stripe']);
    const captured = await t.container.db
      .selectFrom('payment_events')
      .select(['provider', 'provider_payment_id'])
      .where('provider', '=', 'paypal')
      .where(sql<string>`metadata->>'captureId'`, 'in', [named.captureId, byPaymentId.captureId])
      .execute();
    expect(captured).toHaveLength(2);
  });

  it('leaves a row the intake rejects unprocessed and goes on with the rest', async () => {
    const ids = await addRows(lake.client, [{ content: '<unclosed' }, { fine: true }]);
    const summary = await poller(source, 1).pollOnce();
    expect(summary.failed).toBe(1);
    expect(summary.stored).toBe(1);
    expect(await unprocessedLakeRows(ids)).toBe(1);
    await lake.client.query('UPDATE raw_transactions SET processed = true WHERE id = $1', [ids[0]]);
  });
});

describe('paylens datalake poll (CLI)', { tags: ['postgres'] }, () => {
  it('polls once for a named tenant and prints a summary', { timeout: 180_000 }, async () => {
    const t = await createTestApp('postgres');
    const lake = await createLake();
    try {
      const ids = await addRows(lake.client, [stripeEvent('charge.succeeded', charge()), { any: 'json' }]);
      const env = {
        ...process.env,
        DATABASE_URL: t.container.config.DATABASE_URL!,
        DATALAKE_DATABASE_URL: lake.url,
        LOG_LEVEL: 'silent',
        PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
      };
      const cli = [
        '--import',
        'tsx',
        'src/entrypoints/cli.ts',
        'datalake',
        'poll',
        '--once',
        '--tenant',
        'acme',
        '--page-size',
        '1',
        '--json',
      ];
      const first = await run(process.execPath, cli, { env, timeout: 60_000 });
      expect(JSON.parse(first.stdout)).toEqual({ read: 2, stored: 2, replayed: 0, failed: 0 });
      const second = await run(process.execPath, cli, { env, timeout: 60_000 });
      expect(JSON.parse(second.stdout)).toEqual({ read: 0, stored: 0, replayed: 0, failed: 0 });
      expect(await t.container.rawEvents.countForTenant(t.tenantId)).toBe(2);
      expect(
        (await lake.client.query('SELECT 1 FROM raw_transactions WHERE processed AND id = ANY($1::uuid[])', [ids]))
          .rowCount,
      ).toBe(2);

      const missing = await run(process.execPath, [...cli.slice(0, 7), 'nobody'], { env, timeout: 60_000 }).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no tenant named nobody') });
    } finally {
      await lake.client.end();
      await t.close();
    }
  });
});
