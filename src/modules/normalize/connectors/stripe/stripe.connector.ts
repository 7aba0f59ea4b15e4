import {
  FRAUD_WARNING,
  NO_CURRENCY,
  type Card,
  type EventStatus,
  type EventType,
  type NormalizedEventDraft,
} from '../../canonical.js';
import {
  envelopeEventId,
  mapDeclineCode,
  type Connector,
  type NormalizeContext,
  type NormalizeOutcome,
} from '../../connector.js';
import { choose } from '../../event-table.js';
import { currencyExponent, rescaleMinor } from '../../money.js';
import {
  at,
  cardBin,
  countryCode,
  emailDomain,
  int,
  isRecord,
  providerMetadataField,
  record,
  str,
  stringMap,
  unixSecondsToDate,
} from '../../payload-access.js';
import { stripeCodes, stripeExponentOverrides } from './stripe.codes.js';
import { stripeEvent, type StripeEvent, type StripeFacts, type StripeObject } from './stripe.events.js';
import { verifyStripeSignature } from './stripe.signature.js';

const cardFundings = new Set(['credit', 'debit', 'prepaid', 'unknown']);

type Resource = Record<string, unknown>;

interface Envelope {
  id: string;
  type: string;
  created: Date;
  object: Resource;
  previous: Resource | null;
  account: string | null;
  livemode: boolean | null;
}

function readEnvelope(payload: unknown): Envelope | null {
  if (!isRecord(payload) || payload.object !== 'event') return null;
  const id = str(payload, 'id');
  const type = str(payload, 'type');
  const created = unixSecondsToDate(int(payload, 'created'));
  const object = record(payload, 'data.object');
  if (!id || !type || !created || !object) return null;
  return {
    id,
    type,
    created,
    object,
    previous: record(payload, 'data.previous_attributes'),
    account: str(payload, 'account'),
    livemode: typeof payload.livemode === 'boolean' ? payload.livemode : null,
  };
}

/** Stripe amounts are minor units in Stripe's own exponent; the canonical model uses ISO 4217's. */
function toIsoMinor(amount: number, currency: string): number {
  const iso = currencyExponent(currency);
  return rescaleMinor(amount, stripeExponentOverrides[currency] ?? iso, iso);
}

function readCard(source: unknown): Card | null {
  const card = record(source);
  if (!card) return null;
  const funding = str(card, 'funding');
  const iin = str(card, 'iin');
  return {
    brand: str(card, 'brand'),
    bin: cardBin(iin),
    last4: str(card, 'last4'),
    country: countryCode(str(card, 'country')),
    funding: funding && cardFundings.has(funding) ? (funding as Card['funding']) : null,
  };
}

function cardOfCharge(charge: Resource): Card | null {
  return readCard(at(charge, 'payment_method_details.card'));
}

function cardOfPaymentIntent(pi: Resource): Card | null {
  return (
    readCard(at(pi, 'last_payment_error.payment_method.card')) ??
    readCard(at(pi, 'payment_method.card')) ??
    (isRecord(pi.latest_charge) ? cardOfCharge(pi.latest_charge) : null)
  );
}

function emailOf(resource: Resource): string | null {
  return (
    str(resource, 'receipt_email') ??
    str(resource, 'billing_details.email') ??
    str(resource, 'last_payment_error.payment_method.billing_details.email') ??
    str(resource, 'payment_method.billing_details.email')
  );
}

function customerOf(resource: Resource): string | null {
  return str(resource, 'customer') ?? str(resource, 'customer.id');
}

interface Outcome {
  status: EventStatus;
  code: string | null;
  message: string | null;
}

/** What the connector reads off a resource, whatever the event says happened to it. */
interface Reading {
  card: Card | null;
  paymentId: string | null;
  extra: Record<string, unknown>;
}

interface Decline {
  code: string | null;
  message: string | null;
  /** False when nothing reached an issuer's decision: the event is then `failed`, not `declined`. */
  issuerDecided: boolean;
  extra: Record<string, unknown>;
}

interface ResourceReader {
  read(resource: Resource): Reading;
  /** Why a `declined` row's payment was refused; only payment intents and charges are. */
  decline?(resource: Resource): Decline;
}

/** Refunds, disputes and fraud warnings name their payment by its PaymentIntent, else its charge. */
const parentPaymentId = (resource: Resource) => str(resource, 'payment_intent') ?? str(resource, 'charge');

