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
  headerValue,
  mapDeclineCode,
  outsideWindow,
  signatureHeaderParts,
  signatureTolerance,
  type Connector,
  type NormalizeContext,
  type NormalizeOutcome,
  type VerifyInput,
  type VerifyResult,
} from '../../connector.js';
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
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';
import { stripeCodes, stripeExponentOverrides } from './stripe.codes.js';

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

function declineOutcome(code: string | null, message: string | null, isCardError: boolean): Outcome {
  return { status: isCardError ? 'declined' : 'failed', code, message };
}

class StripeNormalizer {
  private readonly unmapped: string[] = [];

  constructor(
    private readonly env: Envelope,
    private readonly ctx: NormalizeContext,
  ) {}

  build(
    resource: Resource,
    type: EventType,
    outcome: Outcome,
    amount: number,
    card: Card | null,
    paymentId: string | null,
    extra: Record<string, unknown> = {},
  ): NormalizedEventDraft {
    const currency = (str(resource, 'currency') ?? '').toUpperCase();
    const failure = outcome.status === 'declined' || outcome.status === 'failed';
    const { mapping, unmapped } = mapDeclineCode(stripeCodes, outcome.code);
    if (failure && unmapped && outcome.code) this.unmapped.push(outcome.code);
    const email = emailOf(resource);
    const customer = customerOf(resource);
    const customerKey = email
      ? this.ctx.customerKey('email', email)
      : customer
        ? this.ctx.customerKey('id', customer)
        : null;
    const draft: NormalizedEventDraft = {
      providerEventId: this.env.id,
      providerPaymentId: paymentId,
      type,
      status: outcome.status,
      failureReason: failure ? mapping.reason : null,
      declineType: failure ? mapping.declineType : null,
      recommendedAction: failure ? mapping.action : null,
      providerCode: outcome.code,
      providerMessage: outcome.message,
      amountMinor: toIsoMinor(amount, currency),
      currency,
      merchant: this.env.account ? { id: this.env.account, name: null, country: null } : null,
      customerKey,
      emailDomain: emailDomain(email),
      ip: null,
      ipCountry: null,
      deviceId: null,
      card,
      occurredAt: this.env.created,
      normalizationMethod: 'rules',
      confidence: 1,
      metadata: {
        stripeEventType: this.env.type,
        objectId: str(resource, 'id'),
        livemode: this.env.livemode,
        ...extra,
        ...providerMetadataField(stringMap(resource.metadata)),
      },
    };
    if (failure && unmapped && outcome.code) draft.unmappedCode = outcome.code;
    return draft;
  }

  paymentIntent(pi: Resource, action: string): NormalizeOutcome {
    const manual = str(pi, 'capture_method') === 'manual';
    const card = cardOfPaymentIntent(pi);
    const amount = int(pi, 'amount') ?? 0;
    const id = str(pi, 'id');
    const base = { paymentIntentStatus: str(pi, 'status') };
    switch (action) {
      case 'succeeded':
        return this.one(
          this.build(
            pi,
            manual ? 'capture' : 'sale',
            { status: 'approved', code: null, message: null },
            int(pi, 'amount_received') ?? amount,
            card,
            id,
            base,
          ),
        );
      case 'amount_capturable_updated':
        return this.one(
          this.build(
            pi,
            'authorization',
            { status: 'approved', code: null, message: null },
            int(pi, 'amount_capturable') ?? amount,
            card,
            id,
            base,
          ),
        );
      case 'payment_failed': {
        const err = record(pi, 'last_payment_error') ?? {};
        const code = str(err, 'decline_code') ?? str(err, 'code');
        const outcome = declineOutcome(code, str(err, 'message'), str(err, 'type') === 'card_error');
        return this.one(
          this.build(pi, manual ? 'authorization' : 'sale', outcome, amount, card, id, {
            ...base,
            errorType: str(err, 'type'),
            adviceCode: str(err, 'advice_code'),
            networkDeclineCode: str(err, 'network_decline_code'),
          }),
        );
      }
      case 'canceled':
        return this.one(
          this.build(
            pi,
            'void',
            { status: 'canceled', code: str(pi, 'cancellation_reason'), message: null },
            amount,
            card,
            id,
            base,
          ),
        );
      case 'created':
      case 'processing':
      case 'requires_action':
        return this.one(
          this.build(
            pi,
            manual ? 'authorization' : 'sale',
            { status: 'pending', code: null, message: null },
            amount,
            card,
            id,
            base,
          ),
        );
      default:
        return { kind: 'ignored', reason: `payment_intent.${action} does not change payment state` };
    }
  }

