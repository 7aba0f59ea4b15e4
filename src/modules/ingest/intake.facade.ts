import { AppError } from '../../platform/errors/app-error.js';
import { problem, type Problem } from '../../platform/errors/problem.js';
import { isDependencyUnavailable } from '../../platform/resilience/unavailable.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import type { BatchResponse } from './ingest.schemas.js';
import type { IngestInput, IngestResult, IntakeService, RecordOutcome } from './intake.service.js';
import { formatContentTypes, parseAs, type ParsedBody, type PayloadFormat } from './payload-parser.js';

/** Above this a batch is refused whole: the answer lists every item and must stay bounded. */
export const MAX_BATCH_ITEMS = 10_000;

/**
 * Records per intake call: one transaction each. Large enough that statements and commits are paid
 * per thousand events, small enough that one bad row's fallback (each alone) stays cheap.
 */
export const CHUNK_RECORDS = 1000;
/** Chunks in flight: the next chunk is normalized and scored while the previous one is written. */
const CHUNKS_IN_FLIGHT = 2;

export type BatchResult = BatchResponse;
export type BatchItemResult = BatchResult['items'][number];

/**
 * What every record of one body shares. A body of one event is stored under the type it was sent
 * with; the records of a list under their format's type.
 */
export type BodyInput = Omit<IngestInput, 'body' | 'contentType'> & { contentType?: string | undefined };

export interface ListOptions {
  /** Refuse a body with more records than this, whole (the HTTP routes). */
  maxItems?: number;
  /** The idempotency key of record `index` of `count`; by default `<Idempotency-Key>:<index>` when one was sent. */
  itemKey?: (index: number, count: number) => string | undefined;
  /** Called once per finished item, in completion order (progress bars). */
  onItem?: (item: BatchItemResult) => void;
}

export type BodyOutcome = { kind: 'one'; result: IngestResult } | { kind: 'list'; result: BatchResult };

export interface BodyIntakeDeps {
  intake: Pick<IntakeService, 'ingestRecord' | 'ingestMany'>;
  registry: ConnectorRegistry;
}

/**
 * The one door for a body that may hold several records (the events and batch routes, `paylens
 * import`, the data lake): check the provider hint, parse the body, ingest its records.
 */
export class BodyIntake {
  constructor(private readonly deps: BodyIntakeDeps) {}

  /** An unknown hint is refused before anything is parsed or stored. */
  checkProviderHint(hint: string | undefined): void {
    this.deps.registry.checkHint(hint);
  }

  /** `list`: a top-level JSON array is a list of events (batches, files, the data lake). */
  parse(text: string, format: PayloadFormat, list: boolean): ParsedBody {
    return parseAs(format, text, { jsonArrays: list });
  }

  /**
   * One event, or a list when the format is one (NDJSON lines, CSV rows, an XML list): the events
   * route. A single event is stored under the type it was sent with.
   */
  async ingestOneOrList(input: BodyInput, text: string, format: PayloadFormat, maxItems: number): Promise<BodyOutcome> {
    this.checkProviderHint(input.providerHint);
    const parsed = this.parse(text, format, false);
    if (parsed.multi) {
      checkBatchSize(parsed.records.length, maxItems);
      return { kind: 'list', result: await this.ingestParsed(input, parsed) };
    }
    // A single XML document is already parsed: it goes to the intake as its record.
    const one = { ...input, contentType: input.contentType ?? formatContentTypes[format], body: text };
    return { kind: 'one', result: await this.deps.intake.ingestRecord(one, parsed.records[0], text) };
  }

  /** A body that is a list of events whatever it holds (batches, the data lake). */
  async ingestList(
    input: BodyInput,
    text: string,
    format: PayloadFormat,
    options: ListOptions = {},
  ): Promise<BatchResult> {
    this.checkProviderHint(input.providerHint);
    const parsed = this.parse(text, format, true);
    if (options.maxItems !== undefined) checkBatchSize(parsed.records.length, options.maxItems);
    return this.ingestParsed(input, parsed, options);
  }

