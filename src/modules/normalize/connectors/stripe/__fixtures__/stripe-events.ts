/**
 * Stripe event fixtures written for Paylens (shapes follow Stripe's published event and object
 * schemas). Builders take overrides so each test states only what it is about.
 */
let counter = 0;
const nextId = (prefix: string) => `${prefix}_Tst${String(++counter).padStart(8, '0')}pl`;

type Obj = Record<string, unknown>;

export function stripeEvent(type: string, object: Obj, extra: Obj = {}): Obj {
  return {
    id: nextId('evt'),
    object: 'event',
    api_version: '2024-06-20',
    created: 1732445000,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...extra,
  };
}

export function card(overrides: Obj = {}): Obj {
  return {
    brand: 'visa',
    country: 'US',
    exp_month: 12,
    exp_year: 2030,
    fingerprint: 'fpTest1',
    funding: 'credit',
    last4: '4242',
    network: 'visa',
    ...overrides,
  };
}

export function charge(overrides: Obj = {}): Obj {
  return {
    id: nextId('ch'),
    object: 'charge',
    amount: 4999,
    amount_captured: 4999,
    amount_refunded: 0,
    captured: true,
    created: 1732444990,
    currency: 'usd',
    customer: 'cus_Test001',
    disputed: false,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: { order_id: 'ORD-1' },
    outcome: {
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      risk_score: 20,
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: 'pi_Test0001',
    payment_method_details: { type: 'card', card: card() },
    billing_details: { email: 'Jane.Doe@Example.com', name: 'Jane Doe' },
    receipt_email: null,
    refunded: false,
    status: 'succeeded',
    ...overrides,
  };
}

export function declinedCharge(declineCode: string, overrides: Obj = {}): Obj {
  return charge({
    status: 'failed',
    paid: false,
    captured: false,
    amount_captured: 0,
    failure_code: 'card_declined',
    failure_message: 'Your card was declined.',
    outcome: {
      network_status: 'declined_by_network',
      reason: declineCode,
      risk_level: 'normal',
      seller_message: 'The bank did not return any further details with this decline.',
      type: 'issuer_declined',
    },
    ...overrides,
  });
}

export function paymentIntent(overrides: Obj = {}): Obj {
  return {
    id: nextId('pi'),
    object: 'payment_intent',
    amount: 12000,
    amount_capturable: 0,
    amount_received: 12000,
    capture_method: 'automatic',
    created: 1732444980,
    currency: 'eur',
    customer: null,
    latest_charge: 'ch_Test0001',
    last_payment_error: null,
    metadata: {},
    payment_method: 'pm_Test0001',
    receipt_email: 'buyer@shop.example',
    status: 'succeeded',
    ...overrides,
  };
}

export function dispute(overrides: Obj = {}): Obj {
  return {
    id: nextId('dp'),
    object: 'dispute',
    amount: 4999,
    charge: 'ch_Test0001',
    created: 1732445100,
    currency: 'usd',
    evidence_details: { due_by: 1733308800, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: 'pi_Test0001',
    payment_method_details: {
      type: 'card',
      card: { brand: 'visa', network_reason_code: '10.4', case_type: 'chargeback' },
    },
    reason: 'fraudulent',
    status: 'needs_response',
    ...overrides,
  };
}
