/**
 * Realistic provider payloads for the demo simulator (shapes after each provider's published
 * webhook/resource schemas). Each builder takes the outcome and returns the body a provider would send.
 */
import { randomBytes, randomInt } from 'node:crypto';

export const DEMO_PROVIDERS = ['stripe', 'adyen', 'checkout', 'paypal', 'mercadopago'] as const;
export type DemoProvider = (typeof DEMO_PROVIDERS)[number];

export type Decline = 'insufficient_funds' | 'do_not_honor' | 'expired_card' | 'incorrect_cvc' | 'suspected_fraud' | 'issuer_unavailable';

export interface Sale {
  at: Date;
  amountMinor: number;
  currency: string;
  /** null = approved. */
  decline: Decline | null;
  email: string;
  ip: string;
  bin: string;
  last4: string;
  country: string;
}

const id = (prefix: string, bytes = 9) => `${prefix}${randomBytes(bytes).toString('hex')}`;
const upperId = (length: number) => randomBytes(length).toString('hex').toUpperCase().slice(0, length);
const decimal = (minor: number, exponent = 2) => (minor / 10 ** exponent).toFixed(exponent);

const STRIPE_REASON: Record<Decline, string> = {
  insufficient_funds: 'insufficient_funds',
  do_not_honor: 'do_not_honor',
  expired_card: 'expired_card',
  incorrect_cvc: 'incorrect_cvc',
  suspected_fraud: 'fraudulent',
  issuer_unavailable: 'issuer_not_available',
};
const ADYEN_REASON: Record<Decline, string> = {
  insufficient_funds: 'Not enough balance',
  do_not_honor: 'Refused',
  expired_card: 'Expired Card',
  incorrect_cvc: 'CVC Declined',
  suspected_fraud: 'Issuer Suspected Fraud',
  issuer_unavailable: 'Issuer Unavailable',
};
const CHECKOUT_CODE: Record<Decline, [string, string]> = {
  insufficient_funds: ['20051', 'Insufficient Funds'],
  do_not_honor: ['20005', 'Declined - Do Not Honour'],
  expired_card: ['20054', 'Expired Card'],
  incorrect_cvc: ['20087', 'Bad Track Data'],
  suspected_fraud: ['20059', 'Suspected Fraud'],
  issuer_unavailable: ['20068', 'Response Received Too Late'],
};
const PAYPAL_CODE: Record<Decline, string> = {
  insufficient_funds: '5120',
  do_not_honor: '0500',
  expired_card: '5400',
  incorrect_cvc: '5110',
  suspected_fraud: '9500',
  issuer_unavailable: '9100',
};
const MP_DETAIL: Record<Decline, string> = {
  insufficient_funds: 'cc_rejected_insufficient_amount',
  do_not_honor: 'cc_rejected_other_reason',
  expired_card: 'cc_rejected_bad_filled_date',
  incorrect_cvc: 'cc_rejected_bad_filled_security_code',
  suspected_fraud: 'cc_rejected_high_risk',
  issuer_unavailable: 'cc_rejected_call_for_authorize',
};

export function stripePayload(s: Sale): Record<string, unknown> {
  const created = Math.floor(s.at.getTime() / 1000);
  const approved = s.decline === null;
  return {
    id: id('evt_'),
    object: 'event',
    api_version: '2024-06-20',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: id('req_'), idempotency_key: null },
    type: approved ? 'charge.succeeded' : 'charge.failed',
    data: {
      object: {
        id: id('ch_'),
        object: 'charge',
        amount: s.amountMinor,
        amount_captured: approved ? s.amountMinor : 0,
        amount_refunded: 0,
        captured: approved,
        created,
        currency: s.currency.toLowerCase(),
        customer: `cus_${s.email.split('@')[0]}`,
        disputed: false,
        failure_code: approved ? null : 'card_declined',
        failure_message: approved ? null : 'Your card was declined.',
        livemode: false,
        metadata: { order_id: id('ORD-', 4) },
        outcome: approved
          ? { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: randomInt(5, 40), seller_message: 'Payment complete.', type: 'authorized' }
          : { network_status: 'declined_by_network', reason: STRIPE_REASON[s.decline!], risk_level: 'normal', seller_message: 'The bank declined the payment.', type: 'issuer_declined' },
        paid: approved,
        payment_intent: id('pi_'),
        payment_method_details: { type: 'card', card: { brand: 'visa', country: s.country, exp_month: 12, exp_year: 2030, funding: 'credit', last4: s.last4, network: 'visa' } },
        billing_details: { email: s.email, name: 'Demo Shopper' },
        status: approved ? 'succeeded' : 'failed',
      },
    },
  };
}

