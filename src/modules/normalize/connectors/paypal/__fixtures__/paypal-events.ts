/**
 * PayPal webhook fixtures written for Paylens (shapes follow PayPal's published webhook event and v2
 * payments/orders/disputes schemas). Builders take overrides so each test states only what it is about.
 */
let counter = 0;
const nextId = (prefix: string) => `${prefix}${String(++counter).padStart(8, '0')}PLTEST`;

type Obj = Record<string, unknown>;

const api = 'https://api-m.sandbox.paypal.com';

export function paypalEvent(eventType: string, resourceType: string, resource: Obj, extra: Obj = {}): Obj {
  const id = `WH-${nextId('7PL')}-${nextId('9XY')}`;
  return {
    id,
    event_version: '1.0',
    create_time: '2024-11-24T10:15:30.123Z',
    resource_type: resourceType,
    resource_version: '2.0',
    event_type: eventType,
    summary: `${eventType} for Paylens tests`,
    resource,
    links: [{ href: `${api}/v1/notifications/webhooks-events/${id}`, rel: 'self', method: 'GET' }],
    ...extra,
  };
}

export function money(value: string, currency = 'USD'): Obj {
  return { currency_code: currency, value };
}

export function capture(overrides: Obj = {}): Obj {
  const id = nextId('CAP');
  return {
    id,
    status: 'COMPLETED',
    amount: money('49.99'),
    final_capture: true,
    invoice_id: 'INV-2024-0042',
    custom_id: 'cart-42',
    seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
    seller_receivable_breakdown: {
      gross_amount: money('49.99'),
      paypal_fee: money('2.04'),
      net_amount: money('47.95'),
    },
    supplementary_data: { related_ids: { order_id: 'ORDER0001PL' } },
    payee: { email_address: 'shop@merchant.example', merchant_id: 'MERCHANT77PL' },
    create_time: '2024-11-24T10:15:00Z',
    update_time: '2024-11-24T10:15:05Z',
    links: [
      { href: `${api}/v2/payments/captures/${id}`, rel: 'self', method: 'GET' },
      { href: `${api}/v2/payments/captures/${id}/refund`, rel: 'refund', method: 'POST' },
      { href: `${api}/v2/checkout/orders/ORDER0001PL`, rel: 'up', method: 'GET' },
    ],
    ...overrides,
  };
}

export function declinedCapture(responseCode: string | null, overrides: Obj = {}): Obj {
  return capture({
    status: 'DECLINED',
    final_capture: true,
    ...(responseCode ? { processor_response: { avs_code: 'Y', cvv_code: 'M', response_code: responseCode } } : {}),
    ...overrides,
  });
}

export function refund(captureId: string, overrides: Obj = {}): Obj {
  const id = nextId('REF');
  return {
    id,
    status: 'COMPLETED',
    amount: money('10.00'),
    note_to_payer: 'Partial refund for a missing item',
    seller_payable_breakdown: {
      gross_amount: money('10.00'),
      paypal_fee: money('0.41'),
      net_amount: money('9.59'),
      total_refunded_amount: money('10.00'),
    },
    create_time: '2024-11-24T12:00:00-08:00',
    update_time: '2024-11-24T12:00:01-08:00',
    links: [
      { href: `${api}/v2/payments/refunds/${id}`, rel: 'self', method: 'GET' },
      { href: `${api}/v2/payments/captures/${captureId}`, rel: 'up', method: 'GET' },
    ],
    ...overrides,
  };
}

export function order(overrides: Obj = {}): Obj {
  const id = nextId('ORD');
  return {
    id,
    status: 'APPROVED',
    intent: 'CAPTURE',
    payer: {
      name: { given_name: 'Ana', surname: 'Souza' },
      email_address: 'Ana.Souza@Buyer.example',
      payer_id: 'PAYERAB12PL',
    },
    purchase_units: [
      {
        reference_id: 'default',
        amount: money('30.10', 'EUR'),
        payee: { email_address: 'shop@merchant.example', merchant_id: 'MERCHANT77PL' },
      },
      {
        reference_id: 'shipping',
        amount: money('4.95', 'EUR'),
        payee: { email_address: 'shop@merchant.example', merchant_id: 'MERCHANT77PL' },
      },
    ],
    create_time: '2024-11-24T10:00:00Z',
    update_time: '2024-11-24T10:01:00Z',
    links: [{ href: `${api}/v2/checkout/orders/${id}`, rel: 'self', method: 'GET' }],
    ...overrides,
  };
}

export function authorization(overrides: Obj = {}): Obj {
  const id = nextId('AUT');
  return {
    id,
    status: 'CREATED',
    amount: money('120.00', 'GBP'),
    expiration_time: '2024-12-23T10:00:00Z',
    supplementary_data: { related_ids: { order_id: 'ORDER0002PL' } },
    create_time: '2024-11-24T10:00:00Z',
    update_time: '2024-11-24T10:00:00Z',
    links: [
      { href: `${api}/v2/payments/authorizations/${id}`, rel: 'self', method: 'GET' },
      { href: `${api}/v2/checkout/orders/ORDER0002PL`, rel: 'up', method: 'GET' },
    ],
    ...overrides,
  };
}

export function dispute(overrides: Obj = {}): Obj {
  return {
    dispute_id: nextId('PP-D-'),
    create_time: '2024-11-25T08:00:00Z',
    update_time: '2024-11-25T08:00:00Z',
    reason: 'UNAUTHORISED',
    status: 'OPEN',
    dispute_amount: money('49.99'),
    dispute_life_cycle_stage: 'CHARGEBACK',
    dispute_channel: 'EXTERNAL',
    disputed_transactions: [
      {
        seller_transaction_id: 'CAPDISPUTED01',
        create_time: '2024-11-24T10:15:00Z',
        transaction_status: 'COMPLETED',
        gross_amount: money('49.99'),
        buyer: { name: 'Ana Souza' },
        seller: { merchant_id: 'MERCHANT77PL', name: 'Shop' },
      },
    ],
    ...overrides,
  };
}
