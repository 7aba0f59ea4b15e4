import { randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import {
  notification as mercadoPagoNotification,
  payment as mercadoPagoPayment,
} from '../../src/modules/normalize/connectors/mercadopago/__fixtures__/mercadopago-payments.js';
import {
  capture as paypalCapture,
  money,
  paypalEvent,
  refund as paypalRefund,
} from '../../src/modules/normalize/connectors/paypal/__fixtures__/paypal-events.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { SeenDeliveries } from '../../src/modules/webhooks/seen-deliveries.js';
import { callApi, createTestApp, type TestApp } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';
import { jsonWithCrc32 } from './crc32-forge.js';
import { startListener, type Listener } from './outbound-listener.js';
import { mercadoPagoHeaders, paypalSigner, stripeSignature, type PaypalSigner } from './signing.js';

const ENCRYPTION_KEY = randomBytes(32).toString('hex');
const MP_SECRET = 'mp-replay-secret-0123456789';
const STRIPE_SECRET = 'whsec_replay_0123456789';
const PAYPAL_WEBHOOK_ID = 'WH-REPLAY-1';
const MINUTE = 60_000;

/** The Mercado Pago API's view: payment 777 is an approved 12.34 BRL sale. */
const genuinePayment = mercadoPagoPayment({
  id: 777,
  status: 'approved',
  transaction_amount: 12.34,
  currency_id: 'BRL',
  date_last_updated: '2024-11-24T10:00:02.000-03:00',
});

describe.each(storeKinds())('webhooks cannot be replayed or forged on %s', (store) => {
  let t: TestApp;
  let mpApi: Listener;
  let paypal: PaypalSigner;
  let endpoints: {
    mercadopago: { id: string; url: string };
    paypal: { id: string; url: string };
    stripe: { id: string; url: string };
  };

  const deliver = (url: string, body: string | Buffer, headers: Record<string, string>, app = t.app) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: body });
  const rawCount = () => t.container.rawEvents.countForTenant(t.tenantId);
  const paymentEventsFor = (providerPaymentId: string) =>
    t.container.db
      .selectFrom('payment_events')
      .select(['type', 'status', 'amount_minor'])
      .where('tenant_id', '=', t.tenantId)
      .where('provider_payment_id', '=', providerPaymentId)
      .execute();
  const mpDelivery = (
    dataId: string,
    requestId: string,
    tsMillis: number,
    body: unknown = mercadoPagoNotification(dataId),
  ) => ({
    url: `${endpoints.mercadopago.url}?data.id=${dataId}&type=payment`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: mercadoPagoHeaders(MP_SECRET, dataId, requestId, tsMillis),
  });

  beforeAll(async () => {
    mpApi = await startListener((req, res) => {
      if (req.url === '/v1/payments/777')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(genuinePayment));
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
    });
    paypal = paypalSigner();
    // The Mercado Pago stand-in listens on loopback over http: only an operator's opt-in allows that.
    t = await createTestApp(store, {
      PAYLENS_ENCRYPTION_KEY: ENCRYPTION_KEY,
      OUTBOUND_ALLOW_PRIVATE: 'true',
      OUTBOUND_ALLOW_HTTP: 'true',
    });
    const create = async (body: Record<string, unknown>) => {
      const res = await callApi(t, 'POST', '/v1/webhook-endpoints', body);
      expect(res.statusCode).toBe(201);
      return res.json() as { id: string; url: string };
    };
    endpoints = {
      mercadopago: await create({
        provider: 'mercadopago',
        secret: MP_SECRET,
        settings: { accessToken: 'APP_USR-replay', apiBaseUrl: mpApi.url },
      }),
      paypal: await create({
        provider: 'paypal',
        secret: 'unused',
        settings: { webhookId: PAYPAL_WEBHOOK_ID, certificateSource: { pem: paypal.certificate } },
      }),
      stripe: await create({ provider: 'stripe', secret: STRIPE_SECRET }),
    };
  });
  afterAll(async () => {
    await mpApi.close();
    await t.close();
  });

  describe('Mercado Pago', () => {
    it('refuses a signature made long ago (2023), whatever unit its ts is in, and fetches nothing', async () => {
      const before = { raw: await rawCount(), api: mpApi.requests.length };
      const made2023 = Date.parse('2023-06-01T12:00:00Z');
      for (const ts of [made2023, Math.floor(made2023 / 1000)]) {
        const { url, body, headers } = mpDelivery('777', randomUUID(), ts);
        const res = await deliver(url, body, headers);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({
          code: 'invalid_signature',
          detail: expect.stringContaining('older than the 300 s tolerance'),
        });
      }
      const future = mpDelivery('777', randomUUID(), Date.now() + 10 * MINUTE);
      expect((await deliver(future.url, future.body, future.headers)).json()).toMatchObject({
        code: 'invalid_signature',
        detail: expect.stringContaining('in the future'),
      });
      expect(await rawCount()).toBe(before.raw);
      expect(mpApi.requests).toHaveLength(before.api);
    });

    it('a fresh signature does not vouch for the body: a forged payment resource is refused, and the payment comes from the API', async () => {
      const forged = mercadoPagoPayment({
        id: 999001,
        status: 'refunded',
        status_detail: 'refunded',
        transaction_amount: 98765.43,
        transaction_amount_refunded: 98765.43,
        currency_id: 'BRL',
      });
      const before = await rawCount();
      for (const body of [forged, mercadoPagoNotification('999001')]) {
        const { url, headers } = mpDelivery('777', randomUUID(), Date.now());
        const res = await deliver(url, JSON.stringify(body), headers);
        expect(res.statusCode).toBe(401);
        expect(res.json().detail).toBe('the body is not the notification for the signed data.id');
      }
      expect(await rawCount()).toBe(before);
      expect(await paymentEventsFor('999001')).toEqual([]);

      const genuine = mpDelivery('777', randomUUID(), Date.now());
      const res = await deliver(genuine.url, genuine.body, genuine.headers);
      expect(res.json()).toMatchObject({ status: 'normalized', replayed: false });
      expect(await paymentEventsFor('777')).toEqual([
        { type: 'sale', status: 'approved', amount_minor: expect.anything() },
      ]);
      expect(Number((await paymentEventsFor('777'))[0]!.amount_minor)).toBe(1234);
    });

    it('processes an x-request-id once: a replay, even with another body, answers 200 with the first receipt and stores nothing', async () => {
      const requestId = randomUUID();
      const first = mpDelivery('777', requestId, Date.now());
      const stored = await deliver(first.url, first.body, first.headers);
      expect(stored.statusCode).toBe(200);
      const receipt = stored.json();
      const before = { raw: await rawCount(), api: mpApi.requests.length };

      const again = await deliver(first.url, first.body, first.headers);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ ...receipt, replayed: true });
      // Another notification id would have been a new raw event before; the signature is the same, so it is the same delivery.
      const otherBody = await deliver(
        first.url,
        JSON.stringify(mercadoPagoNotification('777', { action: 'payment.created' })),
        first.headers,
      );
      expect(otherBody.json()).toEqual({ ...receipt, replayed: true });
      expect(await rawCount()).toBe(before.raw);
      expect(mpApi.requests).toHaveLength(before.api);
      const seen = await t.container.db
        .selectFrom('webhook_seen_deliveries')
        .selectAll()
        .where('endpoint_id', '=', endpoints.mercadopago.id)
        .where('delivery_id', '=', requestId)
        .execute();
      expect(seen).toEqual([expect.objectContaining({ raw_event_id: receipt.rawEventId })]);
    });

    it('processes concurrent copies of one delivery once, whatever bodies they carry', async () => {
      const copy = mpDelivery('777', randomUUID(), Date.now());
      const before = await rawCount();
      // Each copy carries its own notification id: only the signed x-request-id says they are one delivery.
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          deliver(copy.url, JSON.stringify(mercadoPagoNotification('777')), copy.headers),
        ),
      );
      const statuses = answers.map((a) => a.statusCode);
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
      expect(answers.filter((a) => a.statusCode === 200 && a.json().replayed === false)).toHaveLength(1);
      expect(await rawCount()).toBe(before + 1);
    });
  });

  describe('PayPal (certificate verification)', () => {
    const body = (captureId = 'CAP-1') =>
      JSON.stringify(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', paypalCapture({ id: captureId })));
    /** What an attacker makes of a captured delivery: a 99,999 USD refund with the captured body's CRC32. */
    const forgedRefund = (captured: string) =>
      jsonWithCrc32(crc32(Buffer.from(captured)) >>> 0, (nonce, pad) => {
        const event = JSON.stringify(
          paypalEvent(
            'PAYMENT.CAPTURE.REFUNDED',
            'refund',
            paypalRefund('CAP-FORGED', { id: `REF-FORGED-${nonce}`, amount: money('99999.00') }),
          ),
        );
        return `${event.slice(0, -1)},"pad":"${pad}"}`;
      });

    it('refuses a captured delivery replayed after the transmission-time window, forged body or not', async () => {
      const captured = body();
      const forged = forgedRefund(captured);
      // The forgery is real: the offline scheme signs only the CRC32, which the forged body shares.
      expect(crc32(forged) >>> 0).toBe(crc32(Buffer.from(captured)) >>> 0);
      const headers = paypal.headers({
        transmissionId: randomUUID(),
        time: new Date(Date.now() - 10 * MINUTE),
        webhookId: PAYPAL_WEBHOOK_ID,
        body: captured,
      });
      const before = await rawCount();
      for (const payload of [captured, forged]) {
        const res = await deliver(endpoints.paypal.url, payload, headers);
        expect(res.statusCode).toBe(401);
        expect(res.json().detail).toContain('PAYPAL-TRANSMISSION-TIME is older than the 300 s tolerance');
      }
      const ahead = paypal.headers({
        transmissionId: randomUUID(),
        time: new Date(Date.now() + 10 * MINUTE),
        webhookId: PAYPAL_WEBHOOK_ID,
        body: captured,
      });
      expect((await deliver(endpoints.paypal.url, captured, ahead)).json().detail).toContain('in the future');
      expect(await rawCount()).toBe(before);
      expect(await paymentEventsFor('CAP-FORGED')).toEqual([]);
    });

    it('processes a transmission id once: the CRC32-matched forgery of a fresh delivery is not processed', async () => {
      const captured = body('CAP-FRESH');
      const headers = paypal.headers({
        transmissionId: randomUUID(),
        time: new Date(),
        webhookId: PAYPAL_WEBHOOK_ID,
        body: captured,
      });
      const first = await deliver(endpoints.paypal.url, captured, headers);
      expect(first.json()).toMatchObject({ status: 'normalized', replayed: false });
      const before = await rawCount();

      const forged = await deliver(endpoints.paypal.url, forgedRefund(captured), headers);
      expect(forged.statusCode).toBe(200);
      expect(forged.json()).toEqual({ ...first.json(), replayed: true });
      expect(await rawCount()).toBe(before);
      expect(await paymentEventsFor('CAP-FORGED')).toEqual([]);
    });
  });

  describe('Stripe', () => {
    it('refuses a timestamp too far in the future as well as in the past', async () => {
      const payload = JSON.stringify(stripeEvent('charge.succeeded', charge()));
      const now = Math.floor(Date.now() / 1000);
      const before = await rawCount();
      for (const t0 of [now + 3600, now - 3600]) {
        const res = await deliver(endpoints.stripe.url, payload, {
          'stripe-signature': stripeSignature(payload, STRIPE_SECRET, t0),
        });
        expect(res.statusCode).toBe(401);
      }
      expect(await rawCount()).toBe(before);
      expect(
        (
          await deliver(endpoints.stripe.url, payload, {
            'stripe-signature': stripeSignature(payload, STRIPE_SECRET, now + 60),
          })
        ).statusCode,
      ).toBe(200);
    });
  });

  describe('the seen-delivery store', () => {
    it('forgets an id once its signature is stale, takes over an abandoned claim, and frees a failed one', async () => {
      let now = new Date('2030-01-01T00:00:00Z');
      const seen = new SeenDeliveries(t.container.db, () => now, { leaseMs: 60_000, clockSkewMs: 0, pruneEveryMs: 0 });
      const endpointId = endpoints.stripe.id;
      const freshUntil = new Date(now.getTime() + 5 * MINUTE);
      expect(await seen.claim(endpointId, 'd-1', freshUntil)).toEqual({ kind: 'claimed' });
      expect(await seen.claim(endpointId, 'd-1', freshUntil)).toEqual({ kind: 'in_flight' });
      await seen.complete(endpointId, 'd-1', 'raw_x');
      expect(await seen.claim(endpointId, 'd-1', freshUntil)).toEqual({ kind: 'seen', rawEventId: 'raw_x' });

      expect(await seen.claim(endpointId, 'd-2', freshUntil)).toEqual({ kind: 'claimed' });
      await seen.release(endpointId, 'd-2');
      expect(await seen.claim(endpointId, 'd-2', freshUntil)).toEqual({ kind: 'claimed' });
      now = new Date(now.getTime() + 61_000);
      expect(await seen.claim(endpointId, 'd-2', freshUntil)).toEqual({ kind: 'claimed' });

      now = new Date(freshUntil.getTime() + 1);
      expect(await seen.prune(now)).toBeGreaterThanOrEqual(2);
      const left = await t.container.db
        .selectFrom('webhook_seen_deliveries')
        .select('delivery_id')
        .where('endpoint_id', '=', endpointId)
        .execute();
      expect(left).toEqual([]);
    });
  });

  if (store === 'postgres') {
    it('dedupe holds across instances sharing the database', async () => {
      const other = await createContainer(t.container.config);
      const otherApp = await buildApp(other, { logger: false });
      await otherApp.ready();
      try {
        const delivery = mpDelivery('777', randomUUID(), Date.now());
        const first = await deliver(delivery.url, delivery.body, delivery.headers);
        expect(first.json().replayed).toBe(false);
        const before = await rawCount();
        const onOther = await deliver(
          delivery.url,
          JSON.stringify(mercadoPagoNotification('777')),
          delivery.headers,
          otherApp,
        );
        expect(onOther.statusCode).toBe(200);
        expect(onOther.json()).toEqual({ ...first.json(), replayed: true });
        expect(await rawCount()).toBe(before);
      } finally {
        await otherApp.close();
        await other.close();
      }
    });
  }
});
