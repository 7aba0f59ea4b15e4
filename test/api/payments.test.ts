import { describe, expect, it } from 'vitest';
import {
  charge,
  dispute,
  paymentIntent,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const T0 = 1_767_000_000;

/** The life of one manual-capture Stripe payment: created → authorized → captured → partly refunded → disputed. */
function lifeOf(pi: string, currency = 'eur') {
  const intent = (o: Record<string, unknown>) =>
    paymentIntent({ id: pi, amount: 12000, currency, capture_method: 'manual', ...o });
  const ch = (o: Record<string, unknown>) => charge({ payment_intent: pi, amount: 12000, currency, ...o });
  return [
    stripeEvent('payment_intent.created', intent({ status: 'requires_payment_method', amount_received: 0 }), {
      created: T0,
    }),
    stripeEvent(
      'payment_intent.amount_capturable_updated',
      intent({ status: 'requires_capture', amount_capturable: 12000, amount_received: 0 }),
      { created: T0 + 10 },
    ),
    stripeEvent('payment_intent.succeeded', intent({ amount_received: 12000 }), { created: T0 + 20 }),
    stripeEvent('charge.refunded', ch({ amount_refunded: 2000, refunded: false }), {
      created: T0 + 30,
      data: { object: ch({ amount_refunded: 2000, refunded: false }), previous_attributes: { amount_refunded: 0 } },
    }),
    stripeEvent('charge.dispute.created', dispute({ payment_intent: pi, amount: 10000, currency }), {
      created: T0 + 40,
    }),
  ];
}

describe.each(storeKinds())('payments API on %s', (store) => {
  const auth = (key = t.apiKey) => ({ authorization: `Bearer ${key}` });
  const post = async (payload: unknown) => {
    const res = await postEvent(t, payload);
    expect(res.statusCode).toBe(201);
  };
  const get = (pi: string, key?: string) =>
    t.app.inject({ method: 'GET', url: `/v1/payments/stripe/${pi}`, headers: auth(key) });

  const t = appForSuite(store);

  it('folds a payment from its events and returns the timeline by provider time', async () => {
    const pi = `pi_life_${store}`;
    for (const event of lifeOf(pi)) await post(event);
    const res = await get(pi);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.payment).toEqual({
      provider: 'stripe',
      providerPaymentId: pi,
      status: 'chargeback',
      amountMinor: 12000,
      currency: 'EUR',
      capturedMinor: 12000,
      refundedMinor: 2000,
      flags: [],
      firstEventAt: new Date(T0 * 1000).toISOString(),
      lastEventAt: new Date((T0 + 40) * 1000).toISOString(),
    });
    expect(body.timeline.map((e: { type: string }) => e.type)).toEqual([
      'authorization',
      'authorization',
      'capture',
      'refund',
      'dispute',
    ]);
    expect(body.timeline.map((e: { occurredAt: string }) => e.occurredAt)).toEqual(
      [...body.timeline.map((e: { occurredAt: string }) => e.occurredAt)].sort(),
    );
  });

  it('reversed arrival gives the same payment as in-order arrival', async () => {
    const inOrder = `pi_order_a_${store}`;
    const reversed = `pi_order_b_${store}`;
    for (const event of lifeOf(inOrder)) await post(event);
    for (const event of lifeOf(reversed).reverse()) await post(event);
    const a = (await get(inOrder)).json().payment;
    const b = (await get(reversed)).json().payment;
    expect({ ...b, providerPaymentId: inOrder }).toEqual(a);
  });

  it('concurrent arrival of all events of one payment gives the same state', async () => {
    const pi = `pi_concurrent_${store}`;
    const events = lifeOf(pi);
    const responses = await Promise.all(events.map((e) => postEvent(t, e)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(events.length).fill(201));
    expect((await get(pi)).json().payment).toMatchObject({
      status: 'chargeback',
      capturedMinor: 12000,
      refundedMinor: 2000,
      amountMinor: 12000,
    });
  });

  it('a late older event does not move a refunded payment back', async () => {
    const pi = `pi_late_${store}`;
    const ch = (o: Record<string, unknown>) =>
      charge({ payment_intent: pi, amount: 3000, amount_captured: 3000, ...o });
    await post(stripeEvent('charge.refunded', ch({ amount_refunded: 3000, refunded: true }), { created: T0 + 100 }));
    await post(stripeEvent('charge.succeeded', ch({}), { created: T0 + 50 }));
    await post(stripeEvent('charge.captured', ch({}), { created: T0 + 200 }));
    expect((await get(pi)).json().payment).toMatchObject({
      status: 'refunded',
      refundedMinor: 3000,
      capturedMinor: 3000,
      flags: [],
    });
  });

  it('flags currency and amount mismatches between events of one payment', async () => {
    const pi = `pi_mismatch_${store}`;
    await post(
      stripeEvent('charge.succeeded', charge({ payment_intent: pi, amount: 5000, currency: 'usd' }), { created: T0 }),
    );
    await post(
      stripeEvent(
        'charge.captured',
        charge({ payment_intent: pi, amount: 5000, amount_captured: 7000, currency: 'eur' }),
        { created: T0 + 5 },
      ),
    );
    expect((await get(pi)).json().payment.flags).toEqual(['currency_mismatch', 'amount_mismatch']);
  });

  it("answers 404 for an unknown payment and for another tenant's payment", async () => {
    const missing = await get('pi_does_not_exist');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('not_found');
    const other = await t.newTenant(`pay-other-${store}`);
    expect((await get(`pi_life_${store}`, other.apiKey)).statusCode).toBe(404);
  });
});
