import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { appForSuite, postEvent, whileDatabaseRefuses } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

/**
 * The group commit writes a whole group of single events with one statement for the events and every
 * hook's writes: these drive groups through the HTTP API (requests sent together within the 200 ms
 * window share a group) and check what each event's answer and the stored rows say.
 */
describe.each(storeKinds())('group-committed single events on %s', (store) => {
  const t = appForSuite(store, { WRITE_BATCH_DELAY_MS: '200' });
  const post = (payload: unknown) => postEvent(t, payload);
  const paymentOf = (pi: string) =>
    t.app.inject({ method: 'GET', url: `/v1/payments/stripe/${pi}`, headers: { authorization: `Bearer ${t.apiKey}` } });

  it('writes a group mixing new payments, a payment stored earlier and a duplicate sent twice in it', async () => {
    const earlier = `pi_earlier_${store}`;
    const authorized = charge({ payment_intent: earlier, amount: 3000, captured: false, amount_captured: 0 });
    expect((await post(stripeEvent('charge.succeeded', authorized))).statusCode).toBe(201);
    const capture = stripeEvent('charge.captured', { ...authorized, captured: true, amount_captured: 3000 });
    const fresh = Array.from({ length: 5 }, (_, i) =>
      stripeEvent('charge.succeeded', charge({ payment_intent: `pi_new_${store}_${i}`, amount: 1000 + i })),
    );
    const twice = stripeEvent('charge.succeeded', charge({ payment_intent: `pi_twice_${store}`, amount: 700 }));

    const answers = await Promise.all([capture, ...fresh, twice, twice].map(post));

    expect(answers.slice(0, 6).map((a) => a.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(
      answers
        .slice(6)
        .map((a) => a.statusCode)
        .sort(),
    ).toEqual([200, 201]);
    expect((await paymentOf(earlier)).json().payment).toMatchObject({ amountMinor: 3000, capturedMinor: 3000 });
    for (const [i] of fresh.entries())
      expect((await paymentOf(`pi_new_${store}_${i}`)).json().payment).toMatchObject({ amountMinor: 1000 + i });
    const stored = await t.container.db
      .selectFrom('payment_events')
      .select(['provider_event_id'])
      .where('provider_event_id', '=', twice.id as string)
      .execute();
    expect(stored).toHaveLength(1);
    const assessed = await t.container.db
      .selectFrom('risk_assessments')
      .select('id')
      .where('transaction_id', '=', `pi_twice_${store}`)
      .execute();
    expect(assessed).toHaveLength(1);
  });

  it('fails only the event the database refuses, and stores its neighbours in the same group', async () => {
    const refusedId = `pi_refused_${store}`;
    const refused = stripeEvent('charge.succeeded', charge({ payment_intent: refusedId, amount: 900 }));
    const neighbours = Array.from({ length: 4 }, (_, i) =>
      stripeEvent('charge.succeeded', charge({ payment_intent: `pi_beside_${store}_${i}`, amount: 900 })),
    );

    const answers = await whileDatabaseRefuses(t, refusedId, () => Promise.all([refused, ...neighbours].map(post)));

    expect(answers[0]!.json()).toMatchObject({ status: 500, code: 'internal' });
    expect(answers.slice(1).map((a) => a.statusCode)).toEqual([201, 201, 201, 201]);
    for (const [i] of neighbours.entries()) expect((await paymentOf(`pi_beside_${store}_${i}`)).statusCode).toBe(200);
  });

  it('keeps the rollups equal to the stored events after concurrent groups of two tenants', async () => {
    const other = await t.newTenant(`rollups-${store}`);
    const events = Array.from({ length: 60 }, (_, i) =>
      stripeEvent('charge.succeeded', charge({ payment_intent: `pi_roll_${store}_${i}`, amount: 100 + i })),
    );
    const answers = await Promise.all(
      events.map((event, i) =>
        i % 2 === 0 ? post(event) : postEvent({ ...t, apiKey: other.apiKey, tenantId: other.tenantId }, event),
      ),
    );
    expect(answers.every((a) => a.statusCode === 201)).toBe(true);

    for (const tenantId of [t.tenantId, other.tenantId]) {
      const { rows } = await sql<{ granularity: string; count: string; volume: string }>`
        SELECT granularity, sum(count)::text AS count, sum(volume_usd_minor)::text AS volume
        FROM analytics_rollups WHERE tenant_id = ${tenantId} GROUP BY granularity`.execute(t.container.db);
      const { rows: sums } = await sql<{ count: string; volume: string }>`
        SELECT count(*)::text AS count, coalesce(sum(amount_usd_minor), 0)::text AS volume
        FROM payment_events WHERE tenant_id = ${tenantId}`.execute(t.container.db);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect({ count: row.count, volume: row.volume }).toEqual(sums[0]);
      const { rows: slices } = await sql<{ count: string }>`
        SELECT sum(count)::text AS count FROM analytics_slices
        WHERE tenant_id = ${tenantId} AND dimension = 'all' AND granularity = 'minute'`.execute(t.container.db);
      expect(slices[0]!.count).toBe(sums[0]!.count);
    }
  });

  it('spreads successive commits over rollup shards, so concurrent commits do not wait on one row', async () => {
    const tenant = await t.newTenant(`shards-${store}`);
    // One after another: each event is its own group commit, each takes the next shard.
    for (let i = 0; i < 3; i++) {
      const event = stripeEvent('charge.succeeded', charge({ payment_intent: `pi_shard_${store}_${i}`, amount: 500 }));
      expect((await postEvent({ ...t, apiKey: tenant.apiKey, tenantId: tenant.tenantId }, event)).statusCode).toBe(201);
    }
    const { rows } = await sql<{ shards: string; count: string }>`
      SELECT count(DISTINCT shard)::text AS shards, sum(count)::text AS count FROM analytics_slices
      WHERE tenant_id = ${tenant.tenantId} AND dimension = 'all' AND granularity = 'day'`.execute(t.container.db);
    expect(rows[0]).toEqual({ shards: '3', count: '3' });
  });
});
