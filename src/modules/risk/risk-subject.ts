import { z } from 'zod';
import type { PaymentEvent } from '../normalize/index.js';
import { toUsdMinor } from '../normalize/index.js';
import { emailSignals, type EmailSignals } from './email-signals.js';
import { listTypes, type ListMatcher, type ListType } from './lists/list.repository.js';
import type { ListHit } from './rules/rules.js';
import type { VelocityEvent } from './velocity/velocity-store.js';

const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2 country code')
  .transform((c) => c.toUpperCase());

export const scoreRequestSchema = z.object({
  transactionId: z.string().min(1).max(128),
  amount: z.object({
    minor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/)
      .transform((c) => c.toUpperCase()),
  }),
  customer: z.object({ id: z.string().min(1).max(256).optional(), email: z.email().max(320).optional() }).default({}),
  card: z
    .object({
      bin: z
        .string()
        .regex(/^\d{6,8}$/)
        .optional(),
      last4: z
        .string()
        .regex(/^\d{4}$/)
        .optional(),
      country: country.optional(),
      fingerprint: z.string().min(1).max(128).optional(),
    })
    .default({}),
  ip: z.string().min(2).max(64).optional(),
  ipCountry: country.optional(),
  deviceId: z.string().min(1).max(256).optional(),
  merchant: z.object({ id: z.string().min(1).max(128).optional(), country: country.optional() }).default({}),
  occurredAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Event time; defaults to now. Velocity windows use it.'),
  outcome: z
    .enum(['approved', 'declined'])
    .optional()
    .describe("The issuer's answer, when scoring after authorization; a decline feeds the card-testing counters"),
});
export type ScoreRequest = z.infer<typeof scoreRequestSchema>;

/** Where a scored transaction came from: the score API, an ingested event, or `paylens simulate`. */
export const riskSources = ['api', 'ingest', 'simulate'] as const;
export type RiskSource = (typeof riskSources)[number];

/** One transaction as risk sees it, from either the score API or an ingested event; identities keyed. */
export interface RiskSubject {
  tenantId: string;
  transactionId: string;
  eventId: string | null;
  /**
   * What makes one attempt unique in the velocity history. For ingested events it is the provider's
   * event id, so a redelivered webhook (scored again before dedupe finds it) does not count twice.
   */
  attemptKey: string | null;
  source: RiskSource;
  occurredAt: Date;
  amountUsdMinor: number;
  /** The key velocity links the customer by (email first, then customer id, as the connectors do). */
  customerKey: string | null;
  /** Every key this customer is known by, for list matching. */
  customerKeys: string[];
  /** The customer id's key, when there is one: the customer is as old as the older of it and the link key. */
  accountKey: string | null;
  /** Worked out from the address as it arrives; the address itself is never kept. */
  email: EmailSignals;
  cardBin: string | null;
  cardLast4: string | null;
  cardKey: string | null;
  cardFingerprint: string | null;
  cardCountry: string | null;
  ip: string | null;
  ipCountry: string | null;
  deviceId: string | null;
  merchantId: string | null;
  declined: boolean;
}

export type CustomerKeyHasher = (kind: 'email' | 'id', value: string) => string;

/** A card is known by its fingerprint when the provider gives one, else by BIN + last 4. */
function cardKeyOf(
  fingerprint: string | null | undefined,
  bin: string | null | undefined,
  last4: string | null | undefined,
): string | null {
  if (fingerprint) return `fp:${fingerprint}`;
  if (bin && last4) return `bl:${bin}:${last4}`;
  return null;
}

export function subjectFromRequest(
  tenantId: string,
  req: ScoreRequest,
  hash: CustomerKeyHasher,
  now: Date,
  source: Exclude<RiskSource, 'ingest'> = 'api',
): RiskSubject {
  const occurredAt = req.occurredAt ? new Date(req.occurredAt) : now;
  const emailKey = req.customer.email ? hash('email', req.customer.email) : null;
  const idKey = req.customer.id ? hash('id', req.customer.id) : null;
  return {
    tenantId,
    transactionId: req.transactionId,
    eventId: null,
    attemptKey: null,
    source,
    occurredAt,
    amountUsdMinor: toUsdMinor(req.amount.minor, req.amount.currency, occurredAt) ?? 0,
    customerKey: emailKey ?? idKey,
    customerKeys: [emailKey, idKey].filter((k): k is string => k !== null),
    accountKey: idKey,
    email: emailSignals(req.customer.email ?? null, null),
    cardBin: req.card.bin ?? null,
    cardLast4: req.card.last4 ?? null,
    cardKey: cardKeyOf(req.card.fingerprint, req.card.bin, req.card.last4),
    cardFingerprint: req.card.fingerprint ?? null,
    cardCountry: req.card.country ?? null,
    ip: req.ip ?? null,
    ipCountry: req.ipCountry ?? null,
    deviceId: req.deviceId ?? null,
    merchantId: req.merchant.id ?? null,
    declined: req.outcome === 'declined',
  };
}

