import type { Card, EventStatus, NormalizedEventDraft } from '../../canonical.js';
import {
  envelopeEventId,
  mapDeclineCode,
  type Connector,
  type DeclineMapping,
  type NormalizeContext,
  type NormalizeOutcome,
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
import { choose } from '../../event-table.js';
import { checkoutApprovedCodes, checkoutCodes, checkoutExponentOverrides } from './checkout.codes.js';
import { checkoutEvent, type CheckoutEvent, type CheckoutFacts } from './checkout.events.js';
import { verifyCheckoutSignature } from './checkout.signature.js';

type Data = Record<string, unknown>;

interface Envelope {
  id: string;
  type: string;
  data: Data;
  root: Data;
}

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

function factsOf(data: Data): CheckoutFacts {
  const refunded = int(data, 'balances.total_refunded');
  const captured = int(data, 'balances.total_captured');
  return { partiallyRefunded: refunded !== null && captured !== null && refunded < captured };
}

/** The event's row of the table, its status decided. */
type Classification = Omit<CheckoutEvent, 'status'> & { status: EventStatus };

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
    const ours = checkoutEvent(env.type) !== undefined || /^(pay|dsp)_/.test(dataId);
    if (ours && (str(payload, 'created_on') ?? str(payload, 'timestamp'))) return 0.97;
    return ours ? 0.75 : 0;
  },

  eventId: envelopeEventId,

  normalize(payload, ctx): NormalizeOutcome {
    const env = readEnvelope(payload);
    if (!env) return { kind: 'ignored', reason: 'not a Checkout.com event envelope' };
    const row = checkoutEvent(env.type);
    if (!row) return { kind: 'ignored', reason: `Checkout.com event type ${env.type} does not change payment state` };
    const draft = build(env, ctx, { ...row, status: choose(row.status, factsOf(env.data)) });
    return { kind: 'events', events: [draft] };
  },

  verify: verifyCheckoutSignature,
};
