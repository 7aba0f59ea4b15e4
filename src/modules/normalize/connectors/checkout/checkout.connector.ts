import type { Card, EventStatus, EventType, NormalizedEventDraft } from '../../canonical.js';
import {
  envelopeEventId,
  headerValue,
  mapDeclineCode,
  type Connector,
  type DeclineMapping,
  type NormalizeContext,
  type NormalizeOutcome,
  type VerifyInput,
  type VerifyResult,
} from '../../connector.js';
import { currencyExponent, rescaleMinor } from '../../money.js';
import {
  at,
  cardBin,
  cardLast4,
  countryCode,
  emailDomain,
  int,
  isoToDate,
  isRecord,
  providerMetadataField,
  record,
  str,
  stringMap,
} from '../../payload-access.js';
import { hmacSha256, safeEqual } from '../../../../platform/crypto/hashing.js';
import { checkoutApprovedCodes, checkoutCodes, checkoutExponentOverrides } from './checkout.codes.js';

type Data = Record<string, unknown>;

interface Envelope {
  id: string;
  type: string;
  data: Data;
  root: Data;
}

interface Classification {
  type: EventType;
  status: EventStatus;
  /** Applies when the event carries no response code of its own. */
  fallback?: DeclineMapping;
}

const authenticationFailed: DeclineMapping = {
  reason: 'authentication_failed',
  declineType: 'soft',
  action: 'retry_with_authentication',
};

const paymentEvents: Readonly<Record<string, Classification>> = {
  payment_approved: { type: 'authorization', status: 'approved' },
  payment_declined: { type: 'authorization', status: 'declined' },
  payment_pending: { type: 'authorization', status: 'pending' },
  payment_authentication_failed: { type: 'authorization', status: 'declined', fallback: authenticationFailed },
  payment_captured: { type: 'capture', status: 'approved' },
  payment_capture_declined: { type: 'capture', status: 'failed' },
  payment_capture_pending: { type: 'capture', status: 'pending' },
  payment_paid: { type: 'sale', status: 'approved' },
  payment_refunded: { type: 'refund', status: 'refunded' },
  payment_refund_declined: { type: 'refund', status: 'failed' },
  payment_refund_pending: { type: 'refund', status: 'pending' },
  payment_voided: { type: 'void', status: 'canceled' },
  payment_void_declined: { type: 'void', status: 'failed' },
  payment_canceled: { type: 'void', status: 'canceled' },
  payment_expired: { type: 'void', status: 'canceled' },
  card_verified: { type: 'authorization', status: 'approved' },
  card_verification_declined: { type: 'authorization', status: 'declined' },
};

/** Dispute outcomes that leave the money with the merchant; every other dispute_* event is a chargeback in progress. */
const disputesResolvedForMerchant: ReadonlySet<string> = new Set(['dispute_won', 'dispute_canceled']);
const knownTypes: ReadonlySet<string> = new Set(Object.keys(paymentEvents));
const cardFundings: Record<string, Card['funding']> = { credit: 'credit', debit: 'debit', prepaid: 'prepaid' };
const failureStatuses: ReadonlySet<EventStatus> = new Set(['declined', 'failed']);

function readEnvelope(payload: unknown): Envelope | null {
  if (!isRecord(payload)) return null;
  const id = str(payload, 'id');
  const type = str(payload, 'type');
  const data = record(payload, 'data');
  if (!id || !type || !data) return null;
  return { id, type, data, root: payload };
}

/** Parsed only when building the event, so detection (run on every ingested payload) parses no dates. */
function occurredAt({ root, data }: Envelope): Date {
  return (
    isoToDate(str(root, 'created_on')) ??
    isoToDate(str(root, 'timestamp')) ??
    isoToDate(str(data, 'processed_on')) ??
    new Date(Number.NaN)
  );
}

/** Checkout.com amounts are minor units in its own exponent; the canonical model uses ISO 4217's. */
function toIsoMinor(amount: number, currency: string): number {
  const iso = currencyExponent(currency);
  return rescaleMinor(amount, checkoutExponentOverrides[currency] ?? iso, iso);
}

function readCard(data: Data): Card | null {
  const source = record(data, 'source');
  if (!source || (str(source, 'type') ?? 'card').toLowerCase() !== 'card') return null;
  const bin = str(source, 'bin');
  const last4 = str(source, 'last_4');
  const funding = (str(source, 'card_type') ?? '').toLowerCase();
  return {
    brand: str(source, 'scheme')?.toLowerCase() ?? null,
    bin: cardBin(bin),
    last4: cardLast4(last4),
    country: countryCode(str(source, 'issuer_country')),
    funding: cardFundings[funding] ?? null,
  };
}

/** Checkout.com masks emails in some webhooks (`t***@g****.com`): such a value identifies no one. */
function usableEmail(data: Data): string | null {
  const email = str(data, 'customer.email');
  return email && !email.includes('*') ? email : null;
}

function refundStatus(data: Data): EventStatus {
  const refunded = int(data, 'balances.total_refunded');
  const captured = int(data, 'balances.total_captured');
  return refunded !== null && captured !== null && refunded < captured ? 'partially_refunded' : 'refunded';
}

