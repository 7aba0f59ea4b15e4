import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { BodyIntake, CHUNK_RECORDS } from '../../src/modules/ingest/index.js';
import { appForSuite, whileDatabaseRefuses } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

describe.each(storeKinds())('POST /v1/events/batch on %s', (store) => {
  const batch = (payload: string, contentType = 'application/json', query = '', headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/events/batch${query}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': contentType, ...headers },
      payload,
    });

  const t = appForSuite(store);

  it('stores many events at once and answers item by item, in order', async () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      stripeEvent(
        i % 3 === 0 ? 'charge.failed' : 'charge.succeeded',
        i % 3 === 0 ? declinedCharge('insufficient_funds') : charge({ amount: 100 + i }),
      ),
    );
    const body = [
      ...events,
      events[0],
      42,
      { id: `h-${store}`, amount: '12,00', currency: 'EUR', status: 'aprobado', created: '2026-11-24T00:00:00Z' },
      { nothing: 'here' },
    ];
    const res = await batch(JSON.stringify(body));
    expect(res.statusCode).toBe(200);
    const { items, summary } = res.json();
    expect(items).toHaveLength(304);
    expect(items.map((i: { index: number }) => i.index)).toEqual(body.map((_, i) => i));
    expect(summary).toEqual({ stored: 302, queued: 0, duplicates: 1, failed: 1 });
    expect(items[1]).toMatchObject({
      status: 201,
      rawEvent: { provider: 'stripe', providerEventId: events[1]!.id, status: 'normalized' },
      events: [{ amountMinor: 101, source: 'batch' }],
    });
    expect(items[0].events[0]).toMatchObject({ status: 'declined', failureReason: 'insufficient_funds' });
    // The event repeated inside the batch is stored once: items go through the writer concurrently,
    // so either copy may be the one stored; the other answers 200 with the same raw event.
    expect([items[0].status, items[300].status].sort()).toEqual([200, 201]);
    expect(items[300].rawEvent.id).toBe(items[0].rawEvent.id);
    expect(items[301]).toMatchObject({ status: 422, error: { code: 'validation_failed', status: 422 } });
    expect(items[301].rawEvent).toBeUndefined();
    expect(items[302].events[0]).toMatchObject({
      normalizationMethod: 'heuristic',
      amountMinor: 1200,
      currency: 'EUR',
    });
    expect(items[303].rawEvent.status).toBe('unprocessed');
    const raw = await t.container.rawEvents.findById(t.tenantId, items[5].rawEvent.id);
    expect(raw?.payload).toBe(JSON.stringify(events[5]));
    expect(raw?.source).toBe('batch');

    const again = await batch(JSON.stringify(events));
    expect(again.json().summary).toEqual({ stored: 0, queued: 0, duplicates: 300, failed: 0 });
    expect(again.json().items[7].rawEvent.id).toBe(items[7].rawEvent.id);
    expect(again.json().items.map((i: { events: { id: string }[] }) => i.events.map((e) => e.id))).toEqual(
      items.slice(0, 300).map((i: { events: { id: string }[] }) => i.events.map((e) => e.id)),
    );
  });

  it('stores each item as it was sent, byte for byte, multi-byte text and spacing included', async () => {
    const events = [
      stripeEvent('charge.succeeded', charge({ amount: 701, description: 'Zoë, café — 東京 💳' })),
      stripeEvent('charge.succeeded', charge({ amount: 702, description: 'ascii only' })),
      stripeEvent('charge.succeeded', charge({ amount: 703, description: '𝄞 "quoted", [bracketed]' })),
    ];
    const texts = [
      JSON.stringify(events[0], null, 2),
      JSON.stringify(events[1]),
      JSON.stringify(events[2], null, '\t'),
    ];
    for (const headers of [{}, { prefer: 'respond-async' }]) {
      const tenant = await t.newTenant(`verbatim-${store}-${Object.keys(headers).length}`);
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json', ...headers },
        payload: `[\n${texts.join(' ,\r\n')}\n]`,
      });
      expect(res.statusCode).toBe(200);
      const { items } = res.json();
      for (const [i, text] of texts.entries()) {
        const raw = await t.container.rawEvents.findById(tenant.tenantId, items[i].rawEvent.id);
        expect(raw?.payload).toBe(text);
        expect(raw?.payloadSha256).toBe(createHash('sha256').update(text).digest('hex'));
      }
    }
  });

  it('stores items as sent but never their card data: escaped PANs, escaped CVV names, spaced PANs and track data', async () => {
    // Items are now stored from the body's own bytes, where escapes are still escaped (a re-serialized
    // item had them decoded): each hiding place must still be found there.
    const items = [
      `{"id":"evt_esc_pan_${store}","object":"event","note":"\\u0034111111111111111"}`,
      `{ "id" : "evt_esc_cvv_${store}", "card": { "c\\u0076v" : "737", "number": "4111 1111 1111 1111" } }`,
      `{"id":"evt_track_${store}","track2":"x","memo":"4111111111111111=25121010000000000000"}`,
      `{"id":"evt_num_pan_${store}","pan":5555555555554444,"cvc":"123"}`,
    ];
    for (const headers of [{}, { prefer: 'respond-async' }]) {
      const tenant = await t.newTenant(`card-bytes-${store}-${Object.keys(headers).length}`);
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/events/batch',
        headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json', ...headers },
        payload: `[\n  ${items.join(',\n  ')}\n]`,
      });
      expect(res.statusCode).toBe(200);
      const stored = await Promise.all(
        (res.json().items as { rawEvent: { id: string } }[]).map((i) =>
          t.container.rawEvents.findById(tenant.tenantId, i.rawEvent.id),
        ),
      );
      for (const raw of stored) {
        const text = raw!.payload;
        expect(() => JSON.parse(text)).not.toThrow();
        expect(JSON.stringify(JSON.parse(text))).not.toMatch(/4111111111111111|4111 1111 1111 1111|5555555555554444/);
        expect(text).not.toMatch(/\\u0034111111111111111|"737"|"123"|=2512101/);
      }
      expect(stored[1]!.payload).toContain('[redacted]');
      expect(stored[3]!.payload).toContain('555555******4444');
    }
  });

  it('answers a record the database refuses as that item failing, and stores and answers its neighbours', async () => {
    const refusedId = `pi_batch_refused_${store}`;
    const refused = stripeEvent('charge.succeeded', charge({ payment_intent: refusedId, amount: 900 }));
    const neighbours = Array.from({ length: 4 }, (_, i) =>
      stripeEvent('charge.succeeded', charge({ payment_intent: `pi_batch_beside_${store}_${i}`, amount: 900 + i })),
    );
    const res = await whileDatabaseRefuses(t, refusedId, () =>
      batch(JSON.stringify([neighbours[0], neighbours[1], refused, neighbours[2], neighbours[3]])),
    );
    expect(res.statusCode).toBe(200);
    const { items, summary } = res.json();
    expect(summary).toEqual({ stored: 4, queued: 0, duplicates: 0, failed: 1 });
    expect(items.map((i: { status: number }) => i.status)).toEqual([201, 201, 500, 201, 201]);
    // As a single event's answer would be: not the client's fault, not worth retrying as is.
    expect(items[2].error).toMatchObject({ status: 500, code: 'internal' });
    for (const [i] of neighbours.entries()) {
      const payment = await t.app.inject({
        method: 'GET',
        url: `/v1/payments/stripe/pi_batch_beside_${store}_${i}`,
        headers: { authorization: `Bearer ${t.apiKey}` },
      });
      expect(payment.json().payment).toMatchObject({ amountMinor: 900 + i });
    }
    // Once the database takes it, the same record is stored: nothing of it was kept by the refusal.
    const again = await batch(JSON.stringify([refused]));
    expect(again.json().summary).toEqual({ stored: 1, queued: 0, duplicates: 0, failed: 0 });
  });

  it('takes NDJSON with a provider hint and per-item idempotency keys', async () => {
    const body = [
      { amount: 1, note: 'a' },
      { amount: 1, note: 'a' },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n');
    const keyed = await batch(body, 'application/x-ndjson', '', { 'idempotency-key': `k-${store}` });
    // Same content, distinct keys per index: both stored.
    expect(keyed.json().summary).toEqual({ stored: 2, queued: 0, duplicates: 0, failed: 0 });
    expect(keyed.json().items[0].rawEvent.providerEventId).toBe(`idem:k-${store}:0`);
    const replay = await batch(body, 'application/x-ndjson', '', { 'idempotency-key': `k-${store}` });
    expect(replay.json().summary).toEqual({ stored: 0, queued: 0, duplicates: 2, failed: 0 });

    const hinted = await batch(
      `${JSON.stringify(stripeEvent('charge.succeeded', charge()))}\n`,
      'application/x-ndjson',
      '?provider=stripe',
    );
    expect(hinted.json().items[0].rawEvent.provider).toBe('stripe');
    expect((await batch('[]', 'application/json', '?provider=nopay')).json()).toMatchObject({
      status: 400,
      code: 'unknown_provider',
    });
  });

  it('refuses malformed bodies whole and batches over 10,000 events with 413', async () => {
    const before = await t.container.rawEvents.countForTenant(t.tenantId);
    const bad = await batch('{"a":1}\n{"b":2}\n{"c":\n', 'application/x-ndjson');
    expect(bad.json()).toMatchObject({ status: 400, code: 'invalid_body', line: 3 });
    expect((await batch('[{"a":1},', 'application/json')).json()).toMatchObject({
      status: 400,
      code: 'invalid_json',
      line: 1,
    });
    expect((await batch('"just a string"')).json()).toMatchObject({ status: 422, code: 'validation_failed' });
    expect((await batch('x', 'image/png')).json()).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const tooMany = await batch(`[${Array.from({ length: 10_001 }, () => '{}').join(',')}]`);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ code: 'batch_too_large', limit: 10_000, count: 10_001 });
    expect(await t.container.rawEvents.countForTenant(t.tenantId)).toBe(before);
  });

  it('accepts a batch larger than the single-event body limit', async () => {
    const events = Array.from({ length: 2_000 }, () => stripeEvent('charge.succeeded', charge()));
    const body = JSON.stringify(events);
    expect(body.length).toBeGreaterThan(t.container.config.MAX_BODY_BYTES);
    const res = await batch(body);
    expect(res.statusCode).toBe(200);
    expect(res.json().summary).toEqual({ stored: 2_000, queued: 0, duplicates: 0, failed: 0 });
  });

  it('dedupes across the transactions a large batch is written in, and stores every payment once', async () => {
    const events = Array.from({ length: 2_500 }, (_, i) =>
      stripeEvent('charge.succeeded', charge({ amount: 100 + i, payment_intent: `pi_chunks_${store}_${i}` })),
    );
    // Items 1,200 and 2,400 repeat items 5 and 1,300: each copy lands in another 1,000-record chunk.
    const body = [
      ...events.slice(0, 1_200),
      events[5],
      ...events.slice(1_200, 2_399),
      events[1_300],
      ...events.slice(2_399),
    ];
    const res = await batch(JSON.stringify(body));
    const { items, summary } = res.json();
    expect(summary).toEqual({ stored: 2_500, queued: 0, duplicates: 2, failed: 0 });
    // Neighbouring chunks are written concurrently on PostgreSQL, so either copy may be the one stored.
    for (const [first, again] of [
      [5, 1_200],
      [1_301, 2_400],
    ] as const) {
      expect([items[first].status, items[again].status].sort()).toEqual([200, 201]);
      expect(items[again].rawEvent.id).toBe(items[first].rawEvent.id);
      expect(items[again].events.map((e: { id: string }) => e.id)).toEqual(
        items[first].events.map((e: { id: string }) => e.id),
      );
    }
    const payments = await t.app.inject({
      method: 'GET',
      url: `/v1/payments/stripe/pi_chunks_${store}_1300`,
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    expect(payments.statusCode).toBe(200);
    expect(payments.json().timeline).toHaveLength(1);
  });
  it('leaves the parsed body it is handed whole while it lets go of each chunk of records (paylens import reads it after)', async () => {
    const bodies = new BodyIntake(t.container);
    // Past one chunk, so records are released while a later chunk is still to come.
    const events = Array.from({ length: CHUNK_RECORDS + 200 }, (_, i) =>
      stripeEvent('charge.succeeded', charge({ amount: 500 + i })),
    );
    for (const respondAsync of [true, false]) {
      const parsed = bodies.parse(
        JSON.stringify(events.map((e) => ({ ...e, id: `${e.id}-${respondAsync}` }))),
        'json',
        true,
      );
      const before = [...parsed.records];
      const result = await bodies.ingestParsed({ tenantId: t.tenantId, source: 'cli', respondAsync }, parsed);
      expect(result.summary.failed).toBe(0);
      expect(result.summary[respondAsync ? 'queued' : 'stored']).toBe(events.length);
      expect(parsed.records).toEqual(before);
    }
  });
});
