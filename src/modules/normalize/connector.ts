import type { DeclineType, FailureReason, NormalizedEventDraft, RecommendedAction } from './canonical.js';
import { str } from './payload-access.js';

export interface DeclineMapping {
  reason: FailureReason;
  declineType: DeclineType;
  action: RecommendedAction;
}

/** One row of a connector's code table (the codes files import it as `m` to keep rows short). */
export function declineMapping(reason: FailureReason, declineType: DeclineType, action: RecommendedAction): DeclineMapping {
  return { reason, declineType, action };
}

/** What a connector needs from outside; pure functions only, so connectors stay testable. */
export interface NormalizeContext {
  /** Salted, stable hash of an email or customer id; never returns the input. */
  customerKey(kind: 'email' | 'id', value: string): string;
  now: Date;
}

export type NormalizeOutcome =
  | { kind: 'events'; events: NormalizedEventDraft[] }
  | { kind: 'ignored'; reason: string };

export interface VerifyInput {
  rawBody: Buffer;
  /** Lower-cased header names, as Node delivers them. */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
  secret: string;
  /** The webhook endpoint's provider settings (e.g. PayPal webhook id, certificate source). */
  settings: Record<string, unknown>;
  now: Date;
}

/** What resolving a reference-only notification may use: the endpoint's settings and an HTTP client. */
export interface ResolveContext {
  settings: Record<string, unknown>;
  fetch: typeof fetch;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

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
  /** The body a provider expects in the webhook answer (Adyen wants `[accepted]`); JSON otherwise. */
  webhookAck?: { contentType: string; body: string };
  /** The provider's complete code → canonical reason table. */
  codes: Readonly<Record<string, DeclineMapping>>;
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
  const mapping = table[code] ?? table[code.toLowerCase()];
  return mapping ? { mapping, unmapped: false } : { mapping: unknownDecline, unmapped: true };
}
