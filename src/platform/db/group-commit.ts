import type { Context } from '@opentelemetry/api';
import { activeContext, withBatchSpan } from '../tracing.js';

/**
 * Group commit: callers enqueue items and await their own result, while one flush writes a whole
 * batch in a single transaction. A batch goes out when it is full or `maxDelayMs` after its first
 * item, so throughput is not capped at one commit (one fsync) per event.
 */
export interface GroupCommitOptions {
  maxBatch: number;
  maxDelayMs: number;
  /** Flushes allowed in flight at once; more than one lets a PostgreSQL pool commit in parallel. */
  concurrency: number;
}

/** A flush's answer for one item that failed alone: its submitter is rejected with `cause`, the others answered. */
export class ItemFailure {
  constructor(readonly cause: unknown) {}
}

interface Pending<TItem, TResult> {
  item: TItem;
  resolve: (result: TResult) => void;
  reject: (error: unknown) => void;
  /** The submitter's trace context (null untraced): the commit span joins that trace. */
  trace: Context | null;
}

export class GroupCommitter<TItem, TResult> {
  private queue: Pending<TItem, TResult>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly idle = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly flushBatch: (items: TItem[]) => Promise<(TResult | ItemFailure)[]>,
    private readonly options: GroupCommitOptions,
    private readonly onBatch?: (size: number, ms: number) => void,
  ) {}

  submit(item: TItem): Promise<TResult> {
    if (this.closed) return Promise.reject(new Error('writer is closed'));
    return new Promise<TResult>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, trace: activeContext() });
      if (this.queue.length >= this.options.maxBatch) this.drain();
      else if (!this.timer) this.timer = setTimeout(() => this.drain(), this.options.maxDelayMs);
    });
  }

  /** Writes everything queued and waits for every flush in flight. */
  async flush(): Promise<void> {
    this.drain(true);
    if (this.inFlight === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  get pending(): number {
    return this.queue.length;
  }

  private drain(force = false): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0 && (this.inFlight < this.options.concurrency || force)) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      void this.run(batch);
    }
    if (this.queue.length > 0 && !this.timer) this.timer = setTimeout(() => this.drain(), this.options.maxDelayMs);
  }

  private async run(batch: Pending<TItem, TResult>[]): Promise<void> {
    this.inFlight++;
    const started = performance.now();
    try {
      // One commit serves many requests: a child of the first submitter's span, linked to the others'.
      const results = await withBatchSpan(
        'db.group_commit',
        { 'paylens.batch_size': batch.length },
        batch.map((p) => p.trace),
        () => this.flushBatch(batch.map((p) => p.item)),
      );
      batch.forEach((p, i) => {
        const result = results[i];
        if (result instanceof ItemFailure) p.reject(result.cause);
        else p.resolve(result as TResult);
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.inFlight--;
      this.onBatch?.(batch.length, performance.now() - started);
      if (this.queue.length > 0) this.drain();
      else if (this.inFlight === 0) {
        for (const resolve of this.idle) resolve();
        this.idle.clear();
      }
    }
  }
}
