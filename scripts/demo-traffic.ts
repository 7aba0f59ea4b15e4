/**
 * Realistic provider payloads for the demo simulator (shapes after each provider's published
 * webhook/resource schemas). Each builder takes the outcome and returns the body a provider would send.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { seededRandom } from '../src/modules/risk/index.js';

export const DEMO_PROVIDERS = ['stripe', 'adyen', 'checkout', 'paypal', 'mercadopago'] as const;
export type DemoProvider = (typeof DEMO_PROVIDERS)[number];

export type Decline =
  'insufficient_funds' | 'do_not_honor' | 'expired_card' | 'incorrect_cvc' | 'suspected_fraud' | 'issuer_unavailable';

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
  /** The provider's id for the merchant (Stripe account, Adyen merchant account, …). */
  merchant: string;
}

/** One of the demo's returning customers: the same e-mail, card, address and phone each time. */
export interface Shopper {
  id: number;
  email: string;
  bin: string;
  last4: string;
  country: string;
  ip: string;
  deviceId: string;
  /** A typical basket, USD cents. */
  usualMinor: number;
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
    account: s.merchant,
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
          ? {
              network_status: 'approved_by_network',
              reason: null,
              risk_level: 'normal',
              risk_score: randomInt(5, 40),
              seller_message: 'Payment complete.',
              type: 'authorized',
            }
          : {
              network_status: 'declined_by_network',
              reason: STRIPE_REASON[s.decline!],
              risk_level: 'normal',
              seller_message: 'The bank declined the payment.',
              type: 'issuer_declined',
            },
        paid: approved,
        payment_intent: id('pi_'),
        payment_method_details: {
          type: 'card',
          card: {
            brand: 'visa',
            country: s.country,
            exp_month: 12,
            exp_year: 2030,
            funding: 'credit',
            last4: s.last4,
            network: 'visa',
          },
        },
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
          merchantAccountCode: s.merchant,
          eventCode: 'AUTHORISATION',
          eventDate: s.at.toISOString().replace('Z', '+00:00'),
          success: approved ? 'true' : 'false',
          reason: approved ? `${randomInt(100000, 999999)}:${s.last4}:03/2030` : ADYEN_REASON[s.decline!],
          amount: { value: s.amountMinor, currency: s.currency },
          paymentMethod: 'mc',
          operations: approved ? ['CANCEL', 'CAPTURE', 'REFUND'] : [],
          additionalData: {
            cardSummary: s.last4,
            cardBin: s.bin,
            expiryDate: '03/2030',
            issuerCountry: s.country,
            shopperEmail: s.email,
            shopperIP: s.ip,
            fundingSource: 'CREDIT',
          },
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
      processing_channel_id: s.merchant,
      payment_type: 'Regular',
      source: {
        id: id('src_'),
        type: 'card',
        scheme: 'Visa',
        last_4: s.last4,
        bin: s.bin,
        card_type: 'CREDIT',
        issuer_country: s.country,
        expiry_month: 12,
        expiry_year: 2030,
      },
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
    summary: approved
      ? `Payment completed for ${decimal(s.amountMinor)} ${s.currency}`
      : 'A payment capture was denied',
    resource: {
      id: upperId(17),
      status: approved ? 'COMPLETED' : 'DECLINED',
      amount: { currency_code: s.currency, value: decimal(s.amountMinor) },
      final_capture: true,
      payee: { merchant_id: s.merchant },
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
    collector_id: Number(s.merchant),
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
const DECLINES: Decline[] = [
  'insufficient_funds',
  'insufficient_funds',
  'insufficient_funds',
  'do_not_honor',
  'do_not_honor',
  'expired_card',
  'incorrect_cvc',
  'suspected_fraud',
];
/** Each provider's merchants: a connector reads the merchant from its own field (Stripe account, Adyen merchant account, …). */
const MERCHANTS: Record<DemoProvider, string[]> = {
  stripe: ['acct_1DemoStoreUS', 'acct_1DemoStoreCA'],
  adyen: ['DemoShopEU', 'DemoShopNL'],
  checkout: ['pc_demo_uk'],
  paypal: ['DEMOMERCHANT1'],
  mercadopago: ['556677'],
};
const pick = <T>(list: readonly T[]): T => list[randomInt(0, list.length)]!;

const SHOPPER_COUNTRIES = ['US', 'US', 'US', 'CA', 'GB', 'DE', 'FR', 'NL', 'IT', 'BR', 'MX'];
const BINS = ['424242', '545454', '411111', '510510', '401288', '552277', '476173'];
export const SHOPPERS = 30_000;

/** Returning customers: shopper n keeps one e-mail, card, IP address and phone. */
export function shopper(n: number): Shopper {
  // Deterministic, so shopper n is the same person every time the demo draws them.
  const r = seededRandom(n + 1);
  const name = ['alex', 'sam', 'maria', 'jon', 'li', 'ana', 'tom', 'eva', 'omar', 'yuki'][Math.floor(r() * 10)]!;
  return {
    id: n,
    email: `${name}.${['smith', 'garcia', 'muller', 'rossi', 'silva', 'martin', 'kim', 'brown'][Math.floor(r() * 8)]}${n}@${['gmail.com', 'outlook.com', 'yahoo.com', 'proton.me', 'icloud.com'][Math.floor(r() * 5)]}`,
    bin: BINS[Math.floor(r() * BINS.length)]!,
    last4: String(Math.floor(r() * 10000)).padStart(4, '0'),
    country: SHOPPER_COUNTRIES[Math.floor(r() * SHOPPER_COUNTRIES.length)]!,
    ip: `${11 + Math.floor(r() * 200)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 250)}`,
    deviceId: `dev-${(n * 7919 + 13).toString(36)}`,
    usualMinor: Math.round(Math.exp(3 + r() * 3.5)) * 100,
  };
}

/** Units of each demo currency per US dollar (roughly), so a basket costs the same whatever it is paid in. */
const PER_USD: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, BRL: 5, MXN: 17, ARS: 900 };

/** A plausible sale by one of the shoppers (most buy once or twice an hour at most): ~88 % approved normally; during an outage mostly "issuer unavailable". */
export function randomSale(provider: DemoProvider, at: Date, outage: boolean): Sale {
  const approvalRate = outage ? 0.12 : 0.88;
  const approved = Math.random() < approvalRate;
  const who = shopper(randomInt(0, SHOPPERS));
  const currency = pick(CURRENCY[provider]);
  const usd = who.usualMinor * (0.5 + Math.random() * 1.5);
  return {
    at,
    amountMinor: Math.max(100, Math.round((usd * PER_USD[currency]!) / 100) * 100 + pick([0, 0, 99, 50])),
    currency,
    decline: approved ? null : outage && Math.random() < 0.85 ? 'issuer_unavailable' : pick(DECLINES),
    email: who.email,
    ip: who.ip,
    bin: who.bin,
    last4: who.last4,
    country: who.country,
    merchant: pick(MERCHANTS[provider]),
  };
}

/**
 * Checkout traffic of the demo's web shop, which asks Paylens before it charges the card
 * (`POST /v1/risk/score`), so the scorer sees everything it uses: e-mail, card, IP and its
 * country, device, merchant. Transaction ids are the shop's own order numbers.
 */
export const WEB_SHOP = 'shop-web';

export interface ScoreBody {
  transactionId: string;
  amount: { minor: number; currency: string };
  customer: { email: string };
  card: { bin: string; last4: string; country: string };
  ip: string;
  ipCountry: string;
  deviceId: string;
  merchant: { id: string; country: string };
  occurredAt: string;
  outcome?: 'approved' | 'declined';
}

export function checkout(who: Shopper, at: Date, over: Partial<ScoreBody> = {}): ScoreBody {
  return {
    transactionId: id('ord_', 8),
    amount: {
      minor: Math.max(100, Math.round((who.usualMinor * (0.6 + Math.random() * 0.9)) / 100) * 100),
      currency: 'USD',
    },
    customer: { email: who.email },
    card: { bin: who.bin, last4: who.last4, country: who.country },
    ip: who.ip,
    ipCountry: who.country,
    deviceId: who.deviceId,
    merchant: { id: WEB_SHOP, country: 'US' },
    occurredAt: at.toISOString(),
    ...over,
  };
}

/** What the demo sends at a moment: a provider webhook, or a checkout the web shop scores. */
export type DemoAction =
  | { at: Date; kind: 'event'; provider: DemoProvider; payload: Record<string, unknown> }
  | { at: Date; kind: 'score'; body: ScoreBody };

export const ATTACKS = ['card testing', 'stolen cards on new accounts', 'account takeover'] as const;
export type Attack = (typeof ATTACKS)[number];

const later = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000);
const randomLocal = () => `${randomBytes(6).toString('hex')}${randomInt(10, 99)}`;
const FOREIGN = [
  { ip: '185.220.101', country: 'RO' },
  { ip: '45.141.215', country: 'RU' },
  { ip: '102.89.34', country: 'NG' },
  { ip: '103.152.18', country: 'VN' },
];