function build(env: Envelope, ctx: NormalizeContext, kind: Classification): NormalizedEventDraft {
  const { data } = env;
  const isDispute = kind.type === 'dispute';
  const responseCode = str(data, 'response_code');
  const failure = failureStatuses.has(kind.status);
  const code = responseCode && !checkoutApprovedCodes.has(responseCode) ? responseCode : null;
  const looked = mapDeclineCode(checkoutCodes, code);
  const mapping: DeclineMapping | null = failure
    ? code === null && kind.fallback
      ? kind.fallback
      : looked.mapping
    : null;
  const unmapped = failure && looked.unmapped && code !== null;
  const status: EventStatus =
    kind.status === 'declined' && mapping?.reason === 'processing_error' ? 'failed' : kind.status;
  const currency = (str(data, 'currency') ?? '').toUpperCase();
  const email = usableEmail(data);
  const customerId = str(data, 'customer.id');
  const customerKey = email ? ctx.customerKey('email', email) : customerId ? ctx.customerKey('id', customerId) : null;
  const channel = str(data, 'processing_channel_id');
  const draft: NormalizedEventDraft = {
    providerEventId: env.id,
    providerPaymentId: isDispute ? str(data, 'payment_id') : str(data, 'id'),
    type: kind.type,
    status,
    failureReason: mapping?.reason ?? null,
    declineType: mapping?.declineType ?? null,
    recommendedAction: mapping?.action ?? null,
    providerCode: isDispute
      ? str(data, 'reason_code')
      : failure
        ? (responseCode ?? (kind.fallback ? env.type : null))
        : responseCode,
    providerMessage: isDispute ? str(data, 'category') : str(data, 'response_summary'),
    amountMinor: toIsoMinor(int(data, 'amount') ?? 0, currency),
    currency,
    merchant: channel ? { id: channel, name: null, country: null } : null,
    customerKey,
    emailDomain: emailDomain(email),
    ip: str(data, 'payment_ip'),
    ipCountry: null,
    deviceId: null,
    card: readCard(data),
    occurredAt: occurredAt(env),
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: {
      checkoutEventType: env.type,
      actionId: str(data, 'action_id'),
      reference: str(data, 'reference') ?? str(data, 'payment_reference'),
      paymentType: str(data, 'payment_type'),
      authCode: str(data, 'auth_code'),
      riskFlagged: typeof at(data, 'risk.flagged') === 'boolean' ? at(data, 'risk.flagged') : null,
      riskScore: int(data, 'risk.score'),
      partnerResponseCode: str(data, 'processing.partner_response_code'),
      merchantAdviceCode: str(data, 'processing.partner_merchant_advice_code'),
      ...(isDispute ? { disputeId: str(data, 'id'), evidenceRequiredBy: str(data, 'evidence_required_by') } : {}),
      ...providerMetadataField(stringMap(data.metadata)),
    },
  };
  if (unmapped && code) draft.unmappedCode = code;
  return draft;
}

/**
 * Checkout.com signs the raw body only: there is no timestamp or delivery id in the scheme to hold
 * a replay window to. A replay is the same signed body, so the event-id dedupe absorbs it.
 */
function verifyCheckoutSignature({ rawBody, headers, secret }: VerifyInput): VerifyResult {
  const given = headerValue(headers, 'cko-signature')?.trim().toLowerCase();
  if (!given) return { ok: false, reason: 'missing Cko-Signature header' };
  const expected = hmacSha256(secret, rawBody).toString('hex');
  return safeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'Cko-Signature does not match the body' };
}

export const checkoutConnector: Connector = {
  id: 'checkout',
  displayName: 'Checkout.com',
  codes: checkoutCodes,
  paymentIdPattern: /^pay_[a-z0-9]{26}$/,

  detect(payload) {
    if (!isRecord(payload) || 'object' in payload) return 0;
    const env = readEnvelope(payload);
    if (!env || !env.id.startsWith('evt_')) return 0;
    const dataId = str(env.data, 'id') ?? '';
    const ours = knownTypes.has(env.type) || env.type.startsWith('dispute_') || /^(pay|dsp)_/.test(dataId);
    if (ours && (str(payload, 'created_on') ?? str(payload, 'timestamp'))) return 0.97;
    return ours ? 0.75 : 0;
  },

  eventId: envelopeEventId,

  normalize(payload, ctx): NormalizeOutcome {
    const env = readEnvelope(payload);
    if (!env) return { kind: 'ignored', reason: 'not a Checkout.com event envelope' };
    const kind =
      paymentEvents[env.type] ??
      (env.type.startsWith('dispute_')
        ? {
            type: 'dispute' as const,
            status: disputesResolvedForMerchant.has(env.type) ? ('approved' as const) : ('chargeback' as const),
          }
        : null);
    if (!kind) return { kind: 'ignored', reason: `Checkout.com event type ${env.type} does not change payment state` };
    const draft = build(env, ctx, kind);
    if (env.type === 'payment_refunded') draft.status = refundStatus(env.data);
    return { kind: 'events', events: [draft] };
  },

  verify: verifyCheckoutSignature,
};
