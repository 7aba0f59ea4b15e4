import { z } from 'zod';
import type { Card, NormalizedEventDraft } from '../../canonical.js';
import {
  mapDeclineCode,
  type Connector,
  type NormalizeContext,
  type NormalizeOutcome,
  type ResolveContext,
} from '../../connector.js';
import { decimalToMinor, isCurrencyCode } from '../../money.js';
import {
  at,
  cardBin,
  cardLast4,
  emailDomain,
  isoToDate,
  isRecord,
  providerMetadataField,
  record,
  str,
  stringMap,
} from '../../payload-access.js';
import {
  jsonBody,
  OutboundError,
  withoutTrailingSlashes,
  type OutboundResponse,
} from '../../../../platform/net/outbound-client.js';
import { mercadoPagoCodes } from './mercadopago.codes.js';
import { mercadoPagoEvents, mercadoPagoPaymentEvent } from './mercadopago.events.js';
import { isNotification, verifyMercadoPagoSignature } from './mercadopago.signature.js';

const DEFAULT_API_BASE_URL = 'https://api.mercadopago.com';
const DEFAULT_TIMEOUT_MS = 10_000;

type Resource = Record<string, unknown>;

/** The payment resource of GET /v1/payments/{id}, also accepted directly on /v1/events. */
function isPaymentResource(payload: unknown): payload is Resource {
  return (
    isRecord(payload) &&
    typeof payload.transaction_amount === 'number' &&
    isCurrencyCode(payload.currency_id) &&
    typeof payload.status === 'string' &&
    (typeof payload.status_detail === 'string' || typeof payload.payment_method_id === 'string') &&
    str(payload, 'id') !== null
  );
}

/** The chargeback resource of GET /v1/chargebacks/{id}: the disputed payments' ids, amount, reason, documentation. */
function isChargebackResource(payload: unknown): payload is Resource {
  return (
    isRecord(payload) &&
    Array.isArray(payload.payments) &&
    str(payload, 'id') !== null &&
    typeof payload.currency === 'string' &&
    'documentation_status' in payload
  );
}

const CHARGEBACK_TOPIC = 'topic_chargebacks_wh';

const brands: Record<string, string> = {
  visa: 'visa',
  debvisa: 'visa',
  master: 'mastercard',
  debmaster: 'mastercard',
  maestro: 'maestro',
  amex: 'amex',
  elo: 'elo',
  debelo: 'elo',
  hipercard: 'hipercard',
  naranja: 'naranja',
  cabal: 'cabal',
  debcabal: 'cabal',
  diners: 'diners',
  cmr: 'cmr',
  tarshop: 'tarshop',
  argencard: 'argencard',
  cencosud: 'cencosud',
  carnet: 'carnet',
};

const fundings: Record<string, Card['funding']> = {
  credit_card: 'credit',
  debit_card: 'debit',
  prepaid_card: 'prepaid',
};

function cardOf(payment: Resource): Card | null {
  const card = record(payment, 'card');
  const methodId = str(payment, 'payment_method_id');
  const bin = str(card, 'first_six_digits');
  const last4 = str(card, 'last_four_digits');
  if (!card || (!bin && !last4)) return null;
  return {
    brand: methodId ? (brands[methodId] ?? methodId) : null,
    bin: cardBin(bin),
    last4: cardLast4(last4),
    country: null,
    funding: fundings[str(payment, 'payment_type_id') ?? ''] ?? null,
  };
}

/**
 * A payment resource has no event id of its own and the same payment is delivered again at every state
 * change: id + status + date_last_updated names one state of one payment, so a redelivery of that state
 * dedupes while the next state is a new event.
 */
function resourceEventId(payment: Resource): string {
  return `${str(payment, 'id')}:${str(payment, 'status')}:${str(payment, 'date_last_updated') ?? str(payment, 'date_created') ?? ''}`;
}

