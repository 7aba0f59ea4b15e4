import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import type { DeclineType, FailureReason, NormalizedEventDraft, RecommendedAction } from './canonical.js';
import { str } from './payload-access.js';

export interface DeclineMapping {
  reason: FailureReason;
  declineType: DeclineType;
  action: RecommendedAction;
}

/** One row of a connector's code table (the codes files import it as `m` to keep rows short). */
export function declineMapping(
  reason: FailureReason,
  declineType: DeclineType,
  action: RecommendedAction,
): DeclineMapping {
  return { reason, declineType, action };
}

/** What a connector needs from outside; pure functions only, so connectors stay testable. */
export interface NormalizeContext {
  /** Salted, stable hash of an email or customer id; never returns the input. */
  customerKey(kind: 'email' | 'id', value: string): string;
  now: Date;
}

export type NormalizeOutcome = { kind: 'events'; events: NormalizedEventDraft[] } | { kind: 'ignored'; reason: string };

export interface VerifyInput {
  rawBody: Buffer;
  /** Lower-cased header names, as Node delivers them. */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
  secret: string;
  /** The webhook endpoint's provider settings (e.g. PayPal webhook id, certificate source). */
  settings: Record<string, unknown>;
  now: Date;
  /** For schemes that call the provider (PayPal's certificate download and postback). */
  http: OutboundHttp;
}

/** What resolving a reference-only notification may use: the endpoint's settings and an HTTP client. */
export interface ResolveContext {
  settings: Record<string, unknown>;
  http: OutboundHttp;
}

/**
 * What a valid signature vouches for beyond the body, for schemes whose signature does not cover it
 * all (Mercado Pago, PayPal): the provider's id of this transmission and until when the signature is
 * fresh. The id is remembered until then, so a captured delivery is processed once at most.
 */
export interface SignedDelivery {
  id: string;
  freshUntil: Date;
}

export type VerifyResult = { ok: true; delivery?: SignedDelivery } | { ok: false; reason: string };

export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;
/** Long enough for a provider whose retries keep the first signature time (PayPal retries for 3 days). */
export const MAX_SIGNATURE_TOLERANCE_SECONDS = 3 * 86_400;
export const MAX_DELIVERY_ID_LENGTH = 200;

/** The endpoint's replay window: its `signatureToleranceSeconds` setting, 300 s by default. */
export function signatureTolerance(settings: Record<string, unknown>): number {
  const value = settings.signatureToleranceSeconds;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_SIGNATURE_TOLERANCE_SECONDS
    ? value
    : DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
}

/** Why a signed time is too old or too far in the future to accept, or null when it is within the window. */
export function outsideWindow(signedAtMs: number, now: Date, toleranceSeconds: number, what: string): string | null {
  if (!Number.isFinite(signedAtMs)) return `${what} is not a time`;
  const skewMs = now.getTime() - signedAtMs;
  if (skewMs > toleranceSeconds * 1000) return `${what} is older than the ${toleranceSeconds} s tolerance`;
  if (-skewMs > toleranceSeconds * 1000) return `${what} is more than ${toleranceSeconds} s in the future`;
  return null;
}

/** The first value of a request header; an empty value counts as absent. */
export function headerValue(headers: VerifyInput['headers'], name: string): string | null {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && value.length > 0 ? value : null;
}

/** The trimmed `key=value` pairs of a comma-separated signature header (Stripe-Signature, x-signature). */
export function signatureHeaderParts(header: string): [key: string, value: string][] {
  const parts: [string, string][] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq >= 0) parts.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return parts;
}

/** The dedupe id of providers whose envelope names itself in a top-level `id` (Stripe, PayPal, Checkout.com). */
export function envelopeEventId(payload: unknown): string | null {
  return str(payload, 'id');
}

export interface Connector {
  id: string;
  displayName: string;
  /** 0–1: how sure the connector is that this parsed payload is one of its own. */
  detect(payload: unknown): number;
  /** The provider's event id used for dedupe, or null when the payload carries none. */
  eventId(payload: unknown): string | null;
  normalize(payload: unknown, ctx: NormalizeContext): NormalizeOutcome;
  /** Verifies a webhook delivery over the raw bytes. */
  verify?(input: VerifyInput): VerifyResult | Promise<VerifyResult>;
  /**
   * Notifications that carry only a reference (Mercado Pago's `data.id`) are turned into the full
   * resource before `normalize`; a failure leaves the raw event unprocessed for the retry worker.
   */
  resolve?(payload: unknown, ctx: ResolveContext): Promise<unknown>;
  /** The URLs the connector would call with these endpoint settings, checked against the outbound policy when they are saved. */
  outboundUrls?(settings: Record<string, unknown>): { field: string; url: string }[];
  /** The body a provider expects in the webhook answer (Adyen wants `[accepted]`); JSON otherwise. */
  webhookAck?: { contentType: string; body: string };
  /** The provider's complete code → canonical reason table. */
  codes: Readonly<Record<string, DeclineMapping>>;
  /** The shape of the provider's payment ids, for sources that name a payment but not its provider. */
  paymentIdPattern?: RegExp;
}

export class NormalizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NormalizationError';
  }
}

export const unknownDecline: DeclineMapping = { reason: 'unknown', declineType: 'soft', action: 'review_manually' };

/** Looks a code up in a connector's table; a missing code is `unknown` and reported, never guessed. */
export function mapDeclineCode(
  table: Readonly<Record<string, DeclineMapping>>,
  code: string | null | undefined,
): { mapping: DeclineMapping; unmapped: boolean } {
  if (code === null || code === undefined || code === '') return { mapping: unknownDecline, unmapped: false };
  // Own keys only: a code spelled like an Object.prototype member (`constructor`) is unmapped, not a function.
  const own = (key: string) => (Object.hasOwn(table, key) ? table[key] : undefined);
  const mapping = own(code) ?? own(code.toLowerCase());
  return mapping ? { mapping, unmapped: false } : { mapping: unknownDecline, unmapped: true };
}