  charge(ch: Resource, action: string): NormalizeOutcome {
    const captured = ch.captured === true;
    const card = cardOfCharge(ch);
    const amount = int(ch, 'amount') ?? 0;
    const paymentId = str(ch, 'payment_intent') ?? str(ch, 'id');
    const outcome = record(ch, 'outcome') ?? {};
    const extra = {
      outcomeType: str(outcome, 'type'),
      networkStatus: str(outcome, 'network_status'),
      riskLevel: str(outcome, 'risk_level'),
      riskScore: int(outcome, 'risk_score'),
      sellerMessage: str(outcome, 'seller_message'),
    };
    switch (action) {
      case 'succeeded':
        return this.one(
          this.build(
            ch,
            captured ? 'sale' : 'authorization',
            { status: 'approved', code: null, message: null },
            amount,
            card,
            paymentId,
            extra,
          ),
        );
      case 'pending':
        return this.one(
          this.build(
            ch,
            captured ? 'sale' : 'authorization',
            { status: 'pending', code: null, message: null },
            amount,
            card,
            paymentId,
            extra,
          ),
        );
      case 'failed': {
        const blocked = str(outcome, 'type') === 'blocked';
        const failureCode = str(ch, 'failure_code');
        // Issuer declines carry the precise reason in outcome.reason; failure_code is then just card_declined.
        const code =
          (failureCode === 'card_declined' || blocked ? str(outcome, 'reason') : null) ??
          failureCode ??
          str(outcome, 'reason');
        // A processing error or an invalid request never reached an issuer's decision: that is a failure, not a decline.
        const isCardDecline = failureCode !== 'processing_error' && str(outcome, 'type') !== 'invalid';
        return this.one(
          this.build(
            ch,
            'sale',
            declineOutcome(
              code ?? (blocked ? 'rule' : null),
              str(ch, 'failure_message') ?? str(outcome, 'seller_message'),
              isCardDecline,
            ),
            amount,
            card,
            paymentId,
            extra,
          ),
        );
      }
      case 'captured':
        return this.one(
          this.build(
            ch,
            'capture',
            { status: 'approved', code: null, message: null },
            int(ch, 'amount_captured') ?? amount,
            card,
            paymentId,
            extra,
          ),
        );
      case 'expired':
        return this.one(
          this.build(
            ch,
            'void',
            { status: 'canceled', code: 'expired', message: null },
            amount,
            card,
            paymentId,
            extra,
          ),
        );
      case 'refunded': {
        const total = int(ch, 'amount_refunded') ?? 0;
        const before = this.env.previous ? int(this.env.previous, 'amount_refunded') : null;
        const full = ch.refunded === true;
        return this.one(
          this.build(
            ch,
            'refund',
            { status: full ? 'refunded' : 'partially_refunded', code: null, message: null },
            before === null ? total : total - before,
            card,
            paymentId,
            { ...extra, amountRefundedTotal: total },
          ),
        );
      }
      case 'updated': {
        const changed = Object.keys(this.env.previous ?? {});
        const stateFields = ['status', 'captured', 'amount_captured', 'amount_refunded', 'refunded', 'disputed'];
        if (!changed.some((f) => stateFields.includes(f))) {
          return { kind: 'ignored', reason: `charge.updated changed only ${changed.join(', ') || 'nothing we track'}` };
        }
        const status: EventStatus =
          str(ch, 'status') === 'failed'
            ? 'failed'
            : str(ch, 'status') === 'pending'
              ? 'pending'
              : ch.refunded === true
                ? 'refunded'
                : 'approved';
        return this.one(
          this.build(
            ch,
            captured ? 'sale' : 'authorization',
            { status, code: str(ch, 'failure_code'), message: str(ch, 'failure_message') },
            amount,
            card,
            paymentId,
            { ...extra, changedFields: changed },
          ),
        );
      }
      default:
        return { kind: 'ignored', reason: `charge.${action} does not change payment state` };
    }
  }

  refund(refund: Resource): NormalizeOutcome {
    const statusMap: Record<string, EventStatus> = {
      succeeded: 'refunded',
      pending: 'pending',
      requires_action: 'pending',
      failed: 'failed',
      canceled: 'canceled',
    };
    const status = statusMap[str(refund, 'status') ?? ''] ?? 'pending';
    const paymentId = str(refund, 'payment_intent') ?? str(refund, 'charge');
    return this.one(
      this.build(
        refund,
        'refund',
        { status, code: str(refund, 'failure_reason'), message: null },
        int(refund, 'amount') ?? 0,
        null,
        paymentId,
        { refundReason: str(refund, 'reason') },
      ),
    );
  }

