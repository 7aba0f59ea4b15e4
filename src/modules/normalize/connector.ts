import type { DeclineType, FailureReason, NormalizedEventDraft, RecommendedAction } from './canonical.js';

export interface DeclineMapping {
  reason: FailureReason;
  declineType: DeclineType;
  action: RecommendedAction;
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
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
  secret: string;
  now: Date;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

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
