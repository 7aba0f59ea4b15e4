import { AppError } from '../../platform/errors/app-error.js';
import { errorCodes, problemType, type ErrorCode } from '../../platform/errors/codes.js';
import type { PaymentEvent } from '../normalize/index.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import type { IngestInput, IntakeService, RawEventSummary, RecordOutcome } from './intake.service.js';
import { formatContentTypes, type ParsedBody } from './payload-parser.js';

/** Above this a batch is refused whole: the answer lists every item and must stay bounded. */
export const MAX_BATCH_ITEMS = 10_000;

export interface ItemProblem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

export interface BatchItemResult {
  index: number;
  status: number;
  rawEvent?: RawEventSummary;
  events?: PaymentEvent[];
  error?: ItemProblem;
}

export interface BatchSummary {
  stored: number;
  duplicates: number;
  failed: number;
}

export interface BatchResult {
  items: BatchItemResult[];
  summary: BatchSummary;
}

export type BatchInput = Omit<IngestInput, 'body' | 'contentType'>;

export interface BatchOptions {
  /** Called once per finished item, in completion order (progress bars). */
  onItem?: (item: BatchItemResult) => void;
}

export function itemProblem(code: ErrorCode, detail?: string, extensions: Record<string, unknown> = {}): ItemProblem {
  const { status, title } = errorCodes[code];
  return { ...extensions, type: problemType(code), title, status, ...(detail === undefined ? {} : { detail }), code };
}

function problemFrom(error: unknown): ItemProblem {
  if (error instanceof AppError) return itemProblem(error.code, error.detail, error.extensions);
  // Storage failures are the only unexpected errors here; their details stay in the logs.
  return itemProblem('unavailable', 'The event could not be stored; retry it');
}

export function checkBatchSize(count: number): void {
  if (count > MAX_BATCH_ITEMS) {
    throw new AppError(
      'batch_too_large',
      `The batch holds ${count} events; at most ${MAX_BATCH_ITEMS} are accepted per request`,
      {
        limit: MAX_BATCH_ITEMS,
        count,
      },
    );
  }
}

export function checkProviderHint(registry: ConnectorRegistry, hint: string | undefined): void {
  if (hint !== undefined && !registry.get(hint.toLowerCase())) {
    throw new AppError('unknown_provider', `Unknown provider "${hint}"; known: ${registry.ids().join(', ')}`);
  }
}

/**
 * Records per intake call: one transaction each. Large enough that statements and commits are paid
 * per thousand events, small enough that one bad row's fallback (each alone) stays cheap.
 */
export const CHUNK_RECORDS = 1000;
/** Chunks in flight: the next chunk is normalized and scored while the previous one is written. */
const CHUNKS_IN_FLIGHT = 2;

/**
 * Ingests every record of a parsed body in chunks through the intake's bulk path and answers per
 * item in the body's order. Each record follows the single-event rules: its own raw event, dedupe by
 * provider event id or content hash, and with an Idempotency-Key the item's key is `<key>:<index>`.
 */
export async function ingestRecords(
  intake: IntakeService,
  input: BatchInput,
  parsed: ParsedBody,
  options: BatchOptions = {},
): Promise<BatchResult> {
  const contentType = formatContentTypes[parsed.format];
  const items = new Array<BatchItemResult>(parsed.records.length);
  const chunk = async (start: number, end: number): Promise<void> => {
    const indexes: number[] = [];
    for (let index = start; index < end; index++) {
      const record = parsed.records[index];
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        const item = {
          index,
          status: 422,
          error: itemProblem('validation_failed', `Item ${index} must be an object holding one provider event`, {
            errors: [{ field: `body.${index}`, message: 'expected an object' }],
          }),
        };
        items[index] = item;
        options.onItem?.(item);
      } else indexes.push(index);
    }
    let outcomes: RecordOutcome[];
    try {
      outcomes = await intake.ingestMany(
        { ...input, contentType },
        indexes.map((index) => ({
          record: parsed.records[index],
          text: parsed.texts[index]!,
          idempotencyKey: input.idempotencyKey ? `${input.idempotencyKey}:${index}` : undefined,
        })),
      );
    } catch (error) {
      outcomes = indexes.map(() => ({ error }));
    }
    indexes.forEach((index, i) => {
      const outcome = outcomes[i]!;
      let item: BatchItemResult;
      if ('result' in outcome)
        item = {
          index,
          status: outcome.result.replayed ? 200 : 201,
          rawEvent: outcome.result.rawEvent,
          events: outcome.result.events,
        };
      else {
        const problem = problemFrom(outcome.error);
        item = { index, status: problem.status, error: problem };
      }
      items[index] = item;
      options.onItem?.(item);
    });
  };

  const inFlight: Promise<void>[] = [];
  for (let start = 0; start < items.length; start += CHUNK_RECORDS) {
    inFlight.push(chunk(start, Math.min(items.length, start + CHUNK_RECORDS)));
    if (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);

  const summary: BatchSummary = { stored: 0, duplicates: 0, failed: 0 };
  for (const item of items) {
    if (item.status === 201) summary.stored++;
    else if (item.status === 200) summary.duplicates++;
    else summary.failed++;
  }
  return { items, summary };
}
