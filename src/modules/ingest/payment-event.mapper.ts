import type { Insertable, Selectable } from 'kysely';
import type { PaymentEventsTable } from './ingest.tables.js';
import type { Card, EventRisk, Merchant, NormalizedEventDraft, PaymentEvent } from '../normalize/index.js';
import { isoTimestamp } from '../../platform/db/timestamps.js';

export type PaymentEventRow = Selectable<PaymentEventsTable>;
export type NewPaymentEventRow = Insertable<PaymentEventsTable>;

export interface EventIdentity {
  id: string;
  tenantId: string;
  rawEventId: string;
  source: string;
  provider: string;
  receivedAt: Date;
  normalizedAt: Date;
  amountUsdMinor: number | null;
}

export function draftToEvent(draft: NormalizedEventDraft, identity: EventIdentity): PaymentEvent {
  return {
    id: identity.id,
    tenantId: identity.tenantId,
    source: identity.source,
    rawEventId: identity.rawEventId,
    provider: identity.provider,
    providerEventId: draft.providerEventId,
    providerPaymentId: draft.providerPaymentId,
    type: draft.type,
    status: draft.status,
    failureReason: draft.failureReason,
    declineType: draft.declineType,
    recommendedAction: draft.recommendedAction,
    providerCode: draft.providerCode,
    providerMessage: draft.providerMessage,
    amountMinor: draft.amountMinor,
    currency: draft.currency,
    amountUsdMinor: identity.amountUsdMinor,
    merchant: draft.merchant,
    customerKey: draft.customerKey,
    emailDomain: draft.emailDomain,
    ip: draft.ip,
    ipCountry: draft.ipCountry,
    deviceId: draft.deviceId,
    card: draft.card,
    occurredAt: draft.occurredAt.toISOString(),
    receivedAt: identity.receivedAt.toISOString(),
    normalizedAt: identity.normalizedAt.toISOString(),
    normalizationMethod: draft.normalizationMethod,
    confidence: draft.confidence,
    metadata: draft.metadata,
    risk: null,
  };
}

export function eventToRow(event: PaymentEvent, seq: number): NewPaymentEventRow {
  return {
    id: event.id,
    tenant_id: event.tenantId,
    raw_event_id: event.rawEventId,
    seq,
    source: event.source,
    provider: event.provider,
    provider_event_id: event.providerEventId,
    provider_payment_id: event.providerPaymentId,
    type: event.type,
    status: event.status,
    failure_reason: event.failureReason,
    decline_type: event.declineType,
    recommended_action: event.recommendedAction,
    provider_code: event.providerCode,
    provider_message: event.providerMessage,
    amount_minor: event.amountMinor,
    currency: event.currency,
    amount_usd_minor: event.amountUsdMinor,
    merchant: event.merchant === null ? null : JSON.stringify(event.merchant),
    customer_key: event.customerKey,
    email_domain: event.emailDomain,
    ip: event.ip,
    ip_country: event.ipCountry,
    device_id: event.deviceId,
    card: event.card === null ? null : JSON.stringify(event.card),
    occurred_at: event.occurredAt,
    received_at: event.receivedAt,
    normalized_at: event.normalizedAt,
    normalization_method: event.normalizationMethod,
    confidence: event.confidence,
    metadata: JSON.stringify(event.metadata),
    risk: event.risk ? JSON.stringify(event.risk) : null,
  };
}

export function rowToPaymentEvent(row: PaymentEventRow): PaymentEvent {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    source: row.source,
    rawEventId: row.raw_event_id,
    provider: row.provider,
    providerEventId: row.provider_event_id,
    providerPaymentId: row.provider_payment_id,
    type: row.type as PaymentEvent['type'],
    status: row.status as PaymentEvent['status'],
    failureReason: row.failure_reason as PaymentEvent['failureReason'],
    declineType: row.decline_type as PaymentEvent['declineType'],
    recommendedAction: row.recommended_action as PaymentEvent['recommendedAction'],
    providerCode: row.provider_code,
    providerMessage: row.provider_message,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    amountUsdMinor: row.amount_usd_minor === null ? null : Number(row.amount_usd_minor),
    merchant: row.merchant as Merchant | null,
    customerKey: row.customer_key,
    emailDomain: row.email_domain,
    ip: row.ip,
    ipCountry: row.ip_country,
    deviceId: row.device_id,
    card: row.card as Card | null,
    occurredAt: isoTimestamp(row.occurred_at),
    receivedAt: isoTimestamp(row.received_at),
    normalizedAt: isoTimestamp(row.normalized_at),
    normalizationMethod: row.normalization_method as PaymentEvent['normalizationMethod'],
    confidence: Number(row.confidence),
    metadata: (row.metadata as Record<string, unknown> | null) ?? {},
    risk: row.risk as EventRisk | null,
  };
}