  dispute(dp: Resource, action: string): NormalizeOutcome {
    const disputeStatus = str(dp, 'status');
    const resolvedForMerchant =
      disputeStatus === 'won' ||
      disputeStatus === 'warning_closed' ||
      disputeStatus === 'prevented' ||
      action === 'funds_reinstated';
    const status: EventStatus = resolvedForMerchant ? 'approved' : 'chargeback';
    const paymentId = str(dp, 'payment_intent') ?? str(dp, 'charge');
    return this.one(
      this.build(
        dp,
        'dispute',
        { status, code: str(dp, 'reason'), message: disputeStatus },
        int(dp, 'amount') ?? 0,
        readCard(at(dp, 'payment_method_details.card')),
        paymentId,
        {
          disputeStatus,
          evidenceDueBy: int(dp, 'evidence_details.due_by'),
        },
      ),
    );
  }

  /** An issuer reported the charge as fraud (TC40/SAFE) before any dispute: a dispute-stage event that moves no money. */
  fraudWarning(efw: Resource): NormalizeOutcome {
    const draft = this.build(
      efw,
      'dispute',
      { status: 'pending', code: str(efw, 'fraud_type'), message: null },
      0,
      null,
      str(efw, 'payment_intent') ?? str(efw, 'charge'),
      {
        disputeStage: FRAUD_WARNING,
        actionable: typeof efw.actionable === 'boolean' ? efw.actionable : null,
        chargeId: str(efw, 'charge'),
      },
    );
    // Stripe sends only the ids: the warning carries no amount or currency of its own.
    draft.currency = NO_CURRENCY;
    return this.one(draft);
  }

  private one(event: NormalizedEventDraft): NormalizeOutcome {
    return { kind: 'events', events: [event] };
  }
}

function parseSignatureHeader(header: string): { timestamp: number | null; signatures: string[] } {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const [key, value] of signatureHeaderParts(header)) {
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === 'v1') signatures.push(value);
  }
  return { timestamp, signatures };
}

/**
 * Stripe's scheme: hex HMAC-SHA256 of `t.body`. stripe-node only rejects timestamps older than its
 * tolerance; a timestamp as far in the future is rejected too, since no genuine delivery has one.
 */
export function verifyStripeSignature({ rawBody, headers, secret, settings, now }: VerifyInput): VerifyResult {
  const header = headerValue(headers, 'stripe-signature');
  if (!header) return { ok: false, reason: 'missing Stripe-Signature header' };
  const { timestamp, signatures } = parseSignatureHeader(header);
  if (timestamp === null) return { ok: false, reason: 'Stripe-Signature has no timestamp' };
  if (signatures.length === 0) return { ok: false, reason: 'Stripe-Signature has no v1 signature' };
  const stale = outsideWindow(timestamp * 1000, now, signatureTolerance(settings), 'Stripe-Signature timestamp');
  if (stale) return { ok: false, reason: stale };
  const expected = hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), rawBody])).toString('hex');
  return signatures.some((s) => safeEqual(s, expected))
    ? { ok: true }
    : { ok: false, reason: 'no v1 signature matches' };
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
    const normalizer = new StripeNormalizer(env, ctx);
    const objectType = str(env.object, 'object');
    const [family, ...rest] = env.type.split('.');
    const action = rest.join('.');
    if (family === 'payment_intent' && objectType === 'payment_intent')
      return normalizer.paymentIntent(env.object, action);
    if (family === 'charge' && action.startsWith('dispute.') && objectType === 'dispute')
      return normalizer.dispute(env.object, action.slice('dispute.'.length));
    if (family === 'charge' && action.startsWith('refund.') && objectType === 'refund')
      return normalizer.refund(env.object);
    if (family === 'refund' && objectType === 'refund') return normalizer.refund(env.object);
    if (family === 'charge' && objectType === 'charge') return normalizer.charge(env.object, action);
    if (env.type.startsWith('radar.early_fraud_warning.') && objectType === 'radar.early_fraud_warning')
      return normalizer.fraudWarning(env.object);
    return { kind: 'ignored', reason: `Stripe event type ${env.type} is not a payment event we model` };
  },

  verify: verifyStripeSignature,
};
