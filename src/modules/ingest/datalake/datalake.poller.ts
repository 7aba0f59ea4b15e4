import type { Logger } from 'pino';
import { isRecord } from '../../normalize/index.js';
import type { IngestResult, IntakeService } from '../intake.service.js';
import { formatContentTypes, parseBody } from '../payload-parser.js';
import type { LakePosition, LakeRow, LakeSource } from './datalake.source.js';

export interface LakeBody {
  body: string;
  contentType: string;
}

/**
 * A lake row's `data` is either the provider payload itself (JSON of any shape) or
 * `{content: "<xml or csv or json text>"}` for payloads that arrived as text.
 */
export function lakeRowBody(data: unknown): LakeBody {
  const record = typeof data === 'string' ? safeParse(data) : data;
  if (isRecord(record)) {
    const content = record.content;
    if (typeof content === 'string' && Object.keys(record).length === 1)
      return { body: content, contentType: sniffContentType(content) };
  }
  return { body: JSON.stringify(record), contentType: 'application/json' };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { content: text };
  }
}

function sniffContentType(text: string): string {
  const start = text.trimStart()[0];
  if (start === '<') return 'application/xml';
  if (start === '{' || start === '[') return 'application/json';
  return 'text/csv';
}

export interface PollSummary {
  read: number;
  stored: number;
  replayed: number;
  failed: number;
}

export interface DatalakePollerOptions {
  source: LakeSource;
  intake: Pick<IntakeService, 'ingestRecord'>;
  tenantId: string;
  pageSize: number;
  logger: Logger;
}

/**
 * Copies unprocessed lake rows into Paylens. A row is flagged processed only after the intake has
 * stored it; the row id is the idempotency key, so a crash between the two makes the next read a
 * replay, never a duplicate. A row the intake rejects stays unprocessed (and is skipped for the rest
 * of the pass) so it can be fixed and read again.
 */
export class DatalakePoller {
  constructor(private readonly options: DatalakePollerOptions) {}

  /** Reads every unprocessed row once, page by page. */
  async pollOnce(): Promise<PollSummary> {
    const { source, pageSize, logger } = this.options;
    const summary: PollSummary = { read: 0, stored: 0, replayed: 0, failed: 0 };
    let after: LakePosition | null = null;
    for (;;) {
      const rows = await source.fetchPage(pageSize, after);
      if (rows.length === 0) return summary;
      // Concurrently, so the intake's group commit writes a page in a few transactions.
      const outcomes = await Promise.allSettled(rows.map((row) => this.ingestRow(row)));
      const done: string[] = [];
      outcomes.forEach((outcome, i) => {
        const row = rows[i]!;
        summary.read++;
        if (outcome.status === 'fulfilled') {
          if (outcome.value.replayed) summary.replayed++;
          else summary.stored++;
          done.push(row.id);
        } else {
          summary.failed++;
          logger.warn({ err: outcome.reason, rowId: row.id }, 'data lake row rejected by the intake; left unprocessed');
        }
      });
      await source.markProcessed(done);
      const last = rows[rows.length - 1]!;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * One row is normally one event (idempotency key = the row id). A row holding a list (a JSON
   * array, CSV with several data rows, an XML list) becomes one raw event per item, keyed
   * `<row id>:<index>`, so none of its items is dropped; the row counts as replayed when all were.
   */
  private async ingestRow(row: LakeRow): Promise<{ replayed: boolean }> {
    const { intake, tenantId } = this.options;
    const { body, contentType } = lakeRowBody(row.data);
    const parsed = parseBody(body, contentType, { jsonArrays: true });
    const single = parsed.records.length === 1;
    const results: IngestResult[] = [];
    for (const [i, record] of parsed.records.entries()) {
      const text = parsed.texts[i]!;
      const input = {
        tenantId,
        source: 'datalake' as const,
        body: text,
        contentType: formatContentTypes[parsed.format],
        idempotencyKey: single ? row.id : `${row.id}:${i}`,
      };
      results.push(await intake.ingestRecord(input, record, text));
    }
    return { replayed: results.every((r) => r.replayed) };
  }
}