const readers: Record<StripeObject, ResourceReader> = {
  payment_intent: {
    read: (pi) => ({
      card: cardOfPaymentIntent(pi),
      paymentId: str(pi, 'id'),
      extra: { paymentIntentStatus: str(pi, 'status') },
    }),
    decline(pi) {
      const err = record(pi, 'last_payment_error') ?? {};
      return {
        code: str(err, 'decline_code') ?? str(err, 'code'),
        message: str(err, 'message'),
        issuerDecided: str(err, 'type') === 'card_error',
        extra: {
          errorType: str(err, 'type'),
          adviceCode: str(err, 'advice_code'),
          networkDeclineCode: str(err, 'network_decline_code'),
        },
      };
    },
  },
  charge: {
    read(ch) {
      const outcome = record(ch, 'outcome') ?? {};
      return {
        card: cardOfCharge(ch),
        paymentId: str(ch, 'payment_intent') ?? str(ch, 'id'),
        extra: {
          outcomeType: str(outcome, 'type'),
          networkStatus: str(outcome, 'network_status'),
          riskLevel: str(outcome, 'risk_level'),
          riskScore: int(outcome, 'risk_score'),
          sellerMessage: str(outcome, 'seller_message'),
        },
      };
    },
    decline(ch) {
      const outcome = record(ch, 'outcome') ?? {};
      const blocked = str(outcome, 'type') === 'blocked';
      const failureCode = str(ch, 'failure_code');
      // Issuer declines carry the precise reason in outcome.reason; failure_code is then just card_declined.
      const code =
        (failureCode === 'card_declined' || blocked ? str(outcome, 'reason') : null) ??
        failureCode ??
        str(outcome, 'reason');
      return {
        code: code ?? (blocked ? 'rule' : null),
        message: str(ch, 'failure_message') ?? str(outcome, 'seller_message'),
        // A processing error or an invalid request never reached an issuer's decision: that is a failure, not a decline.
        issuerDecided: failureCode !== 'processing_error' && str(outcome, 'type') !== 'invalid',
        extra: {},
      };
    },
  },
  refund: {
    read: (refund) => ({
      card: null,
      paymentId: parentPaymentId(refund),
      extra: { refundReason: str(refund, 'reason') },
    }),
  },
  dispute: {
    read: (dp) => ({
      card: readCard(at(dp, 'payment_method_details.card')),
      paymentId: parentPaymentId(dp),
      extra: { disputeStatus: str(dp, 'status'), evidenceDueBy: int(dp, 'evidence_details.due_by') },
    }),
  },
  'radar.early_fraud_warning': {
    read: (efw) => ({
      card: null,
      paymentId: parentPaymentId(efw),
      extra: {
        disputeStage: FRAUD_WARNING,
        actionable: typeof efw.actionable === 'boolean' ? efw.actionable : null,
        chargeId: str(efw, 'charge'),
      },
    }),
  },
};

/** The amount the row says the event moves, and any figure worth keeping beside it. */
function amountOf(env: Envelope, row: StripeEvent): { amount: number; extra: Record<string, unknown> } {
  const amount = int(env.object, 'amount') ?? 0;
  switch (row.amount) {
    case undefined:
      return { amount, extra: {} };
    case 'none':
      return { amount: 0, extra: {} };
    case 'refunded since previous': {
      const total = int(env.object, 'amount_refunded') ?? 0;
      const before = env.previous ? int(env.previous, 'amount_refunded') : null;
      return { amount: before === null ? total : total - before, extra: { amountRefundedTotal: total } };
    }
    default:
      return { amount: int(env.object, row.amount) ?? amount, extra: {} };
  }
}

/** The code and message of an event that is not a decline, where its row says to find them. */
function outcomeOf(resource: Resource, row: StripeEvent, status: EventStatus): Outcome {
  const source = row.code;
  if (!source) return { status, code: null, message: null };
  if ('fixed' in source) return { status, code: source.fixed, message: null };
  return { status, code: str(resource, source.field), message: source.message ? str(resource, source.message) : null };
}

