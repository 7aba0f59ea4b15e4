import { FRAUD_WARNING, type Card, type EventStatus, type NormalizedEventDraft } from '../../canonical.js';
import {
  mapDeclineCode,
  unknownDecline,
  type Connector,
  type DeclineMapping,
  type NormalizeContext,
  type NormalizeOutcome,
} from '../../connector.js';
import { currencyExponent, rescaleMinor } from '../../money.js';
import {
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
} from '../../payload-access.js';
import { sha256Hex } from '../../../../platform/crypto/hashing.js';
import { adyenCodes, adyenExponentOverrides, adyenReasonKey } from './adyen.codes.js';
import { adyenEvent } from './adyen.events.js';
import { adyenItems, verifyAdyenSignature } from './adyen.signature.js';

type Item = Record<string, unknown>;

/** Dedupe ids longer than this are hashed so the unique index never meets an oversized key. */
const MAX_EVENT_ID_LENGTH = 256;
const fundings: Record<string, Card['funding']> = {
  CREDIT: 'credit',
  DEBIT: 'debit',
  PREPAID: 'prepaid',
  PREPAID_RELOADABLE: 'prepaid',
  PREPAID_NONRELOADABLE: 'prepaid',
  DEFERRED_DEBIT: 'debit',
};

function succeeded(item: Item): boolean {
  const success = item.success;
  return success === true || (typeof success === 'string' && success.trim().toLowerCase() === 'true');
}

function itemKey(item: Item): string {
  return `${str(item, 'pspReference') ?? ''}:${str(item, 'eventCode') ?? ''}:${succeeded(item) ? 'true' : 'false'}`;
}

const failureStatuses: ReadonlySet<EventStatus> = new Set(['declined', 'failed']);

/** Looks the reason text up, then the raw acquirer text; an unknown text stays unknown and is reported. */
function refusal(item: Item): { mapping: DeclineMapping; code: string | null; unmapped: boolean } {
  const candidates = [
    str(item, 'reason'),
    str(item, 'additionalData.refusalReasonRaw'),
    str(item, 'additionalData.inferredRefusalReason'),
  ].filter((c): c is string => c !== null && c.trim() !== '');
  for (const text of candidates) {
    const { mapping, unmapped } = mapDeclineCode(adyenCodes, adyenReasonKey(text));
    if (!unmapped) return { mapping, code: text, unmapped: false };
  }
  // Every candidate missed the table: the first one is what gets reported.
  const code = candidates[0] ?? null;
  return { mapping: unknownDecline, code, unmapped: code !== null };
}

/** Adyen amounts are minor units in Adyen's own exponent; the canonical model uses ISO 4217's. */
function toIsoMinor(value: number, currency: string): number {
  const iso = currencyExponent(currency);
  return rescaleMinor(value, adyenExponentOverrides[currency] ?? iso, iso);
}

function readCard(item: Item, extra: Record<string, unknown>, success: boolean, code: string): Card | null {
  let last4 = str(extra, 'cardSummary');
  // A successful card AUTHORISATION's reason is "authCode:last4:expiry".
  if (!last4 && success && code === 'AUTHORISATION') last4 = (str(item, 'reason') ?? '').split(':')[1] ?? null;
  const bin = str(extra, 'cardBin');
  const validLast4 = cardLast4(last4);
  const validBin = cardBin(bin);
  if (!validLast4 && !validBin) return null;
  return {
    brand: str(extra, 'paymentMethodVariant') ?? str(item, 'paymentMethod') ?? str(extra, 'paymentMethod'),
    bin: validBin,
    last4: validLast4,
    country: countryCode(str(extra, 'issuerCountry') ?? str(extra, 'cardIssuingCountry')),
    funding: fundings[(str(extra, 'fundingSource') ?? '').toUpperCase()] ?? null,
  };
}

/** Merchant metadata arrives flattened as `metadata.<key>` entries of additionalData. */
function merchantMetadata(extra: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(extra)) {
    if (key.startsWith('metadata.') && typeof value === 'string') out[key.slice('metadata.'.length)] = value;
  }
  return out;
}

const keptAdditionalData = [
  'authCode',
  'avsResult',
  'cvcResult',
  'fraudResultType',
  'fraudRiskLevel',
  'totalFraudScore',
  'threeDAuthenticated',
  'liabilityShift',
  'merchantAdviceCode',
  'refusalReasonRaw',
  'chargebackReasonCode',
  'chargebackSchemeCode',
  'defensePeriodEndsAt',
  'defendable',
  'modificationAction',
] as const;

