import { describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { RetryWorker } from '../../src/modules/ingest/worker/retry.worker.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const MAX_ATTEMPTS = 3;

describe.each(storeKinds())('dead letters and the retry worker on %s', (store) => {
  let now = Date.now();
  const auth = (key = t.apiKey) => ({ authorization: `Bearer ${key}` });
  const post = async (payload: unknown) => {
    const res = await postEvent(t, payload);
    expect(res.statusCode).toBe(201);
    return res.json().rawEvent.id as string;
  };
  /** A Stripe charge without a currency: identified but not normalizable, so stored unprocessed. */
  const brokenStripe = () => {
    const event = stripeEvent('charge.succeeded', charge({ currency: null, amount: 1500, payment_intent: null }));
    return {
      event,
      fixed: { ...event, data: { object: { ...(event.data as { object: object }).object, currency: 'usd' } } },
    };
  };
  /** Stands for a connector fix shipped after the event arrived: the stored payload now normalizes. */
  const fixStoredPayload = async (rawId: string, payload: unknown) => {
    await t.container.db
      .updateTable('raw_events')
      .set({ payload: JSON.stringify(payload) })
      .where('id', '=', rawId)
      .execute();
  };
  const worker = () =>
    new RetryWorker({
      rawEvents: t.container.rawEvents,
      intake: t.container.intake,
      logger: t.container.logger,
      maxAttempts: MAX_ATTEMPTS,
      pollMs: 10,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      batchSize: 100,
      leaseMs: 60_000,
      clock: () => new Date(now),
      random: () => 0.5,
    });
  const eventRows = (rawId: string) =>
    t.container.db.selectFrom('payment_events').select('id').where('raw_event_id', '=', rawId).execute();
  const raw = async (id: string) => (await t.container.rawEvents.findById(t.tenantId, id))!;

  const t = appForSuite(store, { MAX_ATTEMPTS: String(MAX_ATTEMPTS) });

  it('retries with growing backoff and dead-letters after MAX_ATTEMPTS', async () => {
    const id = await post({ hello: 'world', n: 1 });
    const w = worker();
    now = Date.now();
    expect((await raw(id)).attempts).toBe(1);
    // Not due yet: the first retry waits for the intake's first delay.
    expect(await w.runOnce()).toBe(0);

    now += 2_000;
    expect(await w.runOnce()).toBe(1);
    const second = await raw(id);
    expect(second).toMatchObject({ status: 'unprocessed', attempts: 2 });
    const firstGap = second.nextAttemptAt!.getTime() - now;
    expect(firstGap).toBe(1500); // attempts 2 → 2 s exponential, equal jitter at 0.5 → 1.5 s

    now = second.nextAttemptAt!.getTime();
    expect(await w.runOnce()).toBe(1);
    const dead = await raw(id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, nextAttemptAt: null, error: expect.any(String) });

    now += 3_600_000;
    expect(await w.runOnce()).toBe(0);

    const deadList = (await t.app.inject({ method: 'GET', url: '/v1/dead-letters', headers: auth() })).json();
    expect(deadList.data.map((d: { id: string }) => d.id)).toContain(id);
    expect(deadList.data.find((d: { id: string }) => d.id === id)).toMatchObject({
      status: 'dead',
      attempts: 3,
      provider: 'unknown',
      source: 'api',
      nextAttemptAt: null,
      error: expect.any(String),
      receivedAt: expect.any(String),
    });
    const unprocessed = (await t.app.inject({ method: 'GET', url: '/v1/unprocessed', headers: auth() })).json();
    expect(unprocessed.data.map((d: { id: string }) => d.id)).not.toContain(id);
  });

  it('a retry that succeeds writes the events once, with the raw status, in one go', async () => {
    const { event, fixed } = brokenStripe();
    const id = await post(event);
    expect(await raw(id)).toMatchObject({ status: 'unprocessed', provider: 'stripe' });
    await fixStoredPayload(id, fixed);
    now = Date.now() + 5_000;
    await worker().runOnce();
    expect(await raw(id)).toMatchObject({ status: 'normalized', attempts: 2, nextAttemptAt: null, error: null });
    expect(await eventRows(id)).toHaveLength(1);
    const read = (await t.app.inject({ method: 'GET', url: `/v1/raw-events/${id}`, headers: auth() })).json();
    expect(read.events).toHaveLength(1);
    expect(read.events[0]).toMatchObject({ provider: 'stripe', amountMinor: 1500, currency: 'USD', rawEventId: id });
  });

  it('two workers claiming at once attempt each due event exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => post({ unknown: true, i, store })));
    now = Date.now() + 5_000;
    const [a, b] = await Promise.all([worker().runOnce(), worker().runOnce()]);
    expect(a + b).toBeGreaterThanOrEqual(12);
    for (const id of ids) expect((await raw(id)).attempts).toBe(2);
  });

  it('replay re-normalizes a dead event now, and replaying again never doubles events', async () => {
    const { event, fixed } = brokenStripe();
    const id = await post(event);
    await t.container.db
      .updateTable('raw_events')
      .set({ status: 'dead', next_attempt_at: null, attempts: MAX_ATTEMPTS })
      .where('id', '=', id)
      .execute();
    await fixStoredPayload(id, fixed);

    const first = await t.app.inject({ method: 'POST', url: `/v1/dead-letters/${id}/replay`, headers: auth() });
    expect(first.statusCode).toBe(200);
    expect(first.json().rawEvent).toMatchObject({ id, status: 'normalized', attempts: MAX_ATTEMPTS + 1 });
    expect(first.json().events).toHaveLength(1);
    const again = await t.app.inject({ method: 'POST', url: `/v1/dead-letters/${id}/replay`, headers: auth() });
    expect(again.statusCode).toBe(200);
    expect(again.json().events.map((e: { id: string }) => e.id)).toEqual(
      first.json().events.map((e: { id: string }) => e.id),
    );
    expect(await eventRows(id)).toHaveLength(1);
  });

  it('concurrent replays of one dead event store its events exactly once', async () => {
    const { event, fixed } = brokenStripe();
    const id = await post(event);
    await t.container.db
      .updateTable('raw_events')
      .set({ status: 'dead', next_attempt_at: null })
      .where('id', '=', id)
      .execute();
    await fixStoredPayload(id, fixed);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.app.inject({ method: 'POST', url: `/v1/dead-letters/${id}/replay`, headers: auth() }),
      ),
    );
    expect(answers.map((r) => r.statusCode)).toEqual(Array(6).fill(200));
    expect(await eventRows(id)).toHaveLength(1);
    expect(new Set(answers.map((r) => r.json().events[0]?.id)).size).toBe(1);
  });

  it('a replay that fails again keeps the event dead and counts the attempt', async () => {
    const id = await post({ still: 'unknown' });
    await t.container.db
      .updateTable('raw_events')
      .set({ status: 'dead', next_attempt_at: null, attempts: 3 })
      .where('id', '=', id)
      .execute();
    const res = await t.app.inject({ method: 'POST', url: `/v1/dead-letters/${id}/replay`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      rawEvent: { status: 'dead', attempts: 4, error: expect.any(String) },
      events: [],
    });
  });

  it('discard is recorded (when, by which key), keeps the payload, and blocks replay', async () => {
    const id = await post({ discard: 'me', card: '4111111111111111' });
    const keyId = (await t.container.apiKeys.list(t.tenantId))[0]!.id;
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/dead-letters/${id}`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'discarded', discardedBy: keyId, discardedAt: expect.any(String) });
    const again = await t.app.inject({ method: 'DELETE', url: `/v1/dead-letters/${id}`, headers: auth() });
    expect(again.json()).toMatchObject({ status: 'discarded', discardedAt: res.json().discardedAt });

    const read = await t.app.inject({ method: 'GET', url: `/v1/raw-events/${id}`, headers: auth() });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({
      id,
      status: 'discarded',
      contentType: 'application/json',
      actions: [{ action: 'discard', keyId }],
    });
    expect(read.json().payload).toContain('"discard":"me"');
    expect(read.json().payload).not.toContain('4111111111111111');

    const replay = await t.app.inject({ method: 'POST', url: `/v1/dead-letters/${id}/replay`, headers: auth() });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().code).toBe('conflict');
    now = Date.now() + 3_600_000;
    await worker().runOnce();
    expect((await raw(id)).status).toBe('discarded');
  });

  it('refuses to discard a normalized event', async () => {
    const id = await post(stripeEvent('charge.succeeded', charge()));
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/dead-letters/${id}`, headers: auth() });
    expect(res.statusCode).toBe(409);
    expect((await raw(id)).status).toBe('normalized');
  });

  it('lists newest first with a working cursor', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await post({ page: i, store }));
    const page1 = (await t.app.inject({ method: 'GET', url: '/v1/unprocessed?limit=2', headers: auth() })).json();
    expect(page1.data.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (
      await t.app.inject({ method: 'GET', url: `/v1/unprocessed?limit=2&cursor=${page1.nextCursor}`, headers: auth() })
    ).json();
    expect(page2.data[0].id).toBe(ids[0]);
    const bad = await t.app.inject({ method: 'GET', url: '/v1/unprocessed?cursor=nope', headers: auth() });
    expect(bad.statusCode).toBe(422);
  });

  it('keeps tenants apart: another tenant cannot see, replay or discard an event', async () => {
    const id = await post({ private: 'event' });
    const other = await t.newTenant(`dl-other-${store}`);
    for (const [method, url] of [
      ['GET', `/v1/raw-events/${id}`],
      ['POST', `/v1/dead-letters/${id}/replay`],
      ['DELETE', `/v1/dead-letters/${id}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: auth(other.apiKey) });
      expect(res.statusCode).toBe(404);
    }
    const list = (await t.app.inject({ method: 'GET', url: '/v1/unprocessed', headers: auth(other.apiKey) })).json();
    expect(list.data).toEqual([]);
    expect((await raw(id)).status).toBe('unprocessed');
  });
});