function normalizePayment(payment: Resource, ctx: NormalizeContext): NormalizeOutcome {
  const status = str(payment, 'status') ?? '';
  const detail = str(payment, 'status_detail');
  const outcome = mercadoPagoPaymentEvent(status, { statusDetail: detail });
  if (!outcome)
    return { kind: 'ignored', reason: `Mercado Pago payment status ${status || '(none)'} is not one we model` };
  const currency = (str(payment, 'currency_id') ?? '').toUpperCase();
  const refunded = at(payment, 'transaction_amount_refunded');
  const amountSource =
    outcome.refund && typeof refunded === 'number' && refunded > 0 ? refunded : at(payment, 'transaction_amount');
  // transaction_amount is a decimal number in major units (12.34 BRL); decimalToMinor converts it without float arithmetic.
  const amountMinor =
    typeof amountSource === 'number' && isCurrencyCode(currency) ? decimalToMinor(amountSource, currency) : null;
  const failure = outcome.status === 'declined';
  const { mapping, unmapped } = mapDeclineCode(mercadoPagoCodes, detail);
  const email = str(payment, 'payer.email');
  const payerId = str(payment, 'payer.id');
  const collector = str(payment, 'collector_id');
  const draft: NormalizedEventDraft = {
    providerEventId: resourceEventId(payment),
    providerPaymentId: str(payment, 'id'),
    type: outcome.type,
    status: outcome.status,
    failureReason: failure ? mapping.reason : null,
    declineType: failure ? mapping.declineType : null,
    recommendedAction: failure ? mapping.action : null,
    providerCode: detail,
    providerMessage: null,
    // A missing amount must not become 0: NaN makes the pipeline keep the event unprocessed.
    amountMinor: amountMinor ?? Number.NaN,
    currency,
    merchant: collector ? { id: collector, name: null, country: null } : null,
    customerKey: email ? ctx.customerKey('email', email) : payerId ? ctx.customerKey('id', payerId) : null,
    emailDomain: emailDomain(email),
    ip: null,
    ipCountry: null,
    deviceId: null,
    card: cardOf(payment),
    occurredAt:
      isoToDate(str(payment, 'date_last_updated')) ?? isoToDate(str(payment, 'date_created')) ?? new Date(Number.NaN),
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: {
      mercadoPagoStatus: status,
      statusDetail: detail,
      paymentMethodId: str(payment, 'payment_method_id'),
      paymentTypeId: str(payment, 'payment_type_id'),
      installments: typeof payment.installments === 'number' ? payment.installments : null,
      externalReference: str(payment, 'external_reference'),
      liveMode: typeof payment.live_mode === 'boolean' ? payment.live_mode : null,
      ...providerMetadataField(stringMap(payment.metadata)),
    },
  };
  if (failure && unmapped && detail) draft.unmappedCode = detail;
  return { kind: 'events', events: [draft] };
}

/**
 * A chargeback names its payments only by id: one `dispute`/`chargeback` event per disputed payment,
 * with the chargeback's reason as the provider code (what labels the scored transaction). Its id and
 * last update name the event, so each change of the case is stored once.
 */
function normalizeChargeback(chargeback: Resource): NormalizeOutcome {
  const id = str(chargeback, 'id')!;
  const currency = (str(chargeback, 'currency') ?? '').toUpperCase();
  // The API documents amount as a number; its own sample answers a decimal string.
  const amount = Number(str(chargeback, 'amount') ?? Number.NaN);
  const amountMinor = Number.isFinite(amount) && isCurrencyCode(currency) ? decimalToMinor(amount, currency) : null;
  const updated = str(chargeback, 'date_last_updated') ?? str(chargeback, 'date_created');
  const payments = (chargeback.payments as unknown[]).map((p) => str(p)).filter((p): p is string => p !== null);
  if (payments.length === 0) return { kind: 'ignored', reason: `Mercado Pago chargeback ${id} names no payment` };
  const { type, status } = mercadoPagoEvents.chargeback;
  const events = payments.map((paymentId): NormalizedEventDraft => ({
    providerEventId: `chargeback:${id}:${paymentId}:${updated ?? ''}`,
    providerPaymentId: paymentId,
    type,
    status,
    failureReason: null,
    declineType: null,
    recommendedAction: null,
    providerCode: str(chargeback, 'reason'),
    providerMessage: null,
    amountMinor: amountMinor ?? Number.NaN,
    currency,
    merchant: null,
    customerKey: null,
    emailDomain: null,
    ip: null,
    ipCountry: null,
    deviceId: null,
    card: null,
    occurredAt: isoToDate(updated) ?? new Date(Number.NaN),
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: {
      chargebackId: id,
      documentationStatus: str(chargeback, 'documentation_status'),
      coverageApplied: typeof chargeback.coverage_applied === 'boolean' ? chargeback.coverage_applied : null,
      liveMode: typeof chargeback.live_mode === 'boolean' ? chargeback.live_mode : null,
    },
  }));
  return { kind: 'events', events };
}

const resolveSettingsSchema = z.object({
  accessToken: z.string().min(1),
  apiBaseUrl: z.string().url().optional(),
  timeoutMs: z.number().int().positive().optional(),
});

/** What a notification's topic points at: the API path of its resource and how to recognise the answer. */
interface Resolvable {
  path: string;
  noun: string;
  /** The id to fetch by, from the notification. */
  idOf: (notification: Resource) => string;
  /** Whether the answer is the resource asked for. */
  is: (body: unknown, id: string) => boolean;
}

