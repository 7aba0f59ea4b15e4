import { describe, expect, it } from 'vitest';
import {
  adyenDelivery,
  adyenItem,
  modificationItem,
} from '../../src/modules/normalize/connectors/adyen/__fixtures__/adyen-notifications.js';
import {
  checkoutEvent,
  declinedData,
} from '../../src/modules/normalize/connectors/checkout/__fixtures__/checkout-events.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

describe.each(storeKinds())('Adyen and Checkout.com through /v1/events on %s', (store) => {
  const post = (payload: unknown) => postEvent(t, payload);

  const t = appForSuite(store);

  it('detects an Adyen delivery without a hint and stores one event per item; a redelivery is replayed', async () => {
    const auth = adyenItem({ amount: { currency: 'JPY', value: 7800 } });
    const capture = modificationItem('CAPTURE', auth.pspReference as string, {
      amount: { currency: 'JPY', value: 7800 },
    });
    const delivery = adyenDelivery([auth, capture]);

    const res = await post(delivery);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.rawEvent).toMatchObject({
      status: 'normalized',
      provider: 'adyen',
      providerEventId: `${auth.pspReference}:AUTHORISATION:true|${capture.pspReference}:CAPTURE:true`,
    });
    expect(body.events).toHaveLength(2);
    expect(body.events[0]).toMatchObject({
      provider: 'adyen',
      type: 'authorization',
      status: 'approved',
      amountMinor: 7800,
      currency: 'JPY',
      providerPaymentId: auth.pspReference,
      card: { last4: '1142' },
      tenantId: t.tenantId,
    });
    expect(body.events[1]).toMatchObject({
      provider: 'adyen',
      type: 'capture',
      status: 'approved',
      amountMinor: 7800,
      providerPaymentId: auth.pspReference,
    });
    expect(body.events[0].rawEventId).toBe(body.rawEvent.id);

    const before = await t.container.rawEvents.countForTenant(t.tenantId);
    const again = await post(delivery);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(body);
    expect(await t.container.rawEvents.countForTenant(t.tenantId)).toBe(before);
    const rows = await t.container.db
      .selectFrom('payment_events')
      .select('id')
      .where('raw_event_id', '=', body.rawEvent.id)
      .execute();
    expect(rows).toHaveLength(2);
  });

  it('detects a Checkout.com event without a hint and maps its response code', async () => {
    const event = checkoutEvent(
      'payment_declined',
      declinedData('30041', 'Lost Card - Pick Up', { amount: 12340, currency: 'KWD' }),
    );
    const res = await post(event);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.rawEvent).toMatchObject({ status: 'normalized', provider: 'checkout', providerEventId: event.id });
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({
      provider: 'checkout',
      type: 'authorization',
      status: 'declined',
      failureReason: 'lost_or_stolen_card',
      declineType: 'hard',
      recommendedAction: 'do_not_retry',
      providerCode: '30041',
      amountMinor: 12340,
      currency: 'KWD',
      ip: '203.0.113.77',
    });
    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/events/${body.events[0].id}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    expect(read.json()).toEqual(body.events[0]);
  });
});