/** Only the first step of a payment is scored: later steps (capture, refund…) are not new risk. */
export function isScorable(event: PaymentEvent): boolean {
  return event.type === 'authorization' || event.type === 'sale';
}

export function subjectFromEvent(event: PaymentEvent): RiskSubject {
  const fingerprint = typeof event.metadata.card_fingerprint === 'string' ? event.metadata.card_fingerprint : null;
  return {
    tenantId: event.tenantId,
    transactionId: event.providerPaymentId ?? event.id,
    eventId: event.id,
    attemptKey: event.providerEventId ? `${event.provider}:${event.providerEventId}` : event.id,
    source: 'ingest',
    occurredAt: new Date(event.occurredAt),
    amountUsdMinor: event.amountUsdMinor ?? 0,
    customerKey: event.customerKey,
    customerKeys: event.customerKey ? [event.customerKey] : [],
    accountKey: null,
    email: emailSignals(null, event.emailDomain),
    cardBin: event.card?.bin ?? null,
    cardLast4: event.card?.last4 ?? null,
    cardKey: cardKeyOf(fingerprint, event.card?.bin, event.card?.last4),
    cardFingerprint: fingerprint,
    cardCountry: event.card?.country ?? null,
    ip: event.ip,
    ipCountry: event.ipCountry,
    deviceId: event.deviceId,
    merchantId: event.merchant?.id ?? null,
    declined: event.status === 'declined' || event.status === 'failed',
  };
}

export function velocityEventOf(s: RiskSubject): VelocityEvent {
  return {
    tenantId: s.tenantId,
    // Each ingested attempt counts, even several on one payment (retries on a payment intent are card testing too).
    transactionId: s.attemptKey ?? s.eventId ?? s.transactionId,
    at: s.occurredAt.getTime(),
    amountUsdMinor: s.amountUsdMinor,
    declined: s.declined,
    customer: s.customerKey,
    account: s.accountKey,
    card: s.cardKey,
    bin: s.cardBin,
    last4: s.cardLast4,
    device: s.deviceId,
    ip: s.ip,
    merchant: s.merchantId,
  };
}

/** The key a list value matches on: emails and customer ids are hashed exactly as payments are. */
export function listMatchKey(type: ListType, value: string, hash: CustomerKeyHasher): string {
  switch (type) {
    case 'email':
      return hash('email', value);
    case 'customer':
      return hash('id', value);
    case 'ip':
      return value.trim().toLowerCase();
    default:
      return value.trim();
  }
}

function subjectKeys(s: RiskSubject, type: ListType): string[] {
  switch (type) {
    case 'email':
    case 'customer':
      return s.customerKeys;
    case 'ip':
      return s.ip ? [s.ip.trim().toLowerCase()] : [];
    case 'card_bin':
      return s.cardBin ? [s.cardBin] : [];
    case 'card_fingerprint':
      return s.cardFingerprint ? [s.cardFingerprint] : [];
    case 'device':
      return s.deviceId ? [s.deviceId] : [];
  }
}

export type ListIndex = Map<string, ListMatcher[]>;

/** Entries by (type, key), so matching costs a few map look-ups however long the lists grow. */
export function buildListIndex(matchers: ListMatcher[]): ListIndex {
  const index: ListIndex = new Map();
  for (const m of matchers) {
    const key = `${m.type}\u0000${m.matchKey}`;
    const bucket = index.get(key);
    if (bucket) bucket.push(m);
    else index.set(key, [m]);
  }
  return index;
}

/** Unexpired list entries this transaction matches, judged at the time it is scored. */
export function listHits(s: RiskSubject, index: ListIndex, now: number): ListHit[] {
  const hits: ListHit[] = [];
  if (index.size === 0) return hits;
  for (const type of listTypes) {
    for (const key of subjectKeys(s, type)) {
      for (const m of index.get(`${type}\u0000${key}`) ?? []) {
        if (m.expiresAt === null || m.expiresAt > now) hits.push({ type: m.type, action: m.action, reason: m.reason });
      }
    }
  }
  return hits;
}
