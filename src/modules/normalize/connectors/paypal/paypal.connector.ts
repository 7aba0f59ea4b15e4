import type { Card, EventStatus, EventType, NormalizedEventDraft } from '../../canonical.js';
import {
  envelopeEventId,
  mapDeclineCode,
  type Connector,
  type NormalizeContext,
  type NormalizeOutcome,
} from '../../connector.js';
import { decimalToMinor, isCurrencyCode } from '../../money.js';
import { at, cardLast4, emailDomain, isoToDate, isRecord, record, str } from '../../payload-access.js';
import { choose } from '../../event-table.js';
import { paypalCodes } from './paypal.codes.js';
import { paypalEvent, type PaypalFacts } from './paypal.events.js';
import { paypalOutboundUrls, verifyPaypalWebhook } from './paypal.signature.js';

type Resource = Record<string, unknown>;

interface Envelope {
  id: string;
  eventType: string;
  resourceType: string | null;
  created: Date | null;
  resource: Resource;
}

interface Money {
  amountMinor: number;
  currency: string;
}

interface Outcome {
  type: EventType;
  status: EventStatus;
  code: string | null;
  message: string | null;
}

function readEnvelope(payload: unknown): Envelope | null {
  if (!isRecord(payload)) return null;
  const id = str(payload, 'id');
  const eventType = str(payload, 'event_type');
  const resource = record(payload, 'resource');
  if (!id || !eventType || !resource) return null;
  return {
    id,
    eventType,
    resourceType: str(payload, 'resource_type'),
    created: isoToDate(str(payload, 'create_time')),
    resource,
  };
}

/** PayPal money is `{currency_code, value}` with a decimal string: converted digit by digit, never through a float. */
function readMoney(value: unknown): Money | null {
  const currency = str(value, 'currency_code');
  const amount = at(value, 'value');
  if (!isCurrencyCode(currency) || (typeof amount !== 'string' && typeof amount !== 'number')) return null;
  const minor = decimalToMinor(amount, currency);
  return minor === null ? null : { amountMinor: minor, currency: currency.toUpperCase() };
}

/** An order's amount is the sum of its purchase units, exact in minor units; mixed currencies have no single amount. */
function orderMoney(order: Resource): Money | null {
  const units = Array.isArray(order.purchase_units) ? order.purchase_units : [];
  const amounts = units.map((unit) => readMoney(at(unit, 'amount')));
  const first = amounts[0];
  if (!first || amounts.some((a) => a === null || a.currency !== first.currency)) return null;
  return { amountMinor: amounts.reduce((sum, a) => sum + (a?.amountMinor ?? 0), 0), currency: first.currency };
}