function build(
  env: Envelope,
  ctx: NormalizeContext,
  type: EventType,
  outcome: Outcome,
  amount: number,
  reading: Reading,
): NormalizedEventDraft {
  const resource = env.object;
  const currency = (str(resource, 'currency') ?? '').toUpperCase();
  const failure = outcome.status === 'declined' || outcome.status === 'failed';
  const { mapping, unmapped } = mapDeclineCode(stripeCodes, outcome.code);
  const email = emailOf(resource);
  const customer = customerOf(resource);
  const customerKey = email ? ctx.customerKey('email', email) : customer ? ctx.customerKey('id', customer) : null;
  const draft: NormalizedEventDraft = {
    providerEventId: env.id,
    providerPaymentId: reading.paymentId,
    type,
    status: outcome.status,
    failureReason: failure ? mapping.reason : null,
    declineType: failure ? mapping.declineType : null,
    recommendedAction: failure ? mapping.action : null,
    providerCode: outcome.code,
    providerMessage: outcome.message,
    amountMinor: toIsoMinor(amount, currency),
    currency,
    merchant: env.account ? { id: env.account, name: null, country: null } : null,
    customerKey,
    emailDomain: emailDomain(email),
    ip: null,
    ipCountry: null,
    deviceId: null,
    card: reading.card,
    occurredAt: env.created,
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: {
      stripeEventType: env.type,
      objectId: str(resource, 'id'),
      livemode: env.livemode,
      ...reading.extra,
      ...providerMetadataField(stringMap(resource.metadata)),
    },
  };
  if (failure && unmapped && outcome.code) draft.unmappedCode = outcome.code;
  return draft;
}

function factsOf(resource: Resource): StripeFacts {
  return {
    captureMethod: str(resource, 'capture_method'),
    captured: resource.captured === true,
    refunded: resource.refunded === true,
    status: str(resource, 'status'),
  };
}

/** One event, as its row of stripe.events.ts says; the resource is the one the row names. */
function normalizeEvent(env: Envelope, row: StripeEvent, ctx: NormalizeContext): NormalizeOutcome {
  const resource = env.object;
  const changed = Object.keys(env.previous ?? {});
  const tracked = row.changes;
  if (tracked && !changed.some((field) => tracked.includes(field)))
    return { kind: 'ignored', reason: `${env.type} changed only ${changed.join(', ') || 'nothing we track'}` };
  const facts = factsOf(resource);
  const reader = readers[row.object];
  const reading = reader.read(resource);
  const status = choose(row.status, facts);
  const decline = status === 'declined' ? reader.decline?.(resource) : undefined;
  const outcome: Outcome = decline
    ? { status: decline.issuerDecided ? 'declined' : 'failed', code: decline.code, message: decline.message }
    : outcomeOf(resource, row, status);
  const { amount, extra } = amountOf(env, row);
  const draft = build(env, ctx, choose(row.type, facts), outcome, amount, {
    ...reading,
    extra: { ...reading.extra, ...decline?.extra, ...extra, ...(tracked ? { changedFields: changed } : {}) },
  });
  // Such an event names only ids: it carries no amount or currency of its own.
  if (row.amount === 'none') draft.currency = NO_CURRENCY;
  return { kind: 'events', events: [draft] };
}

export const stripeConnector: Connector = {
  id: 'stripe',
  displayName: 'Stripe',
  codes: stripeCodes,
  // A PaymentIntent, charge or payment id.
  paymentIdPattern: /^(?:pi|ch|py)_[A-Za-z0-9]{8,}$/,

  detect(payload) {
    if (!isRecord(payload)) return 0;
    const id = str(payload, 'id') ?? '';
    if (payload.object === 'event' && id.startsWith('evt_') && isRecord(at(payload, 'data.object'))) return 0.99;
    if (payload.object === 'event' && typeof payload.type === 'string' && isRecord(payload.data)) return 0.8;
    return 0;
  },

  eventId: envelopeEventId,

  normalize(payload, ctx) {
    const env = readEnvelope(payload);
    if (!env) return { kind: 'ignored', reason: 'not a Stripe event envelope' };
    const objectType = str(env.object, 'object');
    const row = stripeEvent(env.type);
    if (row && row.object === objectType) return normalizeEvent(env, row, ctx);
    // A payment intent's or charge's event the table does not list.
    if ((objectType === 'payment_intent' || objectType === 'charge') && env.type.startsWith(`${objectType}.`))
      return { kind: 'ignored', reason: `${env.type} does not change payment state` };
    return { kind: 'ignored', reason: `Stripe event type ${env.type} is not a payment event we model` };
  },

  verify: verifyStripeSignature,
};
