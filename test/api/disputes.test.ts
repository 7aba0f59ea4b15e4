import { describe, expect, it } from 'vitest';
import { appForSuite, callApi, postEvent } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
let seq = 0;
const uid = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++seq).toString(36).padStart(4, '0')}`;

// Payloads in each provider's published webhook format (see /work/shared/psp/FORMATS.md), written for these tests.
const stripe = {
  charge(paymentIntent: string, charge: string, at: string) {
    return {
      id: uid('evt_'),
      object: 'event',
      api_version: '2024-06-20',
      created: unix(at),
      livemode: false,
      type: 'charge.succeeded',
      data: {
        object: {
          id: charge,
          object: 'charge',
          amount: 48_000,
          amount_captured: 48_000,
          amount_refunded: 0,
          captured: true,
          currency: 'usd',
          status: 'succeeded',
          paid: true,
          payment_intent: paymentIntent,
          billing_details: { email: 'dana@example.com', name: 'Dana' },
          payment_method_details: {
            type: 'card',
            card: { brand: 'visa', country: 'US', last4: '4242', funding: 'credit' },
          },
          outcome: { type: 'authorized', network_status: 'approved_by_network', risk_level: 'normal' },
        },
      },
    };
  },
  dispute(type: string, paymentIntent: string, charge: string, at: string, reason: string, status: string) {
    return {
      id: uid('evt_'),
      object: 'event',
      api_version: '2024-06-20',
      created: unix(at),
      livemode: false,
      type,
      data: {
        object: {
          id: uid('dp_'),
          object: 'dispute',
          amount: 48_000,
          currency: 'usd',
          charge,
          payment_intent: paymentIntent,
          created: unix(at),
          reason,
          status,
          evidence_details: {
            due_by: unix(at) + 14 * 86_400,
            has_evidence: false,
            past_due: false,
            submission_count: 0,
          },
          is_charge_refundable: false,
          livemode: false,
          metadata: {},
          payment_method_details: {
            type: 'card',
            card: { brand: 'visa', case_type: 'chargeback', network_reason_code: '10.4' },
          },
        },
      },
    };
  },
  earlyFraudWarning(paymentIntent: string, charge: string, at: string, fraudType: string) {
    return {
      id: uid('evt_'),
      object: 'event',
      api_version: '2024-06-20',
      created: unix(at),
      livemode: false,
      type: 'radar.early_fraud_warning.created',
      data: {
        object: {
          id: uid('issfr_'),
          object: 'radar.early_fraud_warning',
          actionable: true,
          charge,
          created: unix(at),
          fraud_type: fraudType,
          livemode: false,
          payment_intent: paymentIntent,
        },
      },
    };
  },
};

const adyen = (items: Record<string, unknown>[]) => ({
  live: 'false',
  notificationItems: items.map((item) => ({ NotificationRequestItem: item })),
});
const adyenAuthorisation = (psp: string, at: string) => ({
  pspReference: psp,
  merchantAccountCode: 'AcmeECOM',
  merchantReference: `order-${psp}`,
  eventCode: 'AUTHORISATION',
  eventDate: at,
  success: 'true',
  reason: '061234:1111:03/2030',
  amount: { value: 25_000, currency: 'EUR' },
  paymentMethod: 'visa',
  additionalData: {
    cardSummary: '1111',
    cardBin: '411111',
    issuerCountry: 'NL',
    shopperEmail: 'ruud@example.nl',
    shopperIP: '203.0.113.40',
  },
});
const adyenDispute = (eventCode: string, original: string, at: string, reasonCode: string | null, reason: string) => ({
  pspReference: uid('DSP'),
  originalReference: original,
  merchantAccountCode: 'AcmeECOM',
  merchantReference: `order-${original}`,
  eventCode,
  eventDate: at,
  success: 'true',
  reason,
  amount: { value: 25_000, currency: 'EUR' },
  paymentMethod: 'visa',
  additionalData: {
    ...(reasonCode ? { chargebackReasonCode: reasonCode, chargebackSchemeCode: 'visa' } : {}),
    defendable: 'true',
  },
});

const paypal = {
  capture(order: string, capture: string, at: string) {
    return {
      id: uid('WH-'),
      create_time: at,
      resource_type: 'capture',
      event_type: 'PAYMENT.CAPTURE.COMPLETED',
      event_version: '1.0',
      resource_version: '2.0',
      summary: 'Payment completed for $ 90.00 USD',
      resource: {
        id: capture,
        status: 'COMPLETED',
        amount: { currency_code: 'USD', value: '90.00' },
        final_capture: true,
        payee: { merchant_id: 'MERCHANT7' },
        supplementary_data: { related_ids: { order_id: order } },
        create_time: at,
        update_time: at,
      },
      links: [],
    };
  },
  dispute(capture: string, at: string, reason: string) {
    return {
      id: uid('WH-'),
      create_time: at,
      resource_type: 'dispute',
      event_type: 'CUSTOMER.DISPUTE.CREATED',
      event_version: '1.0',
      resource_version: '1.0',
      summary: 'A new dispute opened',
      resource: {
        dispute_id: uid('PP-D-'),
        create_time: at,
        update_time: at,
        reason,
        status: 'OPEN',
        dispute_state: 'OPEN_INQUIRIES',
        dispute_amount: { currency_code: 'USD', value: '90.00' },
        dispute_life_cycle_stage: 'CHARGEBACK',
        dispute_channel: 'EXTERNAL',
        disputed_transactions: [
          { seller_transaction_id: capture, seller: { merchant_id: 'MERCHANT7' }, buyer: { email: 'pat@example.com' } },
        ],
      },
      links: [],
    };
  },
};

const checkout = {
  approved(payment: string, at: string) {
    return {
      id: uid('evt_'),
      type: 'payment_approved',
      version: '1.0.29',
      created_on: at,
      data: {
        id: payment,
        action_id: uid('act_'),
        amount: 12_000,
        currency: 'GBP',
        response_code: '10000',
        response_summary: 'Approved',
        processed_on: at,
        source: {
          type: 'card',
          scheme: 'Visa',
          last_4: '4242',
          bin: '424242',
          card_type: 'CREDIT',
          issuer_country: 'GB',
        },
        customer: { id: 'cus_ck1', email: 'sam@example.co.uk' },
        payment_ip: '198.51.100.20',
      },
      _links: {},
    };
  },
  dispute(payment: string, at: string, reasonCode: string) {
    return {
      id: uid('evt_'),
      type: 'dispute_received',
      version: '1.0.29',
      created_on: at,
      data: {
        id: uid('dsp_'),
        payment_id: payment,
        amount: 12_000,
        currency: 'GBP',
        reason_code: reasonCode,
        category: 'fraudulent',
        evidence_required_by: at,
      },
      _links: {},
    };
  },
};

const mercadoPago = (id: number, status: string, detail: string, at: string) => ({
  id,
  status,
  status_detail: detail,
  transaction_amount: 350.5,
  transaction_amount_refunded: 0,
  currency_id: 'BRL',
  payment_method_id: 'master',
  payment_type_id: 'credit_card',
  payer: { email: 'joana@example.com.br', id: '7788' },
  collector_id: 556677,
  date_created: '2026-04-01T10:00:00.000-03:00',
  date_last_updated: at,
  installments: 1,
  card: { first_six_digits: '503143', last_four_digits: '6351' },
  live_mode: false,
});

describe.each(storeKinds())('disputes and fraud warnings label transactions (%s)', (store) => {
  const t = appForSuite(store);

  const ingest = async (payload: unknown) => {
    const res = await postEvent(t, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { events: { id: string; type: string; status: string; risk: unknown }[] };
  };
  const history = async (transactionId: string) => {
    const res = await callApi(t, 'GET', `/v1/risk/assessments/${encodeURIComponent(transactionId)}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('Stripe: charge.dispute.created labels the payment intent chargeback with the reason; an early fraud warning labels fraud and never downgrades a chargeback', async () => {
    const [pi, ch] = [uid('pi_'), uid('ch_')];
    const sale = (await ingest(stripe.charge(pi, ch, '2026-04-01T10:00:00Z'))).events[0]!;
    expect(sale.risk).not.toBeNull();
    expect((await history(pi)).label).toBeNull();

    const dispute = (
      await ingest(
        stripe.dispute('charge.dispute.created', pi, ch, '2026-04-20T09:00:00Z', 'fraudulent', 'needs_response'),
      )
    ).events[0]!;
    expect(dispute).toMatchObject({ type: 'dispute', status: 'chargeback' });
    expect(await history(pi)).toMatchObject({
      label: 'chargeback',
      labelDetail: {
        label: 'chargeback',
        source: 'dispute',
        provider: 'stripe',
        reasonCode: 'fraudulent',
        eventId: dispute.id,
      },
    });

    // A warning about the same charge arriving later says less than the dispute: the chargeback stands.
    await ingest(stripe.earlyFraudWarning(pi, ch, '2026-04-21T09:00:00Z', 'made_with_stolen_card'));
    expect((await history(pi)).labelDetail).toMatchObject({ label: 'chargeback', reasonCode: 'fraudulent' });

    // Another payment: a warning first labels it fraud (it used to be ignored as not a payment event).
    const [pi2, ch2] = [uid('pi_'), uid('ch_')];
    await ingest(stripe.charge(pi2, ch2, '2026-04-02T10:00:00Z'));
    const warning = (await ingest(stripe.earlyFraudWarning(pi2, ch2, '2026-04-05T09:00:00Z', 'made_with_stolen_card')))
      .events[0]!;
    expect(warning).toMatchObject({ type: 'dispute', status: 'pending' });
    expect((await history(pi2)).labelDetail).toMatchObject({
      label: 'fraud',
      source: 'fraud_warning',
      provider: 'stripe',
      reasonCode: 'made_with_stolen_card',
      eventId: warning.id,
    });
    // The warning moves no money: the payment keeps its own currency and no mismatch flag.
    const payment = (await callApi(t, 'GET', `/v1/payments/stripe/${pi2}`)).json();
    expect(payment.payment).toMatchObject({ currency: 'USD', amountMinor: 48_000, flags: [] });
    expect(payment.timeline.map((e: { type: string; currency: string }) => `${e.type} ${e.currency}`)).toEqual([
      'sale USD',
      'dispute XXX',
    ]);

    // A dispute the merchant won says nothing new about an unlabelled payment.
    const [pi3, ch3] = [uid('pi_'), uid('ch_')];
    await ingest(stripe.charge(pi3, ch3, '2026-04-03T10:00:00Z'));
    await ingest(stripe.dispute('charge.dispute.closed', pi3, ch3, '2026-04-25T09:00:00Z', 'fraudulent', 'won'));
    expect((await history(pi3)).label).toBeNull();
  });

  it('Adyen: CHARGEBACK and NOTIFICATION_OF_CHARGEBACK label the original payment chargeback with the scheme reason code; NOTIFICATION_OF_FRAUD labels fraud', async () => {
    const [a, b, c] = [uid('PSPA'), uid('PSPB'), uid('PSPC')];
    await ingest(
      adyen([
        adyenAuthorisation(a, '2026-04-01T10:00:00+02:00'),
        adyenAuthorisation(b, '2026-04-01T10:05:00+02:00'),
        adyenAuthorisation(c, '2026-04-01T10:10:00+02:00'),
      ]),
    );
    await ingest(
      adyen([
        adyenDispute('CHARGEBACK', a, '2026-04-15T08:00:00+02:00', ' 10.4', 'Other Fraud-Card Absent Environment'),
      ]),
    );
    await ingest(
      adyen([
        adyenDispute(
          'NOTIFICATION_OF_CHARGEBACK',
          b,
          '2026-04-15T08:00:00+02:00',
          '4837',
          'No Cardholder Authorization',
        ),
      ]),
    );
    await ingest(adyen([adyenDispute('NOTIFICATION_OF_FRAUD', c, '2026-04-10T08:00:00+02:00', null, 'Fraud report')]));
    expect((await history(a)).labelDetail).toMatchObject({
      label: 'chargeback',
      source: 'dispute',
      provider: 'adyen',
      reasonCode: '10.4',
    });
    expect((await history(b)).labelDetail).toMatchObject({
      label: 'chargeback',
      source: 'dispute',
      reasonCode: '4837',
    });
    expect((await history(c)).labelDetail).toMatchObject({
      label: 'fraud',
      source: 'fraud_warning',
      provider: 'adyen',
    });
  });

  it('PayPal: CUSTOMER.DISPUTE.CREATED names the capture; the label lands on the order the capture was scored under', async () => {
    const [order, capture] = [uid('ORD'), uid('CAP')];
    const sale = (await ingest(paypal.capture(order, capture, '2026-04-01T10:00:00Z'))).events[0]!;
    expect(sale).toMatchObject({ type: 'sale', status: 'approved' });
    expect((await history(order)).assessments).toHaveLength(1);
    await ingest(paypal.dispute(capture, '2026-04-18T10:00:00Z', 'UNAUTHORISED'));
    expect(await history(order)).toMatchObject({
      label: 'chargeback',
      labelDetail: { source: 'dispute', provider: 'paypal', reasonCode: 'UNAUTHORISED' },
    });
  });

  it('Checkout.com: dispute_received labels the disputed payment chargeback with the reason code', async () => {
    const payment = uid('pay_');
    await ingest(checkout.approved(payment, '2026-04-01T10:00:00Z'));
    await ingest(checkout.dispute(payment, '2026-04-16T10:00:00Z', '10.4'));
    expect((await history(payment)).labelDetail).toMatchObject({
      label: 'chargeback',
      source: 'dispute',
      provider: 'checkout',
      reasonCode: '10.4',
    });
  });

  it('Mercado Pago: a payment charged back labels itself chargeback with its status detail', async () => {
    const id = 90_000_000 + seq++;
    await ingest(mercadoPago(id, 'approved', 'accredited', '2026-04-01T10:00:00.000-03:00'));
    expect((await history(String(id))).label).toBeNull();
    await ingest(mercadoPago(id, 'charged_back', 'settled', '2026-04-22T10:00:00.000-03:00'));
    expect((await history(String(id))).labelDetail).toMatchObject({
      label: 'chargeback',
      source: 'dispute',
      provider: 'mercadopago',
      reasonCode: 'settled',
    });
  });

  it('Mercado Pago: a chargeback (the resource a topic_chargebacks_wh notification resolves to) labels its payment chargeback with the reason', async () => {
    const id = 90_000_000 + seq++;
    await ingest(mercadoPago(id, 'approved', 'accredited', '2026-04-01T10:00:00.000-03:00'));
    const dispute = (
      await ingest({
        id: `2340000628904${id}`,
        payments: [id],
        currency: 'BRL',
        amount: 350.5,
        reason: 'fraud',
        coverage_applied: null,
        coverage_elegible: true,
        documentation_required: true,
        documentation_status: 'pending',
        documentation: [],
        date_documentation_deadline: '2026-05-02T23:59:59.000-03:00',
        date_created: '2026-04-22T10:00:00.000-03:00',
        date_last_updated: '2026-04-22T10:00:00.000-03:00',
        live_mode: false,
      })
    ).events[0]!;
    expect(dispute).toMatchObject({ type: 'dispute', status: 'chargeback' });
    expect((await history(String(id))).labelDetail).toMatchObject({
      label: 'chargeback',
      source: 'dispute',
      provider: 'mercadopago',
      reasonCode: 'fraud',
    });
  });

  it('a provider label feeds training like an analyst one, an analyst can relabel it, and a redelivered dispute stores nothing twice', async () => {
    const [pi, ch] = [uid('pi_'), uid('ch_')];
    await ingest(stripe.charge(pi, ch, '2026-04-04T10:00:00Z'));
    const delivery = stripe.dispute(
      'charge.dispute.created',
      pi,
      ch,
      '2026-04-20T09:00:00Z',
      'product_not_received',
      'needs_response',
    );
    await ingest(delivery);
    const again = await postEvent(t, delivery);
    expect(again.statusCode).toBe(200);
    expect(
      (await callApi(t, 'GET', `/v1/risk/assessments?labeled=true&limit=500`))
        .json()
        .data.map((a: { transactionId: string }) => a.transactionId),
    ).toContain(pi);

    expect((await callApi(t, 'POST', '/v1/risk/labels', { transactionId: pi, label: 'legit' })).statusCode).toBe(201);
    expect((await history(pi)).labelDetail).toMatchObject({
      label: 'legit',
      source: 'api',
      provider: null,
      reasonCode: null,
      eventId: null,
    });
  });
});
