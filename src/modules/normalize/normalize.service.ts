import { noOutbound } from '../../platform/net/outbound-client.js';
import { withSpan } from '../../platform/tracing.js';
import type { NormalizedEventDraft } from './canonical.js';
import type { Connector, NormalizeContext, ResolveContext } from './connector.js';
import type { ConnectorRegistry } from './connector-registry.js';

export type NormalizeResult =
  | { status: 'normalized'; events: NormalizedEventDraft[]; note: null }
  | { status: 'ignored'; events: []; note: string }
  | { status: 'unprocessed'; events: []; note: string };

/** A fallback for payloads no connector claims (the heuristic and AI normalizers plug in here). */
export interface FallbackNormalizer {
  normalize(payload: unknown, ctx: NormalizeContext): Promise<NormalizeResult> | NormalizeResult;
}

export interface Identification {
  provider: string;
  connector: Connector | null;
  providerEventId: string | null;
}

/** Which connector owns the payload: the caller's hint wins, else the most confident detector. */
export function identify(registry: ConnectorRegistry, payload: unknown, hint: string | undefined): Identification {
  const connector = hint ? (registry.get(hint) ?? null) : (registry.detect(payload)?.connector ?? null);
  if (!connector) return { provider: hint ?? 'unknown', connector: null, providerEventId: null };
  return { provider: connector.id, connector, providerEventId: safeEventId(connector, payload) };
}

function safeEventId(connector: Connector, payload: unknown): string | null {
  try {
    return connector.eventId(payload);
  } catch {
    return null;
  }
}

/** Runs the connector (or the fallback); any exception becomes an `unprocessed` result, never a crash. */
export function normalizePayload(
  identification: Identification,
  payload: unknown,
  ctx: NormalizeContext,
  fallback: FallbackNormalizer | null,
  resolveContext: ResolveContext | null = null,
): Promise<NormalizeResult> {
  return withSpan('normalize', { 'paylens.provider': identification.connector?.id ?? 'unknown' }, () =>
    runNormalizer(identification, payload, ctx, fallback, resolveContext),
  );
}

async function runNormalizer(
  identification: Identification,
  payload: unknown,
  ctx: NormalizeContext,
  fallback: FallbackNormalizer | null,
  resolveContext: ResolveContext | null,
): Promise<NormalizeResult> {
  try {
    const { connector } = identification;
    if (!connector) {
      if (fallback) return await fallback.normalize(payload, ctx);
      return { status: 'unprocessed', events: [], note: 'no connector recognised the payload' };
    }
    const resolved = connector.resolve
      ? await connector.resolve(payload, resolveContext ?? { settings: {}, http: noOutbound })
      : payload;
    const outcome = connector.normalize(resolved, ctx);
    if (outcome.kind === 'ignored') return { status: 'ignored', events: [], note: outcome.reason };
    if (outcome.events.length === 0)
      return { status: 'ignored', events: [], note: 'the payload holds no payment event' };
    const invalid = outcome.events.find(
      (e) =>
        !/^[A-Z]{3}$/.test(e.currency) || !Number.isSafeInteger(e.amountMinor) || Number.isNaN(e.occurredAt.getTime()),
    );
    if (invalid) {
      return {
        status: 'unprocessed',
        events: [],
        note: `${identification.provider} payload lacks a valid amount, currency or time`,
      };
    }
    return { status: 'normalized', events: outcome.events, note: null };
  } catch (error) {
    return {
      status: 'unprocessed',
      events: [],
      note: `normalization failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