const linkKinds: Array<[RegExp, 'orderId' | 'authorizationId' | 'captureId']> = [
  [/\/checkout\/orders\/([^/?#]+)/, 'orderId'],
  [/\/payments\/authorizations\/([^/?#]+)/, 'authorizationId'],
  [/\/payments\/captures\/([^/?#]+)/, 'captureId'],
];

interface Lineage {
  orderId: string | null;
  authorizationId: string | null;
  captureId: string | null;
}

/** What the resource itself says about its parents: supplementary_data.related_ids and the `up` link. */
/** A malformed escape in a link names no id: the lineage then comes from the resource's own fields only. */
function decodedId(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function lineageOf(resource: Resource): Lineage {
  const lineage: Lineage = {
    orderId: str(resource, 'supplementary_data.related_ids.order_id'),
    authorizationId: str(resource, 'supplementary_data.related_ids.authorization_id'),
    captureId: str(resource, 'supplementary_data.related_ids.capture_id'),
  };
  const links = Array.isArray(resource.links) ? resource.links : [];
  const up = str(
    links.find((l) => str(l, 'rel') === 'up'),
    'href',
  );
  for (const [pattern, key] of linkKinds) {
    const match = up ? pattern.exec(up) : null;
    const id = match?.[1] ? decodedId(match[1]) : null;
    if (id && !lineage[key]) lineage[key] = id;
  }
  return lineage;
}

/**
 * providerPaymentId is the most root-ward id the resource names itself — order, then authorization,
 * then capture, then its own id — because that is the only rule every PayPal resource can follow
 * without an API call: orders are their own root, captures name their order (related_ids) or their
 * authorization/order (`up` link), refunds only link `up` to their capture. A capture and its order
 * events therefore share the order id; a refund shares its capture's id whenever the capture's order
 * is unknown to PayPal's payload. The full lineage is kept in metadata for joins either way.
 */
function paymentIdOf(own: string | null, lineage: Lineage): string | null {
  return lineage.orderId ?? lineage.authorizationId ?? lineage.captureId ?? own;
}

function orderCard(order: Resource): Card | null {
  const card = record(order, 'payment_source.card');
  if (!card) return null;
  const last4 = str(card, 'last_digits');
  const type = str(card, 'type');
  return {
    brand: str(card, 'brand')?.toLowerCase() ?? null,
    bin: null,
    last4: cardLast4(last4),
    country: null,
    funding: type === 'CREDIT' ? 'credit' : type === 'DEBIT' ? 'debit' : type === 'PREPAID' ? 'prepaid' : null,
  };
}

class PaypalNormalizer {
  constructor(
    private readonly env: Envelope,
    private readonly ctx: NormalizeContext,
  ) {}

  build(
    outcome: Outcome,
    money: Money | null,
    paymentId: string | null,
    extra: {
      email?: string | null;
      payerId?: string | null;
      card?: Card | null;
      merchantId?: string | null;
      metadata?: Record<string, unknown>;
    } = {},
  ): NormalizeOutcome {
    const resource = this.env.resource;
    const failure = outcome.status === 'declined' || outcome.status === 'failed';
    const { mapping, unmapped } = mapDeclineCode(paypalCodes, outcome.code);
    const email = extra.email ?? null;
    const customerKey = email
      ? this.ctx.customerKey('email', email)
      : extra.payerId
        ? this.ctx.customerKey('id', extra.payerId)
        : null;
    const occurredAt =
      isoToDate(str(resource, 'update_time')) ??
      isoToDate(str(resource, 'create_time')) ??
      this.env.created ??
      new Date(Number.NaN);
    const draft: NormalizedEventDraft = {
      providerEventId: this.env.id,
      providerPaymentId: paymentId,
      type: outcome.type,
      status: outcome.status,
      failureReason: failure ? mapping.reason : null,
      declineType: failure ? mapping.declineType : null,
      recommendedAction: failure ? mapping.action : null,
      providerCode: outcome.code,
      providerMessage: outcome.message,
      // A missing or malformed amount must not become 0: NaN makes the pipeline keep the event unprocessed.
      amountMinor: money?.amountMinor ?? Number.NaN,
      currency: money?.currency ?? '',
      merchant: extra.merchantId ? { id: extra.merchantId, name: null, country: null } : null,
      customerKey,
      emailDomain: emailDomain(email),
      ip: null,
      ipCountry: null,
      deviceId: null,
      card: extra.card ?? null,
      occurredAt,
      normalizationMethod: 'rules',
      confidence: 1,
      metadata: {
        paypalEventType: this.env.eventType,
        resourceType: this.env.resourceType,
        objectId: str(resource, 'id'),
        resourceStatus: str(resource, 'status'),
        invoiceId: str(resource, 'invoice_id'),
        customId: str(resource, 'custom_id'),
        ...extra.metadata,
      },
    };
    if (failure && unmapped && outcome.code) draft.unmappedCode = outcome.code;
    return { kind: 'events', events: [draft] };
  }

  capture(type: EventType, status: EventStatus): NormalizeOutcome {
    const capture = this.env.resource;
    const lineage = lineageOf(capture);
    const id = str(capture, 'id');
    const reason = str(capture, 'status_details.reason');
    const responseCode = str(capture, 'processor_response.response_code');
    const metadata = {
      ...lineage,
      captureId: id,
      finalCapture: typeof capture.final_capture === 'boolean' ? capture.final_capture : null,
      statusReason: reason,
      avsCode: str(capture, 'processor_response.avs_code'),
      cvvCode: str(capture, 'processor_response.cvv_code'),
      paymentAdviceCode: str(capture, 'processor_response.payment_advice_code'),
      paypalFeeMinor: readMoney(at(capture, 'seller_receivable_breakdown.paypal_fee'))?.amountMinor ?? null,
    };
    // A refusal names the processor's response code when there is one, with PayPal's reason as its message.
    const refused = status === 'declined' || status === 'failed';
    const outcome: Outcome =
      status === 'approved'
        ? { type, status, code: null, message: null }
        : refused
          ? { type, status, code: responseCode ?? reason, message: responseCode ? reason : null }
          : { type, status, code: reason, message: null };
    return this.build(outcome, readMoney(capture.amount), paymentIdOf(id, { ...lineage, captureId: null }), {
      merchantId: str(capture, 'payee.merchant_id'),
      metadata,
    });
  }

  refund(type: EventType, status: EventStatus): NormalizeOutcome {
    const refund = this.env.resource;
    const lineage = lineageOf(refund);
    const id = str(refund, 'id');
    const reason = str(refund, 'status_details.reason');
    return this.build(
      { type, status, code: reason, message: str(refund, 'note_to_payer') },
      readMoney(refund.amount),
      paymentIdOf(id, lineage),
      {
        merchantId: str(refund, 'payer.merchant_id'),
        metadata: {
          ...lineage,
          refundId: id,
          totalRefundedMinor:
            readMoney(at(refund, 'seller_payable_breakdown.total_refunded_amount'))?.amountMinor ?? null,
        },
      },
    );
  }

  order(type: EventType, status: EventStatus): NormalizeOutcome {
    const order = this.env.resource;
    const id = str(order, 'id');
    const intent = str(order, 'intent');
    const outcome: Outcome = { type, status, code: null, message: null };
    const units = Array.isArray(order.purchase_units) ? order.purchase_units : [];
    const captures = units.flatMap((u) => {
      const list = at(u, 'payments.captures');
      return Array.isArray(list) ? list.map((c) => str(c, 'id')).filter((c): c is string => c !== null) : [];
    });
    return this.build(outcome, orderMoney(order), id, {
      email: str(order, 'payer.email_address'),
      payerId: str(order, 'payer.payer_id'),
      card: orderCard(order),
      merchantId: str(units[0], 'payee.merchant_id'),
      metadata: { orderId: id, intent, captureIds: captures, referenceId: str(units[0], 'reference_id') },
    });
  }

  authorization(type: EventType, status: EventStatus): NormalizeOutcome {
    const auth = this.env.resource;
    const lineage = lineageOf(auth);
    const id = str(auth, 'id');
    const reason = str(auth, 'status_details.reason');
    // A void says why in its reason; a new authorization carries the processor's response code when there is one.
    const code = status === 'canceled' ? reason : (str(auth, 'processor_response.response_code') ?? reason);
    const outcome: Outcome = { type, status, code, message: null };
    return this.build(outcome, readMoney(auth.amount), paymentIdOf(id, { ...lineage, authorizationId: null }), {
      merchantId: str(auth, 'payee.merchant_id'),
      metadata: { ...lineage, authorizationId: id, expirationTime: str(auth, 'expiration_time') },
    });
  }

  dispute(type: EventType, status: EventStatus): NormalizeOutcome {
    const dispute = this.env.resource;
    const outcomeCode = str(dispute, 'dispute_outcome.outcome_code');
    const transactions = Array.isArray(dispute.disputed_transactions) ? dispute.disputed_transactions : [];
    const first = transactions[0];
    // A dispute names only the seller's transaction (the capture id): that is its payment link.
    const paymentId = str(first, 'seller_transaction_id');
    return this.build(
      {
        type,
        status,
        code: str(dispute, 'reason'),
        message: str(dispute, 'status'),
      },
      readMoney(dispute.dispute_amount),
      paymentId,
      {
        email: str(first, 'buyer.email'),
        merchantId: str(first, 'seller.merchant_id'),
        metadata: {
          disputeId: str(dispute, 'dispute_id'),
          disputeStatus: str(dispute, 'status'),
          lifeCycleStage: str(dispute, 'dispute_life_cycle_stage'),
          outcomeCode,
          captureId: paymentId,
        },
      },
    );
  }
}

/** What the events table reads off an event; whether a capture is authorization-backed only when a cell asks. */
function factsOf(env: Envelope): PaypalFacts {
  const resource = env.resource;
  return {
    resourceType: env.resourceType,
    status: str(resource, 'status'),
    reason: str(resource, 'status_details.reason'),
    get authorizationBacked() {
      return Boolean(lineageOf(resource).authorizationId);
    },
    intent: str(resource, 'intent'),
    outcomeCode: str(resource, 'dispute_outcome.outcome_code'),
  };
}

export const paypalConnector: Connector = {
  id: 'paypal',
  displayName: 'PayPal',
  codes: paypalCodes,
  // An order, capture or authorization id: 17 characters, digits and capitals.
  paymentIdPattern: /^[A-Z0-9]{17}$/,

  detect(payload) {
    if (!isRecord(payload) || typeof payload.event_type !== 'string' || !isRecord(payload.resource)) return 0;
    const id = str(payload, 'id') ?? '';
    if (id.startsWith('WH-') && /^[A-Z_]+(\.[A-Z_]+)+$/.test(payload.event_type)) return 0.99;
    return typeof payload.resource_type === 'string' ? 0.7 : 0;
  },

  eventId: envelopeEventId,

  normalize(payload, ctx) {
    const env = readEnvelope(payload);
    if (!env) return { kind: 'ignored', reason: 'not a PayPal webhook event' };
    const row = paypalEvent(env.eventType);
    if (row === undefined)
      return { kind: 'ignored', reason: `PayPal event type ${env.eventType} is not a payment event we model` };
    const facts = factsOf(env);
    const event = choose(row, facts);
    if (event === null) return { kind: 'ignored', reason: `${env.eventType} does not change payment state` };
    const normalizer = new PaypalNormalizer(env, ctx);
    return normalizer[event.resource](choose(event.type, facts), choose(event.status, facts));
  },

  verify: verifyPaypalWebhook,
  outboundUrls: paypalOutboundUrls,
};