const resolvable: Record<string, Resolvable> = {
  payment: {
    path: '/v1/payments/',
    noun: 'payment',
    idOf: (n) => str(n, 'data.id') ?? '',
    is: (body, id) => isPaymentResource(body) && str(body, 'id') === id,
  },
  [CHARGEBACK_TOPIC]: {
    path: '/v1/chargebacks/',
    noun: 'chargeback',
    // Chargeback ids are 18 digits, sent as a JSON number: past 2^53 the parsed value is another id, so
    // the payment's id is asked for instead (the endpoint answers the chargeback of a payment id too).
    idOf: (n) => {
      const id = at(n, 'data.id');
      const paymentId = str(n, 'data.payment_id');
      return typeof id === 'number' && !Number.isSafeInteger(id) && paymentId ? paymentId : (str(n, 'data.id') ?? '');
    },
    is: (body, id) =>
      isChargebackResource(body) && (str(body, 'id') === id || (body.payments as unknown[]).some((p) => str(p) === id)),
  },
};

/**
 * Fetches the payment or chargeback a notification points at, by id, from the Mercado Pago API: the
 * delivery's body is never taken for the resource. Any failure throws so the raw event stays
 * unprocessed and is retried; the message names the call, never what the remote answered.
 */
async function resolveMercadoPagoResource(payload: unknown, { settings, http }: ResolveContext): Promise<unknown> {
  if (!isNotification(payload)) return payload;
  const target = resolvable[String(payload.type)];
  if (!target) return payload;
  const parsed = resolveSettingsSchema.safeParse(settings);
  if (!parsed.success)
    throw new Error(`Mercado Pago endpoint settings need an accessToken to fetch the notified ${target.noun}`);
  const resourceId = target.idOf(payload);
  if (!/^[A-Za-z0-9_-]+$/.test(resourceId))
    throw new Error(`Mercado Pago notification has an invalid data.id ${JSON.stringify(resourceId)}`);
  const base = withoutTrailingSlashes(parsed.data.apiBaseUrl ?? DEFAULT_API_BASE_URL);
  const call = `Mercado Pago GET ${target.path}${resourceId}`;
  let res: OutboundResponse;
  try {
    res = await http.request(`${base}${target.path}${resourceId}`, {
      headers: { authorization: `Bearer ${parsed.data.accessToken}`, accept: 'application/json' },
      timeoutMs: parsed.data.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  } catch (error) {
    throw new Error(`${call} failed: ${error instanceof OutboundError ? error.message : 'unexpected error'}`, {
      cause: error,
    });
  }
  if (res.status < 200 || res.status >= 300) throw new Error(`${call} answered HTTP ${res.status}`);
  const body = jsonBody(res);
  if (!target.is(body, resourceId)) throw new Error(`${call} did not return that ${target.noun}`);
  return body;
}

export const mercadoPagoConnector: Connector = {
  id: 'mercadopago',
  displayName: 'Mercado Pago',
  codes: mercadoPagoCodes,
  // A number (collides with an all-digit Adyen PSP reference: such an id names no provider).
  paymentIdPattern: /^\d{6,20}$/,

  detect(payload) {
    if (isPaymentResource(payload) || isChargebackResource(payload)) return 0.9;
    if (!isNotification(payload)) return 0;
    const action = str(payload, 'action') ?? '';
    if (payload.type === 'payment' && action.startsWith('payment.')) return 0.95;
    if (payload.type === CHARGEBACK_TOPIC) return 0.95;
    return 'user_id' in payload || 'live_mode' in payload ? 0.7 : 0;
  },

  eventId(payload) {
    if (isPaymentResource(payload)) return resourceEventId(payload);
    if (isChargebackResource(payload))
      return `chargeback:${str(payload, 'id')}:${str(payload, 'date_last_updated') ?? str(payload, 'date_created') ?? ''}`;
    return isNotification(payload) ? str(payload, 'id') : null;
  },

  normalize(payload, ctx) {
    if (isPaymentResource(payload)) return normalizePayment(payload, ctx);
    if (isChargebackResource(payload)) return normalizeChargeback(payload);
    if (isNotification(payload) && resolvable[String(payload.type)])
      return {
        kind: 'ignored',
        reason: `a Mercado Pago ${String(payload.type)} notification carries only data.id; resolve() turns it into the resource`,
      };
    if (isNotification(payload))
      return {
        kind: 'ignored',
        reason: `Mercado Pago ${String(payload.type)} notifications are not payment events we model`,
      };
    return { kind: 'ignored', reason: 'not a Mercado Pago payment or notification' };
  },

  resolve: resolveMercadoPagoResource,
  verify: verifyMercadoPagoSignature,
  outboundUrls: (settings) =>
    typeof settings.apiBaseUrl === 'string' ? [{ field: 'apiBaseUrl', url: settings.apiBaseUrl }] : [],
};