export function adyenPayload(s: Sale): Record<string, unknown> {
  const approved = s.decline === null;
  return {
    live: 'false',
    notificationItems: [
      {
        NotificationRequestItem: {
          pspReference: upperId(16),
          merchantReference: id('order-', 5),
          merchantAccountCode: 'PaylensDemoECOM',
          eventCode: 'AUTHORISATION',
          eventDate: s.at.toISOString().replace('Z', '+00:00'),
          success: approved ? 'true' : 'false',
          reason: approved ? `${randomInt(100000, 999999)}:${s.last4}:03/2030` : ADYEN_REASON[s.decline!],
          amount: { value: s.amountMinor, currency: s.currency },
          paymentMethod: 'mc',
          operations: approved ? ['CANCEL', 'CAPTURE', 'REFUND'] : [],
          additionalData: { cardSummary: s.last4, cardBin: s.bin, expiryDate: '03/2030', issuerCountry: s.country, shopperEmail: s.email, shopperIP: s.ip, fundingSource: 'CREDIT' },
        },
      },
    ],
  };
}

export function checkoutPayload(s: Sale): Record<string, unknown> {
  const approved = s.decline === null;
  const [code, summary] = approved ? ['10000', 'Approved'] : CHECKOUT_CODE[s.decline!];
  return {
    id: id('evt_'),
    type: approved ? 'payment_approved' : 'payment_declined',
    version: '1.0.29',
    created_on: s.at.toISOString(),
    data: {
      id: id('pay_'),
      action_id: id('act_'),
      reference: id('ORD-', 4),
      amount: s.amountMinor,
      currency: s.currency,
      response_code: code,
      response_summary: summary,
      auth_code: approved ? String(randomInt(100000, 999999)) : undefined,
      processed_on: s.at.toISOString(),
      payment_type: 'Regular',
      source: { id: id('src_'), type: 'card', scheme: 'Visa', last_4: s.last4, bin: s.bin, card_type: 'CREDIT', issuer_country: s.country, expiry_month: 12, expiry_year: 2030 },
      customer: { id: id('cus_'), email: s.email },
      payment_ip: s.ip,
      risk: { flagged: false, score: randomInt(0, 30) },
    },
    _links: {},
  };
}

export function paypalPayload(s: Sale): Record<string, unknown> {
  const approved = s.decline === null;
  const time = s.at.toISOString();
  return {
    id: `WH-${upperId(17)}-${upperId(17)}`,
    create_time: time,
    resource_type: 'capture',
    event_type: approved ? 'PAYMENT.CAPTURE.COMPLETED' : 'PAYMENT.CAPTURE.DENIED',
    event_version: '1.0',
    resource_version: '2.0',
    summary: approved ? `Payment completed for ${decimal(s.amountMinor)} ${s.currency}` : 'A payment capture was denied',
    resource: {
      id: upperId(17),
      status: approved ? 'COMPLETED' : 'DECLINED',
      amount: { currency_code: s.currency, value: decimal(s.amountMinor) },
      final_capture: true,
      invoice_id: id('INV-', 4),
      custom_id: id('ORD-', 4),
      processor_response: { avs_code: 'Y', cvv_code: 'M', response_code: approved ? '0000' : PAYPAL_CODE[s.decline!] },
      supplementary_data: { related_ids: { order_id: upperId(17) } },
      create_time: time,
      update_time: time,
    },
    links: [],
  };
}

