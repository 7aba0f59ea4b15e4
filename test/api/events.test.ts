import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

describe.each(storeKinds())('events API on %s', (store) => {
  const auth = () => ({ authorization: `Bearer ${t.apiKey}` });
  const post = (payload: unknown, query = '', headers: Record<string, string> = {}) =>
    postEvent(t, payload, { query, headers });

  const t = appForSuite(store);

  it('stores a Stripe event durably and returns it normalized (201)', async () => {
    const event = stripeEvent('charge.failed', declinedCharge('insufficient_funds', { amount: 2500, currency: 'eur' }));
    const res = await post(event);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.rawEvent).toMatchObject({
      status: 'normalized',
      provider: 'stripe',
      providerEventId: event.id,
      error: null,
    });
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({
      provider: 'stripe',
      status: 'declined',
      failureReason: 'insufficient_funds',
      amountMinor: 2500,
      currency: 'EUR',
      amountUsdMinor: 2700,
      tenantId: t.tenantId,
    });
    expect(body.events[0].id).toMatch(/^evt_[0-9a-z]{26}$/);

    const read = await t.app.inject({ method: 'GET', url: `/v1/events/${body.events[0].id}`, headers: auth() });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body.events[0]);
    const raw = await t.container.rawEvents.findById(t.tenantId, body.rawEvent.id);
    expect(raw?.payload).toBe(JSON.stringify(event));
  });

  it('detects the provider without a hint and honours a correct hint', async () => {
    const res = await post(stripeEvent('charge.succeeded', charge()), '?provider=stripe');
    expect(res.statusCode).toBe(201);
    expect(res.json().events[0].provider).toBe('stripe');
  });

  it('a redelivery answers 200 with the same body, Idempotent-Replayed, and stores nothing new', async () => {
    const event = stripeEvent('charge.succeeded', charge());
    const first = await post(event);
    const before = await t.container.rawEvents.countForTenant(t.tenantId);
    const again = await post(event);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await t.container.rawEvents.countForTenant(t.tenantId)).toBe(before);
  });

  it('concurrent duplicates store exactly one copy', async () => {
    const event = stripeEvent('charge.succeeded', charge());
    const responses = await Promise.all(Array.from({ length: 25 }, () => post(event)));
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(24);
    const ids = new Set(responses.map((r) => r.json().events[0].id));
    expect(ids.size).toBe(1);
    const rows = await t.container.db
      .selectFrom('payment_events')
      .select('id')
      .where('provider_event_id', '=', event.id as string)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('stores unmodelled event types as ignored, not rejected', async () => {
    const res = await post(stripeEvent('customer.created', { id: 'cus_9', object: 'customer', email: 'a@b.example' }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      rawEvent: { status: 'ignored', note: expect.stringContaining('customer.created') },
      events: [],
    });
  });

  it('stores an unrecognised payload as unprocessed so nothing is lost', async () => {
    const res = await post({ hello: 'world' });
    expect(res.statusCode).toBe(201);
    expect(res.json().rawEvent).toMatchObject({
      status: 'unprocessed',
      provider: 'unknown',
      error: expect.any(String),
    });
  });

  it('masks card numbers before storage', async () => {
    const event = stripeEvent(
      'charge.succeeded',
      charge({ description: 'card 4111 1111 1111 1111 used', metadata: { pan: '5555555555554444' } }),
    );
    const res = await post(event);
    const raw = await t.container.rawEvents.findById(t.tenantId, res.json().rawEvent.id);
    expect(raw?.payload).not.toMatch(/4111 1111 1111 1111|5555555555554444/);
    expect(raw?.payload).toContain('555555******4444');
    const stored = await sql<{
      n: number;
    }>`select count(*)::int as n from payment_events where metadata::text like '%5555555555554444%'`.execute(
      t.container.db,
    );
    expect(stored.rows[0]?.n).toBe(0);
  });

  it('answers precise problems for bad input', async () => {
    const bad = await post('{"id": ');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({
      code: 'invalid_json',
      status: 400,
      type: expect.stringContaining('invalid-json'),
      requestId: expect.any(String),
    });

    expect((await post(stripeEvent('charge.succeeded', charge()), '?provider=nopay')).json()).toMatchObject({
      status: 400,
      code: 'unknown_provider',
    });
    expect((await post('[1,2]')).json()).toMatchObject({ status: 422, code: 'validation_failed' });
    const unsupported = await postEvent(t, Buffer.from([1, 2, 3]), { contentType: 'image/png' });
    expect(unsupported.json()).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const huge = await post(JSON.stringify({ blob: 'x'.repeat(1024 * 1024 + 10) }));
    expect(huge.json()).toMatchObject({ status: 413, code: 'payload_too_large' });
    const invalidQuery = await t.app.inject({ method: 'GET', url: '/v1/events?limit=0&status=nope', headers: auth() });
    expect(invalidQuery.statusCode).toBe(422);
    expect(
      invalidQuery
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['querystring.limit', 'querystring.status']);
  });

  it('rejects missing, malformed and revoked keys with 401', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/events' })).json()).toMatchObject({
      status: 401,
      code: 'unauthorized',
    });
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: 'Bearer pl_nope' } }))
        .statusCode,
    ).toBe(401);
    const other = await t.newTenant(`revoked-${store}`);
    const keys = await t.container.apiKeys.list(other.tenantId);
    await t.container.apiKeys.revoke(keys[0]!.id);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${other.apiKey}` } }))
        .statusCode,
    ).toBe(401);
  });

  it("keeps tenants apart: another tenant's event is 404 and absent from its list", async () => {
    const mine = (await post(stripeEvent('charge.succeeded', charge()))).json().events[0].id;
    const other = await t.newTenant(`other-${store}`);
    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/events/${mine}`,
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(read.statusCode).toBe(404);
    expect(read.json().code).toBe('not_found');
    const list = await t.app.inject({
      method: 'GET',
      url: '/v1/events',
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(list.json().data).toEqual([]);
    // The same provider event id under another tenant is that tenant's own event, not a duplicate.
    const event = stripeEvent('charge.succeeded', charge());
    await post(event);
    const theirs = await postEvent(t, event, { apiKey: other.apiKey });
    expect(theirs.statusCode).toBe(201);
  });

  it('lists newest first with filters and a stable cursor', async () => {
    const tenant = await t.newTenant(`list-${store}`);
    const headers = { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' };
    const created: number[] = [];
    for (let i = 0; i < 7; i++) {
      const failed = i % 2 === 0;
      const obj = failed ? declinedCharge(i === 0 ? 'expired_card' : 'insufficient_funds') : charge();
      created.push(1732400000 + i * 60);
      await postEvent(
        t,
        stripeEvent(failed ? 'charge.failed' : 'charge.succeeded', obj, { created: 1732400000 + i * 60 }),
        { apiKey: tenant.apiKey },
      );
    }
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await t.app.inject({
        method: 'GET',
        url: `/v1/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        headers,
      });
      const body: { data: { occurredAt: string }[]; nextCursor: string | null } = res.json();
      pages.push(body.data.map((e) => e.occurredAt));
      cursor = body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(created.map((s) => new Date(s * 1000).toISOString()).reverse());

    const declined = (await t.app.inject({ method: 'GET', url: '/v1/events?status=declined', headers })).json().data;
    expect(declined).toHaveLength(4);
    const expired = (
      await t.app.inject({ method: 'GET', url: '/v1/events?failureReason=expired_card', headers })
    ).json().data;
    expect(expired).toHaveLength(1);
    const window = (
      await t.app.inject({
        method: 'GET',
        url: `/v1/events?from=${new Date(created[2]! * 1000).toISOString()}&to=${new Date(created[4]! * 1000).toISOString()}`,
        headers,
      })
    ).json().data;
    expect(window).toHaveLength(2);
    const bogus = await t.app.inject({ method: 'GET', url: '/v1/events?cursor=bm9wZQ', headers });
    expect(bogus.statusCode).toBe(422);
  });

  it('echoes or generates X-Request-ID and reports readiness', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/health/ready',
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('trace-abc-123');
    // With PostgreSQL a separate `paylens worker` is expected, and none runs here: ready, but degraded.
    expect(res.json()).toMatchObject(
      store === 'postgres'
        ? { status: 'degraded', checks: { database: { status: 'ok' }, worker: { status: 'down', required: false } } }
        : { status: 'ok', checks: { database: { status: 'ok', required: true } } },
    );
    const generated = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(generated.headers['x-request-id']).toMatch(/^req_/);
  });

  it('serves OpenAPI 3 generated from the route schemas', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/events/{id}', '/health/ready']));
    expect(spec.paths['/v1/events'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['provider', 'status', 'failureReason', 'cursor']),
    );
  });
});
