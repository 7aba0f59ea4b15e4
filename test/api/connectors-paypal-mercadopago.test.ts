import { describe, expect, it } from 'vitest';
import {
  capture,
  declinedCapture,
  paypalEvent,
} from '../../src/modules/normalize/connectors/paypal/__fixtures__/paypal-events.js';
import {
  notification,
  payment,
} from '../../src/modules/normalize/connectors/mercadopago/__fixtures__/mercadopago-payments.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

describe.each(storeKinds())('PayPal and Mercado Pago through /v1/events on %s', (store) => {
  const auth = () => ({ authorization: `Bearer ${t.apiKey}` });
  const post = (payload: unknown) => postEvent(t, payload);

  const t = appForSuite(store);

  it('detects a PayPal capture without a hint and stores it normalized', async () => {
    const event = paypalEvent(
      'PAYMENT.CAPTURE.COMPLETED',
      'capture',
      capture({ amount: { currency_code: 'EUR', value: '84.70' } }),
    );
    const res = await post(event);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.rawEvent).toMatchObject({
      status: 'normalized',
      provider: 'paypal',
      providerEventId: event.id,
      error: null,
    });
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({
      provider: 'paypal',
      providerEventId: event.id,
      providerPaymentId: 'ORDER0001PL',
      type: 'sale',
      status: 'approved',
      amountMinor: 8470,
      currency: 'EUR',
      tenantId: t.tenantId,
    });
    const read = await t.app.inject({ method: 'GET', url: `/v1/events/${body.events[0].id}`, headers: auth() });
    expect(read.json()).toEqual(body.events[0]);
  });

  it('maps a PayPal processor decline code end to end', async () => {
    const res = await post(paypalEvent('PAYMENT.CAPTURE.DENIED', 'capture', declinedCapture('5120')));
    expect(res.json().events[0]).toMatchObject({
      provider: 'paypal',
      status: 'declined',
      failureReason: 'insufficient_funds',
      providerCode: '5120',
    });
  });

  it('detects a Mercado Pago payment resource without a hint and stores it normalized', async () => {
    const resource = payment({
      id: 88001,
      status: 'rejected',
      status_detail: 'cc_rejected_bad_filled_security_code',
      transaction_amount: 12.34,
      currency_id: 'BRL',
    });
    const res = await post(resource);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.rawEvent).toMatchObject({
      status: 'normalized',
      provider: 'mercadopago',
      providerEventId: '88001:rejected:2024-11-24T10:00:02.000-03:00',
    });
    expect(body.events[0]).toMatchObject({
      provider: 'mercadopago',
      providerPaymentId: '88001',
      type: 'sale',
      status: 'declined',
      failureReason: 'incorrect_cvc',
      amountMinor: 1234,
      currency: 'BRL',
      card: { bin: '423564', last4: '5682', brand: 'visa' },
      merchant: { id: '810882299' },
    });
    expect(body.events[0].customerKey).not.toContain('comprador');
  });

  it('the next state of the same Mercado Pago payment is a new event; the same state is a replay', async () => {
    const approved = payment({ id: 88002, status: 'approved', date_last_updated: '2024-11-24T10:00:02.000-03:00' });
    expect((await post(approved)).statusCode).toBe(201);
    expect((await post(approved)).statusCode).toBe(200);
    const refunded = payment({
      id: 88002,
      status: 'refunded',
      status_detail: 'refunded',
      transaction_amount_refunded: 12.34,
      date_last_updated: '2024-11-26T09:00:00.000-03:00',
    });
    const res = await post(refunded);
    expect(res.statusCode).toBe(201);
    expect(res.json().events[0]).toMatchObject({
      type: 'refund',
      status: 'refunded',
      providerPaymentId: '88002',
      amountMinor: 1234,
    });
  });

  it('a Mercado Pago notification that cannot be resolved here is kept unprocessed, not lost', async () => {
    const res = await post(notification('123456789012'));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      rawEvent: { status: 'unprocessed', provider: 'mercadopago', error: expect.stringContaining('accessToken') },
      events: [],
    });
  });
});
