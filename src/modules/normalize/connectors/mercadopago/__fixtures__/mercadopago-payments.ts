/**
 * Mercado Pago fixtures written for Paylens (shapes follow the documented webhook notification and the
 * GET /v1/payments/{id} resource). Builders take overrides so each test states only what it is about.
 */
let counter = 0;
const nextId = () => 91_000_000_000 + ++counter;

type Obj = Record<string, unknown>;

export function notification(paymentId: string, overrides: Obj = {}): Obj {
  return {
    id: nextId(),
    live_mode: true,
    type: 'payment',
    date_created: '2024-11-24T10:04:58.396-03:00',
    user_id: 810882299,
    api_version: 'v1',
    action: 'payment.updated',
    data: { id: paymentId },
    ...overrides,
  };
}

export function payment(overrides: Obj = {}): Obj {
  return {
    id: nextId(),
    date_created: '2024-11-24T10:00:00.000-03:00',
    date_approved: '2024-11-24T10:00:02.000-03:00',
    date_last_updated: '2024-11-24T10:00:02.000-03:00',
    money_release_date: '2024-12-08T10:00:02.000-03:00',
    operation_type: 'regular_payment',
    issuer_id: '25',
    payment_method_id: 'visa',
    payment_type_id: 'credit_card',
    status: 'approved',
    status_detail: 'accredited',
    currency_id: 'BRL',
    description: 'Pedido 1042',
    live_mode: true,
    authorization_code: '301299',
    collector_id: 810882299,
    payer: {
      id: '128185977',
      email: 'Comprador@Cliente.example',
      identification: { type: 'CPF', number: '12345678909' },
    },
    metadata: { order_number: 'order_1042' },
    external_reference: 'ref-1042',
    transaction_amount: 12.34,
    transaction_amount_refunded: 0,
    installments: 1,
    transaction_details: { net_received_amount: 11.72, total_paid_amount: 12.34, installment_amount: 12.34 },
    fee_details: [{ type: 'mercadopago_fee', amount: 0.62, fee_payer: 'collector' }],
    captured: true,
    card: {
      first_six_digits: '423564',
      last_four_digits: '5682',
      expiration_month: 11,
      expiration_year: 2030,
      cardholder: { name: 'APRO', identification: { type: 'CPF', number: '12345678909' } },
    },
    refunds: [],
    ...overrides,
  };
}

/** A `topic_chargebacks_wh` notification (the chargeback's id in data.id, its payment in data.payment_id). */
export function chargebackNotification(chargebackId: number | string, paymentId: number, overrides: Obj = {}): Obj {
  return {
    actions: ['changed_case_status'],
    api_version: 'v1',
    application_id: 9007201037432480,
    data: {
      checkout: 'PRO',
      date_updated: '0001-01-01T00:00:00Z',
      id: chargebackId,
      payment_id: paymentId,
      site_id: 'MLB',
      transaction_intent_id: '',
    },
    date_created: '2024-12-03T19:34:28-03:00',
    id: nextId(),
    live_mode: true,
    type: 'topic_chargebacks_wh',
    user_id: 810882299,
    version: 1733265268,
    ...overrides,
  };
}

/** The chargeback resource of GET /v1/chargebacks/{id}. */
export function chargeback(payments: number[], overrides: Obj = {}): Obj {
  return {
    id: '234000062890459001',
    payments,
    currency: 'BRL',
    amount: 12.34,
    reason: 'general',
    coverage_applied: null,
    coverage_elegible: true,
    documentation_required: true,
    documentation_status: 'pending',
    documentation: [],
    date_documentation_deadline: '2024-12-13T23:59:59.000-03:00',
    date_created: '2024-12-03T19:34:20.000-03:00',
    date_last_updated: '2024-12-03T19:34:20.000-03:00',
    live_mode: true,
    ...overrides,
  };
}
