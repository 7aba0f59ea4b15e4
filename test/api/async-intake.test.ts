import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  adyenDelivery,
  adyenItem,
  refusedItem,
} from '../../src/modules/normalize/connectors/adyen/__fixtures__/adyen-notifications.js';
import {
  checkoutEvent,
  declinedData,
} from '../../src/modules/normalize/connectors/checkout/__fixtures__/checkout-events.js';
import { capture, paypalEvent } from '../../src/modules/normalize/connectors/paypal/__fixtures__/paypal-events.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import {
  appForSuite,
  callApi,
  instancesForSuite,
  postEvent,
  TEST_METRICS_TOKEN,
  type Instance,
  type TestApp,
} from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const ASYNC = { prefer: 'respond-async' };

/** The intake queue's gauges as /metrics reports them. */
async function queueGauges(t: TestApp): Promise<{ depth: number; age: number }> {
  const text = (
    await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })
  ).body;
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { depth: value('paylens_intake_queue_depth'), age: value('paylens_intake_queue_age_seconds') };
}

/** Runs the queue worker's passes until nothing is queued; returns how many events they settled. */
async function drain(t: TestApp): Promise<number> {
  let total = 0;
  for (let n = await t.container.queueWorker.runOnce(); n > 0; n = await t.container.queueWorker.runOnce()) total += n;
  return total;
}