  /**
   * Ingests every record of a parsed body in chunks through the intake's bulk path and answers per
   * item in the body's order. Each record follows the single-event rules: its own raw event, dedupe
   * by provider event id or content hash, or by its idempotency key (`itemKey`).
   */
  ingestParsed(
    input: BodyInput,
    parsed: ParsedBody,
    options: Omit<ListOptions, 'maxItems'> = {},
  ): Promise<BatchResult> {
    // The records are let go chunk by chunk as they are prepared (see ingestRecords), from a list
    // of our own: the caller's stays whole.
    return this.ingestRecords(input, parsed.format, parsed.records.slice(), parsed.texts, options);
  }

  private async ingestRecords(
    input: BodyInput,
    format: PayloadFormat,
    records: unknown[],
    texts: readonly string[],
    options: Omit<ListOptions, 'maxItems'>,
  ): Promise<BatchResult> {
    const contentType = formatContentTypes[format];
    const count = records.length;
    const itemKey =
      options.itemKey ?? ((index: number) => (input.idempotencyKey ? `${input.idempotencyKey}:${index}` : undefined));
    const items = new Array<BatchItemResult>(count);
    const finish = (item: BatchItemResult) => {
      items[item.index] = item;
      options.onItem?.(item);
    };
    const chunk = async (start: number, end: number): Promise<void> => {
      const indexes: number[] = [];
      for (let index = start; index < end; index++) {
        const record = records[index];
        if (record === null || typeof record !== 'object' || Array.isArray(record)) {
          finish({
            index,
            status: 422,
            error: problem('validation_failed', `Item ${index} must be an object holding one provider event`, {
              errors: [{ field: `body.${index}`, message: 'expected an object' }],
            }),
          });
        } else indexes.push(index);
      }
      let outcomes: RecordOutcome[];
      try {
        const written = this.deps.intake.ingestMany(
          { ...input, contentType },
          indexes.map((index) => ({
            record: records[index],
            text: texts[index]!,
            idempotencyKey: itemKey(index, count),
          })),
        );
        // Prepared by now (queued records synchronously, the others hold their own): not kept through the write.
        for (let index = start; index < end; index++) records[index] = undefined;
        outcomes = await written;
      } catch (error) {
        outcomes = indexes.map(() => ({ error }));
      }
      indexes.forEach((index, i) => {
        const outcome = outcomes[i]!;
        if ('result' in outcome) {
          const { replayed, rawEvent, events } = outcome.result;
          finish({ index, status: replayed ? 200 : rawEvent.status === 'queued' ? 202 : 201, rawEvent, events });
        } else {
          const error = problemOf(outcome.error);
          finish({ index, status: error.status, error });
        }
      });
    };

    const inFlight: Promise<void>[] = [];
    for (let start = 0; start < count; start += CHUNK_RECORDS) {
      inFlight.push(chunk(start, Math.min(count, start + CHUNK_RECORDS)));
      if (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);

    const summary = { stored: 0, queued: 0, duplicates: 0, failed: 0 };
    for (const item of items) {
      if (item.status === 201) summary.stored++;
      else if (item.status === 202) summary.queued++;
      else if (item.status === 200) summary.duplicates++;
      else summary.failed++;
    }
    return { items, summary };
  }
}

/** An item's problem, classified as the problem handler classifies a whole request's error. */
function problemOf(error: unknown): Problem {
  if (error instanceof AppError) return problem(error.code, error.detail, error.extensions);
  if (isDependencyUnavailable(error)) return problem('unavailable', 'A dependency is unavailable; retry later');
  return problem('internal');
}

export function checkBatchSize(count: number, limit = MAX_BATCH_ITEMS): void {
  if (count > limit) {
    throw new AppError(
      'batch_too_large',
      `The batch holds ${count} events; at most ${limit} are accepted per request`,
      {
        limit,
        count,
      },
    );
  }
}