export function mercadoPagoPayload(s: Sale): Record<string, unknown> {
  const approved = s.decline === null;
  // Mercado Pago reports local time with its offset (here São Paulo, UTC−3).
  const time = new Date(s.at.getTime() - 3 * 3_600_000).toISOString().replace('Z', '-03:00');
  return {
    id: randomInt(10_000_000, 2_000_000_000),
    status: approved ? 'approved' : 'rejected',
    status_detail: approved ? 'accredited' : MP_DETAIL[s.decline!],
    transaction_amount: Number(decimal(s.amountMinor)),
    transaction_amount_refunded: 0,
    currency_id: s.currency,
    payment_method_id: 'visa',
    payment_type_id: 'credit_card',
    payer: { email: s.email, id: String(randomInt(1000, 999999)) },
    external_reference: id('ORD-', 4),
    description: 'Demo order',
    date_created: time,
    date_approved: approved ? time : null,
    date_last_updated: time,
    installments: 1,
    captured: approved,
    live_mode: false,
    card: { first_six_digits: s.bin, last_four_digits: s.last4, expiration_month: 12, expiration_year: 2030 },
  };
}

/** A delivery a connector cannot normalize (no currency): it lands unprocessed, is retried, then dead-lettered. */
export function brokenStripePayload(s: Sale): Record<string, unknown> {
  const payload = stripePayload(s);
  const data = payload.data as { object: Record<string, unknown> };
  return { ...payload, data: { object: { ...data.object, currency: null } } };
}

export const BUILDERS: Record<DemoProvider, (s: Sale) => Record<string, unknown>> = {
  stripe: stripePayload,
  adyen: adyenPayload,
  checkout: checkoutPayload,
  paypal: paypalPayload,
  mercadopago: mercadoPagoPayload,
};

const CURRENCY: Record<DemoProvider, string[]> = {
  stripe: ['USD', 'USD', 'EUR', 'GBP'],
  adyen: ['EUR', 'EUR', 'GBP', 'USD'],
  checkout: ['GBP', 'EUR', 'USD'],
  paypal: ['USD', 'EUR'],
  mercadopago: ['BRL', 'MXN', 'ARS'],
};
const COUNTRY: Record<DemoProvider, string[]> = {
  stripe: ['US', 'US', 'CA', 'GB'],
  adyen: ['NL', 'DE', 'FR', 'GB'],
  checkout: ['GB', 'IE', 'FR'],
  paypal: ['US', 'DE', 'IT'],
  mercadopago: ['BR', 'MX', 'AR'],
};
const DECLINES: Decline[] = ['insufficient_funds', 'insufficient_funds', 'insufficient_funds', 'do_not_honor', 'do_not_honor', 'expired_card', 'incorrect_cvc', 'suspected_fraud'];
const pick = <T>(list: readonly T[]): T => list[randomInt(0, list.length)]!;

/** A plausible sale: ~88 % approved normally; during an outage mostly "issuer unavailable". */
export function randomSale(provider: DemoProvider, at: Date, outage: boolean): Sale {
  const approvalRate = outage ? 0.12 : 0.88;
  const approved = Math.random() < approvalRate;
  const amountMinor = Math.round(Math.exp(3 + Math.random() * 4.5)) * 100 + pick([0, 0, 99, 50]);
  const customer = randomInt(1, 400);
  return {
    at,
    amountMinor,
    currency: pick(CURRENCY[provider]),
    decline: approved ? null : outage && Math.random() < 0.85 ? 'issuer_unavailable' : pick(DECLINES),
    email: `shopper${customer}@${pick(['gmail.com', 'outlook.com', 'yahoo.com', 'proton.me'])}`,
    ip: `${randomInt(11, 220)}.${randomInt(0, 255)}.${randomInt(0, 255)}.${randomInt(1, 254)}`,
    bin: pick(['424242', '545454', '411111', '510510', '401288']),
    last4: String(randomInt(0, 10000)).padStart(4, '0'),
    country: pick(COUNTRY[provider]),
  };
}