describe.each(storeKinds())('Prefer: respond-async on %s', (store) => {
  const t = appForSuite(store);

  it('stores the payload as queued and answers 202; the queue worker then normalizes and scores it', async () => {
    const event = stripeEvent('charge.succeeded', charge({ amount: 4321 }));
    const res = await postEvent(t, event, { headers: ASYNC });
    expect(res.statusCode).toBe(202);
    expect(res.headers['preference-applied']).toBe('respond-async');
    const { rawEvent, events } = res.json();
    expect(rawEvent).toMatchObject({ status: 'queued', provider: 'stripe', providerEventId: event.id });
    expect(events).toEqual([]);

    const queued = await callApi(t, 'GET', `/v1/raw-events/${rawEvent.id}`);
    expect(queued.json()).toMatchObject({ status: 'queued', events: [] });
    expect(await queueGauges(t)).toMatchObject({ depth: 1 });
    expect((await queueGauges(t)).age).toBeGreaterThanOrEqual(0);

    expect(await drain(t)).toBe(1);
    const settled = (await callApi(t, 'GET', `/v1/raw-events/${rawEvent.id}`)).json();
    expect(settled.status).toBe('normalized');
    expect(settled.events).toHaveLength(1);
    expect(settled.events[0]).toMatchObject({ amountMinor: 4321, rawEventId: rawEvent.id });
    expect(settled.events[0].risk).toMatchObject({ decision: expect.any(String), score: expect.any(Number) });
    const payment = await callApi(t, 'GET', `/v1/payments/stripe/${settled.events[0].providerPaymentId}`);
    expect(payment.statusCode).toBe(200);
    expect(await queueGauges(t)).toEqual({ depth: 0, age: 0 });
  });

  it('gives the same events and verdicts as the synchronous path, for every provider and an unknown one', async () => {
    // Two new tenants: both start from an empty history, and get the same deliveries in the same order.
    const syncTenant = await t.newTenant(`sync-twin-${store}`);
    const asyncTenant = await t.newTenant(`async-twin-${store}`);
    const deliveries = [
      stripeEvent('charge.succeeded', charge({ amount: 98_765 })),
      stripeEvent('charge.succeeded', charge({ amount: 98_766 })),
      // One Adyen delivery holds several events: their order within it must survive the queue.
      adyenDelivery([adyenItem(), refusedItem('Not enough balance'), adyenItem({ eventCode: 'CAPTURE' })]),
      checkoutEvent('payment_declined', declinedData('20051', 'Insufficient Funds')),
      paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture()),
      // No connector claims it: the heuristic normalizer reads it on both paths.
      { id: `h-${store}`, monto: '12,50', moneda: 'EUR', estado: 'aprobado', fecha: '2026-11-24T10:00:00Z' },
    ];
    const sync = [];
    for (const d of deliveries) {
      const res = await postEvent(t, d, { apiKey: syncTenant.apiKey });
      expect(res.statusCode, res.body).toBe(201);
      sync.push(res.json().events);
    }
    const rawIds = [];
    for (const d of deliveries) {
      const res = await postEvent(t, d, { apiKey: asyncTenant.apiKey, headers: ASYNC });
      expect(res.statusCode, res.body).toBe(202);
      rawIds.push(res.json().rawEvent.id as string);
    }
    expect(await drain(t)).toBe(deliveries.length);
    const comparable = (e: Record<string, unknown>) => {
      const { id: _id, tenantId: _t, rawEventId: _r, receivedAt: _rc, normalizedAt: _n, ...rest } = e;
      const risk = rest.risk as Record<string, unknown> | null;
      return { ...rest, risk: risk && { score: risk.score, decision: risk.decision, reasons: risk.reasons } };
    };
    for (const [i, rawId] of rawIds.entries()) {
      const queued = (await callApi(t, 'GET', `/v1/raw-events/${rawId}`, undefined, asyncTenant.apiKey)).json();
      expect(queued.events.length, `delivery ${i}`).toBeGreaterThan(0);
      expect(queued.events.map(comparable), `delivery ${i}`).toEqual(sync[i].map(comparable));
    }
  });

  it('refuses hostile bodies at the door as the synchronous path does, storing nothing', async () => {
    const event = JSON.stringify({ id: 'evt_hostile', type: 'charge.succeeded', data: { object: { id: 'ch_X' } } });
    const cases: [string, string, string, string][] = [
      ['/v1/events', event.replace('ch_X', 'ch_\\u0000'), 'application/json', 'invalid_body'],
      ['/v1/events', event.replace('ch_X', 'ch_\\ud800x'), 'application/json', 'invalid_body'],
      ['/v1/events', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json', 'invalid_body'],
      ['/v1/events', '{"__proto__": {"polluted": true}}', 'application/json', 'reserved_key'],
      ['/v1/events', '<!DOCTYPE x [<!ENTITY a "b">]><x><a>&a;</a></x>', 'application/xml', 'invalid_body'],
      ['/v1/events/batch', `[${event},\n${event.replace('ch_X', 'ch_\\u0000')}]`, 'application/json', 'invalid_body'],
      ['/v1/events', 'id,amount,currency\nx1,10\u0000,USD\n', 'text/csv', 'invalid_body'],
    ];
    const count = async () =>
      Number((await sql<{ n: string }>`SELECT count(*) AS n FROM raw_events`.execute(t.container.db)).rows[0]!.n);
    const before = await count();
    for (const [url, payload, contentType, code] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': contentType, ...ASYNC },
        payload,
      });
      expect(res.statusCode, `${contentType} ${payload.slice(0, 60)}`).toBe(400);
      expect(res.json().code, payload.slice(0, 60)).toBe(code);
    }
    expect(await count()).toBe(before);
    expect(await drain(t)).toBe(0);
  });

  it('answers a redelivery as a replay, queued or settled, and stores it once', async () => {
    const event = stripeEvent('charge.succeeded', charge());
    const first = await postEvent(t, event, { headers: ASYNC });
    const again = await postEvent(t, event, { headers: ASYNC });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().rawEvent).toMatchObject({ id: first.json().rawEvent.id, status: 'queued' });
    await drain(t);
    const afterDrain = await postEvent(t, event);
    expect(afterDrain.statusCode).toBe(200);
    expect(afterDrain.json().rawEvent).toMatchObject({ id: first.json().rawEvent.id, status: 'normalized' });
    expect(afterDrain.json().events).toHaveLength(1);
  });

  it('masks card numbers before the payload is stored, and refuses a malformed body at once', async () => {
    const pan = '4111111111111111';
    const res = await postEvent(t, stripeEvent('charge.succeeded', charge({ metadata: { note: `card ${pan}` } })), {
      headers: ASYNC,
    });
    expect(res.statusCode).toBe(202);
    const stored = await sql<{
      payload: string;
    }>`SELECT payload FROM raw_events WHERE id = ${res.json().rawEvent.id}`.execute(t.container.db);
    expect(stored.rows[0]!.payload).not.toContain(pan);

    const before = await sql<{ n: string }>`SELECT count(*) AS n FROM raw_events`.execute(t.container.db);
    const bad = await postEvent(t, '{"id": "evt_x", ', { headers: ASYNC });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_json');
    const after = await sql<{ n: string }>`SELECT count(*) AS n FROM raw_events`.execute(t.container.db);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    await drain(t);
  });

  it('queues every item of a batch, each answered 202, and settles them in one pass', async () => {
    const events = Array.from({ length: 40 }, (_, i) => stripeEvent('charge.succeeded', charge({ amount: 100 + i })));
    const body = [...events, 7, events[0]];
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json', ...ASYNC },
      payload: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['preference-applied']).toBe('respond-async');
    const { items, summary } = res.json();
    expect(summary).toEqual({ stored: 0, queued: 40, duplicates: 1, failed: 1 });
    expect(items.map((i: { status: number }) => i.status)).toEqual([...events.map(() => 202), 422, 200]);

    expect(await drain(t)).toBe(40);
    const ids = items.slice(0, 40).map((i: { rawEvent: { id: string } }) => i.rawEvent.id);
    const rows = await sql<{ status: string; n: string }>`
      SELECT r.status, count(e.id) AS n FROM raw_events r LEFT JOIN payment_events e ON e.raw_event_id = r.id
      WHERE r.id IN (${sql.join(ids)}) GROUP BY r.id, r.status`.execute(t.container.db);
    expect(rows.rows).toHaveLength(40);
    expect(rows.rows.every((r) => r.status === 'normalized' && Number(r.n) === 1)).toBe(true);
  });

  it('settles the records of a CSV body, and hands a payload nothing can read to the retry worker', async () => {
    const csv =
      'id,amount,currency,status,created\nq-1,12.50,EUR,succeeded,2026-11-24T10:00:00Z\nq-2,3.00,EUR,failed,2026-11-24T10:01:00Z\n';
    const list = await postEvent(t, csv, { contentType: 'text/csv', headers: ASYNC });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: { status: number }) => i.status)).toEqual([202, 202]);
    const unreadable = await postEvent(t, { nothing: 'here' }, { headers: ASYNC });
    expect(unreadable.statusCode).toBe(202);

    expect(await drain(t)).toBe(3);
    for (const item of list.json().items) {
      const raw = (await callApi(t, 'GET', `/v1/raw-events/${item.rawEvent.id}`)).json();
      expect(raw.status).toBe('normalized');
      expect(raw.events).toHaveLength(1);
    }
    const retry = (await callApi(t, 'GET', `/v1/raw-events/${unreadable.json().rawEvent.id}`)).json();
    expect(retry).toMatchObject({ status: 'unprocessed', attempts: 1, events: [] });
    expect(retry.nextAttemptAt).not.toBeNull();
    const unprocessed = (await callApi(t, 'GET', '/v1/unprocessed')).json();
    expect(unprocessed.data.map((r: { id: string }) => r.id)).toContain(unreadable.json().rawEvent.id);
  });

  it("never shows one tenant's queued events to another", async () => {
    const other = await t.newTenant(`queue-neighbour-${store}`);
    const res = await postEvent(t, stripeEvent('charge.succeeded', charge()), { headers: ASYNC });
    const theirs = await callApi(t, 'GET', `/v1/raw-events/${res.json().rawEvent.id}`, undefined, other.apiKey);
    expect(theirs.statusCode).toBe(404);
    await drain(t);
    const settled = await callApi(t, 'GET', `/v1/raw-events/${res.json().rawEvent.id}`, undefined, other.apiKey);
    expect(settled.statusCode).toBe(404);
  });
});

