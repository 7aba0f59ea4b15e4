import type { z } from 'zod';
import { sha256Hex } from '../../platform/crypto/hashing.js';
import { AppError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { Merchant, NormalizedEventDraft, PaymentEvent } from '../normalize/index.js';
import type { NormalizeContext, ResolveContext } from '../normalize/index.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import { toUsdMinor } from '../normalize/index.js';
import { identify, normalizePayload, type FallbackNormalizer, type NormalizeResult } from '../normalize/index.js';
import { ItemFailure } from '../../platform/db/group-commit.js';
import type { EventWriter } from './event-writer.js';
import type { ingestResponseSchema, RawEventSummary } from './ingest.schemas.js';
import { redactCardData } from './card-data.js';
import { draftToEvent } from './payment-event.mapper.js';
import type { PipelineHooks } from './pipeline-hooks.js';
import type { PaymentEventRepository } from './payment-event.repository.js';
import { parseBody } from './payload-parser.js';
import type { RawEvent, RawEventStatus, IngestSource } from './raw-event.js';
import {
  dedupeKeyOf,
  type NewRawEventRow,
  type QueuedSettlement,
  type RawEventRepository,
} from './raw-event.repository.js';
import type { ResolveContextLookup } from './worker/resolve-context.js';

export interface IngestInput {
  tenantId: string;
  source: IngestSource;
  body: Buffer | string;
  contentType: string | undefined;
  providerHint?: string | undefined;
  endpointId?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Endpoint settings for connectors that resolve references (Mercado Pago fetches the payment). */
  resolveContext?: ResolveContext | undefined;
  /** What the source knows beyond the payload (a data-lake row's columns and hints). */
  sourceContext?: SourceContext | undefined;
  /**
   * `Prefer: respond-async`, or a webhook endpoint set so: store the masked payload as `queued` and
   * answer; the queue worker normalizes and scores it with what the raw event keeps (its endpoint's
   * settings come back through resolveContextFor). A source context is not kept: the data lake
   * does not queue.
   */
  respondAsync?: boolean | undefined;
}

/**
 * A source's own knowledge of an event: which merchant it belongs to and the source's id for it
 * (kept as `metadata.transactionalId`, a filter of the events list), and a provider the payload is
 * likely from. The provider only breaks ties: it is taken when that connector recognises the payload
 * at all, so a row that names a provider but is in another shape still reaches the heuristics.
 */
export interface SourceContext {
  merchant?: Partial<Merchant> | undefined;
  transactionalId?: string | undefined;
  likelyProvider?: string | undefined;
}

/** The answer to one ingested event: its wire shape, and whether it repeats an earlier delivery. */
export type IngestResult = z.infer<typeof ingestResponseSchema> & { replayed: boolean };

/** What a multi-record body shares across its records. */
export type ManyInput = Omit<IngestInput, 'body' | 'idempotencyKey'>;

export interface RecordInput {
  record: unknown;
  /** The record's own text, stored as its raw event. */
  text: string;
  idempotencyKey?: string | undefined;
}

export type RecordOutcome = { result: IngestResult } | { error: unknown };

/** A normalization's result, or a record accepted for the queue worker (not normalized yet). */
type PrepareOutcome = NormalizeResult | { status: 'queued'; events: []; note: null };

const QUEUED: PrepareOutcome = { status: 'queued', events: [], note: null };

/** What preparing a record decided before its raw row is written out. */
interface Prepared {
  identification: ReturnType<typeof identify>;
  result: PrepareOutcome;
  events: PaymentEvent[];
  normalizedAt: Date | null;
}

/** What a queue pass decided for one queued raw event: its new state and its events. */
export interface QueuedOutcome {
  raw: RawEvent;
  provider: string;
  changes: QueuedSettlement;
  events: PaymentEvent[];
  drafts: readonly NormalizedEventDraft[];
}

interface PreparedRecord {
  raw: NewRawEventRow & {
    attempts: number;
    next_attempt_at: Date | null;
    endpoint_id: string | null;
    received_at: Date;
    processed_at: Date | null;
  };
  events: PaymentEvent[];
  result: PrepareOutcome;
  provider: string;
  dedupeId: string;
}

interface NormalizeTarget {
  tenantId: string;
  rawId: string;
  source: string;
  receivedAt: Date;
  resolveContext?: ResolveContext | undefined;
  sourceContext?: SourceContext | undefined;
}

export interface ReprocessPolicy {
  maxAttempts: number;
  /** When the next attempt is due after `attempts` failed ones (backoff with jitter). */
  nextAttemptAt(attempts: number): Date;
  /** An operator's request (replay), recorded with the outcome. */
  action?: { name: string; keyId: string | null; at: Date };
  /** The webhook endpoint's settings, for connectors that fetch the payment (as at intake). */
  resolveContext?: ResolveContext | undefined;
}

export interface ReprocessResult {
  /** False when another worker or replay changed the event first; the result is then its current state. */
  applied: boolean;
  rawEvent: RawEvent;
  events: PaymentEvent[];
}

const NOT_READ_BACK = 'The original event could not be read back; retry';

/** The stored text of a raw event back to the payload its connector reads (the stored copy is already masked). */
function parseStored(raw: RawEvent): { payload: unknown } | { error: string } {
  try {
    return { payload: parseBody(raw.payload, raw.contentType).records[0] };
  } catch (error) {
    try {
      return { payload: JSON.parse(raw.payload) as unknown };
    } catch {
      return {
        error: `the stored payload cannot be parsed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}

export interface IntakeDeps {
  registry: ConnectorRegistry;
  writer: EventWriter;
  rawEvents: RawEventRepository;
  paymentEvents: PaymentEventRepository;
  metrics: Metrics;
  hooks: PipelineHooks;
  customerKey: NormalizeContext['customerKey'];
  fallback: FallbackNormalizer | null;
  /** First retry delay for unprocessed events (the worker backs off from there). */
  retryDelayMs: number;
  /** Told after records were queued durably (Prefer: respond-async), so a worker in this process starts on them. */
  onQueued?: () => void;
  clock?: () => Date;
}

/** What a summary reads of a raw event: a stored one, or one just prepared (no RawEvent is built for it). */
export function summarizeRawEvent(
  raw: Pick<RawEvent, 'id' | 'status' | 'provider' | 'providerEventId' | 'receivedAt' | 'error'>,
): RawEventSummary {
  const problem = raw.status === 'unprocessed' || raw.status === 'dead';
  return {
    id: raw.id,
    status: raw.status,
    provider: raw.provider,
    providerEventId: raw.providerEventId,
    receivedAt: raw.receivedAt.toISOString(),
    error: problem ? raw.error : null,
    note: problem ? null : raw.error,
  };
}

/**
 * The intake path of one payload: parse → mask card numbers → identify the provider → normalize →
 * store raw and normalized events durably in one transaction → answer. A payload we cannot
 * normalize is still stored (unprocessed) so nothing is lost.
 */
export class IntakeService {
  private readonly clock: () => Date;

  constructor(private readonly deps: IntakeDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  async ingest(input: IngestInput): Promise<IngestResult> {
    const text = typeof input.body === 'string' ? input.body : input.body.toString('utf8');
    this.deps.registry.checkHint(input.providerHint);
    return this.ingestRecord(input, parseBody(text, input.contentType).records[0], text);
  }

  /**
   * One record already parsed out of a multi-record body (a batch item, NDJSON line, CSV row, XML
   * list item): `text` is that record's own text, stored as its raw event. The hint is checked by
   * the caller once per body.
   */
  async ingestRecord(input: IngestInput, record: unknown, text: string): Promise<IngestResult> {
    const { payload, storedText } = redactCardData(record, text, input.contentType);
    return this.ingestPayload(input, payload, storedText, input.providerHint?.toLowerCase());
  }

  /**
   * Many records of one body at once (batch, multi-record formats, imports): each is prepared like a
   * single event, then the whole set is scored in one pass and written in one transaction, and
   * duplicates are read back with two queries. Per record: its result, or the error that kept it out.
   */
  ingestMany(input: ManyInput, records: readonly RecordInput[]): Promise<RecordOutcome[]> {
    const hint = input.providerHint?.toLowerCase();
    /** Each record masked and prepared by `prepare`; a record that throws fails alone. */
    const each = <T>(prepare: (payload: unknown, storedText: string, idempotencyKey: string | undefined) => T) =>
      records.map((r): T | { error: unknown } => {
        try {
          const { payload, storedText } = redactCardData(r.record, r.text, input.contentType);
          return prepare(payload, storedText, r.idempotencyKey);
        } catch (error) {
          return { error };
        }
      });
    // Queued records need no awaiting: prepared synchronously, without a promise and a frame per record.
    // Not an async function, so the parsed records are not held while their rows are written: a
    // batch in flight kept them alive through young-generation collections, which copied them.
    if (input.respondAsync)
      return this.storePrepared(
        input,
        each((payload, storedText, key) => this.prepareQueued(input, key, payload, storedText, hint)),
      );
    return Promise.all(
      each((payload, storedText, key) =>
        this.prepare(input, key, payload, storedText, hint).catch((error: unknown) => ({ error })),
      ),
    ).then((prepared) => this.storePrepared(input, prepared));
  }

  private async storePrepared(
    input: ManyInput,
    prepared: (PreparedRecord | { error: unknown })[],
  ): Promise<RecordOutcome[]> {
    const ready = prepared.filter((p): p is PreparedRecord => !('error' in p));
    await this.deps.hooks.beforeStore(ready.flatMap((p) => p.events));
    const results = await this.deps.writer.storeMany(ready.map((p) => ({ raw: p.raw, events: p.events })));
    const refused = new Map<PreparedRecord, unknown>();
    const stored = new Set<PreparedRecord>();
    const duplicates: PreparedRecord[] = [];
    ready.forEach((p, i) => {
      const result = results[i]!;
      if (result instanceof ItemFailure) refused.set(p, result.cause);
      else if (result.outcome === 'stored') stored.add(p);
      else duplicates.push(p);
    });
    this.deps.hooks.afterStore([...stored].flatMap((p) => p.events));
    for (const p of stored) this.countStored(input.source, p);
    if (input.respondAsync && stored.size > 0) this.deps.onQueued?.();
    const replays = await this.replayMany(input.tenantId, duplicates);
    return prepared.map((p): RecordOutcome => {
      if ('error' in p) return { error: p.error };
      if (refused.has(p)) return { error: refused.get(p) };
      if (stored.has(p)) return { result: this.storedResult(p) };
      const replay = replays.get(p);
      return replay ? { result: replay } : { error: new AppError('unavailable', NOT_READ_BACK) };
    });
  }

  private async ingestPayload(
    input: IngestInput,
    payload: unknown,
    storedText: string,
    hint: string | undefined,
  ): Promise<IngestResult> {
    const prepared = await this.prepare(input, input.idempotencyKey, payload, storedText, hint);
    await this.deps.hooks.beforeStore(prepared.events);
    const { outcome } = await this.deps.writer.store({ raw: prepared.raw, events: prepared.events });
    if (outcome === 'duplicate') {
      const replay = (await this.replayMany(input.tenantId, [prepared])).get(prepared);
      if (!replay) throw new AppError('unavailable', NOT_READ_BACK);
      return replay;
    }
    this.deps.hooks.afterStore(prepared.events);
    this.countStored(input.source, prepared);
    if (input.respondAsync) this.deps.onQueued?.();
    return this.storedResult(prepared);
  }

  /**
   * Normalizes one masked payload into the raw row and events to store (nothing is written yet).
   * The idempotency key is the record's own, beside what its body shares, so no per-record copy of
   * the input is made.
   */
  private async prepare(
    input: ManyInput,
    idempotencyKey: string | undefined,
    payload: unknown,
    storedText: string,
    hint: string | undefined,
  ): Promise<PreparedRecord> {
    if (input.respondAsync) return this.prepareQueued(input, idempotencyKey, payload, storedText, hint);
    const receivedAt = this.clock();
    const rawId = newId('raw', receivedAt.getTime());
    const normalized = await this.normalizeToEvents(payload, hint, {
      tenantId: input.tenantId,
      rawId,
      source: input.source,
      receivedAt,
      resolveContext: input.resolveContext,
      sourceContext: input.sourceContext,
    });
    return this.preparedRecord(input, idempotencyKey, storedText, receivedAt, rawId, normalized);
  }

  /** A masked payload as a queued raw row: identified for its dedupe key, normalized later by the queue worker. */
  private prepareQueued(
    input: ManyInput,
    idempotencyKey: string | undefined,
    payload: unknown,
    storedText: string,
    hint: string | undefined,
  ): PreparedRecord {
    const receivedAt = this.clock();
    return this.preparedRecord(input, idempotencyKey, storedText, receivedAt, newId('raw', receivedAt.getTime()), {
      identification: this.identifyPayload(payload, hint, input.sourceContext),
      result: QUEUED,
      events: [],
      normalizedAt: null,
    });
  }

  private preparedRecord(
    input: ManyInput,
    idempotencyKey: string | undefined,
    storedText: string,
    receivedAt: Date,
    rawId: string,
    { identification, result, events, normalizedAt }: Prepared,
  ): PreparedRecord {
    const payloadSha256 = sha256Hex(storedText);
    const dedupeId = idempotencyKey
      ? `idem:${idempotencyKey}`
      : (identification.providerEventId ?? `sha256:${payloadSha256}`);
    const raw = {
      id: rawId,
      tenant_id: input.tenantId,
      source: input.source,
      provider: identification.provider,
      provider_event_id: dedupeId,
      content_type: input.contentType ?? 'application/json',
      payload: storedText,
      payload_sha256: payloadSha256,
      status: result.status,
      error: result.note,
      attempts: result.status === 'unprocessed' ? 1 : 0,
      next_attempt_at:
        result.status === 'unprocessed'
          ? new Date(receivedAt.getTime() + this.deps.retryDelayMs)
          : result.status === 'queued'
            ? receivedAt
            : null,
      endpoint_id: input.endpointId ?? null,
      received_at: receivedAt,
      processed_at: result.status === 'unprocessed' ? null : normalizedAt,
    };
    return { raw, events, result, provider: identification.provider, dedupeId };
  }

  /** A queued record is counted when the queue worker settles it, under the status it then gets. */
  private countStored(source: IngestSource, { provider, result }: PreparedRecord): void {
    if (result.status === 'queued') return;
    this.deps.metrics.eventsIngested.inc({ provider, source, status: result.status });
    this.countUnmapped(provider, result.events);
  }

  private countUnmapped(provider: string, drafts: readonly NormalizedEventDraft[]): void {
    for (const draft of drafts) {
      if (draft.unmappedCode) this.deps.metrics.unmappedCodes.inc({ provider, code: draft.unmappedCode });
    }
  }

  private storedResult({ raw, events, provider, dedupeId, result }: PreparedRecord): IngestResult {
    return {
      replayed: false,
      rawEvent: summarizeRawEvent({
        id: raw.id,
        status: result.status,
        provider,
        providerEventId: dedupeId,
        receivedAt: raw.received_at,
        error: result.note,
      }),
      events,
    };
  }

  private identifyPayload(payload: unknown, hint: string | undefined, sourceContext: SourceContext | undefined) {
    const likely = sourceContext?.likelyProvider;
    return identify(
      this.deps.registry,
      payload,
      hint ?? (likely !== undefined && this.deps.registry.recognises(likely, payload) ? likely : undefined),
    );
  }

  /**
   * identify → normalize → canonical events: the one normalization path of the intake, the queue
   * worker, and retries/replays. Events are stamped when their normalization ends.
   */
  private async normalizeToEvents(payload: unknown, hint: string | undefined, target: NormalizeTarget) {
    const identification = this.identifyPayload(payload, hint, target.sourceContext);
    const result: NormalizeResult = await normalizePayload(
      identification,
      payload,
      { customerKey: this.deps.customerKey, now: target.receivedAt },
      this.deps.fallback,
      target.resolveContext ?? null,
    );
    const normalizedAt = this.clock();
    const events = result.events.map((draft) =>
      draftToEvent(draft, {
        id: newId('evt', target.receivedAt.getTime()),
        tenantId: target.tenantId,
        rawEventId: target.rawId,
        source: target.source,
        provider: identification.provider,
        receivedAt: target.receivedAt,
        normalizedAt,
        amountUsdMinor: toUsdMinor(draft.amountMinor, draft.currency, draft.occurredAt),
      }),
    );
    if (target.sourceContext) for (const event of events) withSourceContext(event, target.sourceContext);
    return { identification, result, events, normalizedAt };
  }

  /** A stored raw event's payload through normalization (queue worker, retries, replays); its provider is the hint. */
  private async normalizeStored(raw: RawEvent, resolveContext: ResolveContext | undefined) {
    const hint = raw.provider && this.deps.registry.get(raw.provider) ? raw.provider : undefined;
    const parsed = parseStored(raw);
    if ('error' in parsed)
      return {
        identification: null,
        result: { status: 'unprocessed' as const, events: [], note: parsed.error },
        events: [],
        normalizedAt: this.clock(),
      };
    return this.normalizeToEvents(parsed.payload, hint, {
      tenantId: raw.tenantId,
      rawId: raw.id,
      source: raw.source,
      receivedAt: raw.receivedAt,
      resolveContext,
    });
  }

  /**
   * Runs a stored raw event through normalization again (retry worker, dead-letter replay): the
   * new status and its events are written in one transaction, guarded so that concurrent attempts on
   * the same event write its events once.
   */
  async reprocess(raw: RawEvent, policy: ReprocessPolicy): Promise<ReprocessResult> {
    const attempts = raw.attempts + 1;
    const { identification, result, events, normalizedAt } = await this.normalizeStored(raw, policy.resolveContext);
    const failed = result.status === 'unprocessed';
    const status: RawEventStatus = failed
      ? raw.status === 'dead' || attempts >= policy.maxAttempts
        ? 'dead'
        : 'unprocessed'
      : result.status;
    await this.deps.hooks.beforeStore(events);
    const applied = await this.deps.writer.commitRawOutcome({
      tenantId: raw.tenantId,
      rawEventId: raw.id,
      guard: { statuses: [raw.status], attempts: raw.attempts },
      changes: {
        status,
        error: result.note,
        attempts,
        next_attempt_at: status === 'unprocessed' ? policy.nextAttemptAt(attempts) : null,
        processed_at: failed ? null : normalizedAt,
      },
      events,
      action: policy.action,
    });
    const provider = identification?.provider ?? raw.provider ?? 'unknown';
    if (applied) {
      // Not counted again in eventsIngested: the intake counted this raw event when it arrived.
      this.deps.hooks.afterStore(events);
      this.countUnmapped(provider, result.events);
    }
    const current = await this.deps.rawEvents.findById(raw.tenantId, raw.id);
    if (!current) throw new AppError('not_found', `No raw event ${raw.id}`);
    return { applied, rawEvent: current, events: await this.deps.paymentEvents.findByRawEvent(raw.tenantId, raw.id) };
  }

  /**
   * One pass of the queue worker: claims up to `limit` due queued raw events, oldest first, for
   * `leaseMs`; normalizes and scores them; writes them with their new state in one transaction
   * (EventWriter.settleQueued). One that cannot be normalized becomes `unprocessed`, for the retry
   * worker. Returns how many it claimed.
   */
  async drainQueue(limit: number, leaseMs: number, resolveContextFor?: ResolveContextLookup): Promise<number> {
    const now = this.clock();
    const claimed = await this.deps.rawEvents.claimQueued(now, new Date(now.getTime() + leaseMs), limit);
    if (claimed.length === 0) return 0;
    const outcomes = await Promise.all(claimed.map((raw) => this.settleQueued(raw, resolveContextFor)));
    await this.deps.hooks.beforeStore(outcomes.flatMap((o) => o.events));
    const settled = await this.deps.writer.settleQueued(outcomes);
    this.deps.hooks.afterStore(settled.flatMap((o) => o.events));
    for (const o of settled) {
      this.deps.metrics.eventsIngested.inc({ provider: o.provider, source: o.raw.source, status: o.changes.status });
      this.countUnmapped(o.provider, o.drafts);
    }
    return claimed.length;
  }

  private async settleQueued(raw: RawEvent, resolveContextFor?: ResolveContextLookup): Promise<QueuedOutcome> {
    const { identification, result, events, normalizedAt } = await this.normalizeStored(
      raw,
      await resolveContextFor?.(raw),
    );
    const failed = result.status === 'unprocessed';
    return {
      raw,
      provider: identification?.provider ?? raw.provider ?? 'unknown',
      changes: {
        status: result.status,
        error: result.note,
        attempts: failed ? 1 : 0,
        next_attempt_at: failed ? new Date(this.clock().getTime() + this.deps.retryDelayMs) : null,
        processed_at: failed ? null : normalizedAt,
      },
      events,
      drafts: result.events,
    };
  }

  /** The stored originals of many duplicates: two queries whatever their number. */
  private async replayMany(tenantId: string, duplicates: PreparedRecord[]): Promise<Map<PreparedRecord, IngestResult>> {
    const replays = new Map<PreparedRecord, IngestResult>();
    if (duplicates.length === 0) return replays;
    for (const d of duplicates) this.deps.metrics.duplicates.inc({ provider: d.provider });
    const originals = await this.deps.rawEvents.findByDedupeKeys(
      tenantId,
      duplicates.map((d) => ({ provider: d.provider, providerEventId: d.dedupeId })),
    );
    const events = await this.deps.paymentEvents.findByRawEvents(
      tenantId,
      [...originals.values()].map((o) => o.id),
    );
    for (const d of duplicates) {
      const original = originals.get(dedupeKeyOf(d.provider, d.dedupeId));
      if (original)
        replays.set(d, {
          replayed: true,
          rawEvent: summarizeRawEvent(original),
          events: events.get(original.id) ?? [],
        });
    }
    return replays;
  }
}

/** The source's merchant id wins over the provider account a connector read; its name and country fill gaps. */
function withSourceContext(event: PaymentEvent, { merchant, transactionalId }: SourceContext): void {
  if (merchant) {
    const own = event.merchant;
    event.merchant = {
      id: merchant.id ?? own?.id ?? null,
      name: own?.name ?? merchant.name ?? null,
      country: own?.country ?? merchant.country ?? null,
    };
  }
  if (transactionalId !== undefined) event.metadata = { ...event.metadata, transactionalId };
}