/**
 * A card-testing run against one Adyen merchant: 80 one-euro authorisations in a minute and a half
 * from one address, each on a new card of one BIN with neighbouring numbers, nearly all refused.
 */
function cardTesting(start: Date): DemoAction[] {
  const ip = `${pick(FOREIGN).ip}.${randomInt(2, 250)}`;
  const bin = pick(['431940', '455673', '520082']);
  const first = randomInt(1000, 9000);
  return Array.from({ length: 80 }, (_, i) => {
    const sale: Sale = {
      at: later(start, i * 1.1),
      amountMinor: 100,
      currency: 'EUR',
      decline:
        i % 8 === 5 ? null : pick(['do_not_honor', 'incorrect_cvc', 'expired_card', 'insufficient_funds'] as const),
      email: `${randomLocal()}@${pick(['mailinator.com', 'yopmail.com', 'guerrillamail.com'])}`,
      ip,
      bin,
      last4: String(first + i),
      country: pick(['US', 'GB', 'FR']),
      merchant: 'DemoShopEU',
    };
    return { at: sale.at, kind: 'event', provider: 'adyen', payload: adyenPayload(sale) };
  });
}

/** Stolen cards paid with by brand-new accounts: throwaway e-mail, new phone, an address abroad, a big basket. */
function stolenCards(start: Date): DemoAction[] {
  return Array.from({ length: 5 }, (_, i) => {
    const place = pick(FOREIGN);
    const who: Shopper = {
      id: -1,
      email: `${randomLocal()}@${pick(['mailinator.com', 'yopmail.com', 'sharklasers.com', 'gmail.com'])}`,
      bin: pick(BINS),
      last4: String(randomInt(0, 10000)).padStart(4, '0'),
      country: 'US',
      ip: `${place.ip}.${randomInt(2, 250)}`,
      deviceId: `dev-${randomBytes(5).toString('hex')}`,
      usualMinor: 0,
    };
    return {
      at: later(start, i * 25),
      kind: 'score',
      body: checkout(who, later(start, i * 25), {
        amount: { minor: randomInt(450, 980) * 100, currency: 'USD' },
        ipCountry: place.country,
      }),
    };
  });
}

/** A customer's account taken over: their e-mail and saved card, from a new phone abroad, baskets 4–10 times the usual. */
function takeover(start: Date, victim: Shopper): DemoAction[] {
  const place = pick(FOREIGN);
  const device = `dev-${randomBytes(5).toString('hex')}`;
  const ip = `${place.ip}.${randomInt(2, 250)}`;
  return Array.from({ length: 3 }, (_, i) => ({
    at: later(start, i * 40),
    kind: 'score',
    body: checkout(victim, later(start, i * 40), {
      amount: { minor: Math.round((victim.usualMinor * randomInt(4, 11)) / 100) * 100, currency: 'USD' },
      ip,
      ipCountry: place.country,
      deviceId: device,
    }),
  }));
}

/** The actions of one attack starting at `start`; a takeover needs a customer the web shop already knows. */
export function attack(kind: Attack, start: Date, knownShopper: Shopper): DemoAction[] {
  if (kind === 'card testing') return cardTesting(start);
  if (kind === 'stolen cards on new accounts') return stolenCards(start);
  return takeover(start, knownShopper);
}