describe('the intake queue drained by two instances at once', { tags: ['postgres'] }, () => {
  const instances = instancesForSuite(2, () => ({}), { timeoutMs: 120_000 });

  it('settles every queued event exactly once, each pass claiming what the other has not', async () => {
    const [a, b] = instances as [Instance, Instance];
    const tenant = (await a.container.tenants.create(`queue-pair-${Date.now()}`))!;
    const key = (await a.container.apiKeys.issue(tenant.id, 'pair')).secret;
    for (let i = 0; i < 3; i++) {
      const body = Array.from({ length: 500 }, (_, j) =>
        stripeEvent('charge.succeeded', charge({ amount: i * 1000 + j })),
      );
      const res = await a.app.inject({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...ASYNC },
        payload: JSON.stringify(body),
      });
      expect(res.json().summary.queued).toBe(500);
    }
    const drainAll = async (i: Instance) => {
      let total = 0;
      for (let n = await i.container.queueWorker.runOnce(); n > 0; n = await i.container.queueWorker.runOnce())
        total += n;
      return total;
    };
    const [byA, byB] = await Promise.all([drainAll(a), drainAll(b)]);
    expect(byA + byB).toBe(1500);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    const rows = await sql<{ status: string; events: string }>`
      SELECT r.status, count(e.id) AS events FROM raw_events r LEFT JOIN payment_events e ON e.raw_event_id = r.id
      WHERE r.tenant_id = ${tenant.id} GROUP BY r.id, r.status`.execute(a.container.db);
    expect(rows.rows).toHaveLength(1500);
    expect(rows.rows.every((r) => r.status === 'normalized' && Number(r.events) === 1)).toBe(true);
  });
});
