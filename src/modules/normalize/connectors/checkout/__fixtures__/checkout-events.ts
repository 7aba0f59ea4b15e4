/**
 * Checkout.com webhook fixtures written for Paylens (shapes follow Checkout.com's published
 * webhook event types: `{id, type, version, created_on, data{…}, _links}`).
 */
type Obj = Record<string, unknown>;

let counter = 0;
const nextId = (prefix: string) =>
  `${prefix}_pltest${String(++counter).padStart(6, '0')}abcdefghijklmn`.slice(0, prefix.length + 27);

function cardSource(overrides: Obj = {}): Obj {
  return {
    id: 'src_pltestsource000000000000000',
    type: 'card',
    expiry_month: 9,
    expiry_year: 2030,
    scheme: 'Mastercard',
    last_4: '4444',
    fingerprint: 'pltestfingerprint01',
    bin: '555544',
    card_type: 'Debit',
    card_category: 'Consumer',
    issuer: 'PAYLENS TEST BANK',
    issuer_country: 'GB',
    avs_check: 'Y',
    cvv_check: 'Y',
    ...overrides,
  };
}

export function paymentData(overrides: Obj = {}): Obj {
  return {
    id: nextId('pay'),
    action_id: nextId('act'),
    amount: 4200,
    currency: 'GBP',
    payment_type: 'Regular',
    reference: 'ORD-PL-0042',
    response_code: '10000',
    response_summary: 'Approved',
    auth_code: '553190',
    processed_on: '2024-11-22T16:20:05Z',
    processing_channel_id: 'pc_pltestchannel0000000000001',
    source: cardSource(),
    customer: { id: 'cus_pltestcustomer00000000001', email: 'Ravi.Shah@Mail.example', name: 'Ravi Shah' },
    payment_ip: '203.0.113.77',
    risk: { flagged: false, score: 12 },
    metadata: { basket: 'b-19', loyalty: 7 },
    balances: {
      total_authorized: 4200,
      total_voided: 0,
      available_to_void: 4200,
      total_captured: 0,
      available_to_capture: 4200,
      total_refunded: 0,
      available_to_refund: 0,
    },
    ...overrides,
  };
}

export function declinedData(responseCode: string, responseSummary: string, overrides: Obj = {}): Obj {
  return paymentData({
    response_code: responseCode,
    response_summary: responseSummary,
    auth_code: '000000',
    ...overrides,
  });
}

export function disputeData(overrides: Obj = {}): Obj {
  return {
    id: nextId('dsp'),
    category: 'fraudulent',
    amount: 4200,
    currency: 'GBP',
    reason_code: '10.4',
    evidence_required_by: '2024-12-10T00:00:00Z',
    payment_id: 'pay_pltestdisputed0000000000001',
    payment_action_id: 'act_pltestdisputed0000000000001',
    payment_reference: 'ORD-PL-0042',
    ...overrides,
  };
}

export function checkoutEvent(type: string, data: Obj, extra: Obj = {}): Obj {
  const id = nextId('evt');
  return {
    id,
    type,
    version: '1.0.29',
    created_on: '2024-11-22T16:20:06Z',
    data,
    _links: { self: { href: `https://api.sandbox.checkout.com/workflows/events/${id}` } },
    ...extra,
  };
}
