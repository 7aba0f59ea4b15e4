import type { Logger } from 'pino';
import { isRecord, type Merchant } from '../../normalize/index.js';
import { AppError } from '../../../platform/errors/app-error.js';
import { BodyIntake, type BodyIntakeDeps } from '../intake.facade.js';
import type { SourceContext } from '../intake.service.js';
import { formatOf } from '../payload-parser.js';
import type { LakePosition, LakeRow, LakeSource } from './datalake.source.js';

export interface LakeBody {
  body: string;
  contentType: string;
  /** `data.provider`: the provider's name as the lake spells it. */
  provider?: string;
  /** `data.p_id`: the provider's payment id. */
  paymentId?: string;
}

/** Keys that may sit beside a `{content}` text: hints about it, not part of the stored payload. */
const hintKeys = new Set(['provider', 'p_id']);

/**
 * A lake row's `data` is either the provider payload itself (JSON of any shape) or
 * `{content: "<xml or csv or json text>"}` for payloads that arrived as text; either may name its
 * provider (`provider`) and the provider's payment id (`p_id`).
 */
export function lakeRowBody(data: unknown): LakeBody {
  const record = typeof data === 'string' ? safeParse(data) : data;
  if (!isRecord(record)) return { body: JSON.stringify(record), contentType: 'application/json' };
  const hints: Pick<LakeBody, 'provider' | 'paymentId'> = {};
  if (typeof record.provider === 'string' && record.provider.trim() !== '') hints.provider = record.provider.trim();
  if (typeof record.p_id === 'string' || typeof record.p_id === 'number') hints.paymentId = String(record.p_id);
  const content = record.content;
  if (typeof content === 'string' && Object.keys(record).every((key) => key === 'content' || hintKeys.has(key)))
    return { body: content, contentType: sniffContentType(content), ...hints };
  return { body: JSON.stringify(record), contentType: 'application/json', ...hints };
}

/** The lake's `merchant` column: a merchant id, or an object with its id (and perhaps name and country). */
export function lakeMerchant(value: unknown): Partial<Merchant> | undefined {
  if (typeof value === 'string' && value.trim() !== '') return { id: value.trim() };
  if (typeof value === 'number' && Number.isFinite(value)) return { id: String(value) };
  if (!isRecord(value)) return undefined;
  const id = value.id ?? value.merchant_id ?? value.merchantId;
  const merchant: Partial<Merchant> = {};
  if ((typeof id === 'string' && id.trim() !== '') || typeof id === 'number') merchant.id = String(id).trim();
  if (typeof value.name === 'string' && value.name.trim() !== '') merchant.name = value.name.trim();
  if (typeof value.country === 'string' && /^[A-Za-z]{2}$/.test(value.country))
    merchant.country = value.country.toUpperCase();
  return Object.keys(merchant).length > 0 ? merchant : undefined;
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
  intake: BodyIntakeDeps['intake'];
  registry: BodyIntakeDeps['registry'];
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
  private readonly bodies: BodyIntake;

  constructor(private readonly options: DatalakePollerOptions) {
    this.bodies = new BodyIntake(options);
  }

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
    const { registry } = this.options;
    const { body, contentType, provider, paymentId } = lakeRowBody(row.data);
    const named = provider?.toLowerCase();
    const likelyProvider =
      named !== undefined && registry.get(named)
        ? named
        : paymentId === undefined
          ? undefined
          : registry.byPaymentId(paymentId)?.id;
    const sourceContext: SourceContext = {
      merchant: lakeMerchant(row.merchant),
      transactionalId: row.transactionalId ?? undefined,
      likelyProvider,
    };
    const result = await this.bodies.ingestList(
      { tenantId: this.options.tenantId, source: 'datalake', sourceContext },
      body,
      formatOf(contentType),
      { itemKey: (index, count) => (count === 1 ? row.id : `${row.id}:${index}`) },
    );
    const failed = result.items.find((item) => item.error);
    if (failed?.error)
      throw new AppError(failed.error.code, `item ${failed.index}: ${failed.error.detail ?? failed.error.title}`);
    return { replayed: result.summary.stored === 0 };
  }
}