function normalizeItem(item: Item, live: string | null, ctx: NormalizeContext): NormalizedEventDraft | null {
  const code = (str(item, 'eventCode') ?? '').toUpperCase();
  const success = succeeded(item);
  const row = adyenEvent(code, {
    modificationAction: str(item, 'additionalData.modificationAction')?.toLowerCase() ?? null,
  });
  if (!row) return null;
  const kind = { type: row.type, status: success ? row.success : row.failure, fixed: row.fixed };
  const extra = record(item, 'additionalData') ?? {};
  const failure = failureStatuses.has(kind.status);
  const isDispute = kind.type === 'dispute';
  const refused = failure && !kind.fixed ? refusal(item) : null;
  const mapping = kind.fixed ?? refused?.mapping ?? null;

  const currency = (str(item, 'amount.currency') ?? '').toUpperCase();
  const email = str(extra, 'shopperEmail') ?? str(item, 'shopperEmail');
  const shopper = str(extra, 'shopperReference') ?? str(item, 'shopperReference');
  const customerKey = email ? ctx.customerKey('email', email) : shopper ? ctx.customerKey('id', shopper) : null;
  const merchantAccount = str(item, 'merchantAccountCode');
  const pspReference = str(item, 'pspReference');
  const originalReference = str(item, 'originalReference');
  // An issuer-style refusal with the processing error reason means nothing was decided: failed, not declined.
  const status: EventStatus =
    kind.status === 'declined' && mapping?.reason === 'processing_error' ? 'failed' : kind.status;
  const reasonText = str(item, 'reason');

  const kept: Record<string, string> = {};
  for (const key of keptAdditionalData) {
    const value = str(extra, key);
    if (value !== null) kept[key] = value.trim();
  }
  const draft: NormalizedEventDraft = {
    providerEventId: `${pspReference ?? ''}:${code}:${success ? 'true' : 'false'}`,
    providerPaymentId: originalReference ?? pspReference,
    type: kind.type,
    status,
    failureReason: failure && mapping ? mapping.reason : null,
    declineType: failure && mapping ? mapping.declineType : null,
    recommendedAction: failure && mapping ? mapping.action : null,
    providerCode: isDispute ? (kept.chargebackReasonCode ?? null) : failure ? (refused?.code ?? code) : null,
    providerMessage: failure || isDispute ? reasonText : null,
    amountMinor: toIsoMinor(int(item, 'amount.value') ?? 0, currency),
    currency,
    merchant: merchantAccount ? { id: merchantAccount, name: null, country: null } : null,
    customerKey,
    emailDomain: emailDomain(email),
    ip: str(extra, 'shopperIP') ?? str(item, 'shopperIP'),
    ipCountry: null,
    deviceId: null,
    card: readCard(item, extra, success, code),
    occurredAt: isoToDate(str(item, 'eventDate')) ?? new Date(Number.NaN),
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: {
      adyenEventCode: code,
      success,
      live: live === null ? null : live === 'true',
      pspReference,
      originalReference,
      merchantReference: str(item, 'merchantReference'),
      paymentMethod: str(item, 'paymentMethod'),
      ...(row.fraudWarning ? { disputeStage: FRAUD_WARNING } : {}),
      ...kept,
      ...providerMetadataField(merchantMetadata(extra)),
    },
  };
  if (refused?.unmapped && refused.code) draft.unmappedCode = refused.code;
  return draft;
}

export const adyenConnector: Connector = {
  id: 'adyen',
  displayName: 'Adyen',
  codes: adyenCodes,
  // A PSP reference: 16 characters, digits and capitals.
  paymentIdPattern: /^[A-Z0-9]{16}$/,
  webhookAck: { contentType: 'text/plain', body: '[accepted]' },

  detect(payload) {
    if (!isRecord(payload) || !Array.isArray(payload.notificationItems)) return 0;
    // Detection runs on every ingested payload: stop at the first item instead of collecting them all.
    if (payload.notificationItems.some((entry) => record(entry, 'NotificationRequestItem') !== null)) return 0.99;
    return typeof payload.live === 'string' ? 0.6 : 0;
  },

  eventId(payload) {
    const items = adyenItems(payload);
    if (items.length === 0) return null;
    const joined = items.map(itemKey).join('|');
    return joined.length <= MAX_EVENT_ID_LENGTH ? joined : `sha256:${sha256Hex(joined)}`;
  },

  normalize(payload, ctx): NormalizeOutcome {
    const items = adyenItems(payload);
    if (items.length === 0)
      return { kind: 'ignored', reason: 'not an Adyen notification with NotificationRequestItems' };
    const live = str(payload, 'live');
    const events = items
      .map((item) => normalizeItem(item, live, ctx))
      .filter((e): e is NormalizedEventDraft => e !== null);
    if (events.length === 0) {
      const codes = [...new Set(items.map((item) => str(item, 'eventCode') ?? '?'))].join(', ');
      return { kind: 'ignored', reason: `Adyen event codes ${codes} carry no payment state` };
    }
    return { kind: 'events', events };
  },

  verify: verifyAdyenSignature,
};
