import type { Transaction } from 'kysely';
import type { Database } from '../../database.js';
import type { PaymentEvent } from '../normalize/index.js';

/**
 * Extension points of the ingest pipeline, so modules (payments, risk, analytics, live feed) join
 * the walk of an event without the intake knowing them.
 */
export interface PipelineHook {
  name: string;
  /** After normalization, before storage: may attach data to the events (e.g. a risk assessment in metadata). */
  beforeStore?(events: PaymentEvent[]): Promise<void>;
  /** Inside the transaction that stores the events (aggregates, rollups): all or nothing with them. */
  inTransaction?(trx: Transaction<Database>, events: PaymentEvent[]): Promise<void>;
  /** After commit, for fire-and-forget work (publish to the live feed); must not throw. */
  afterStore?(events: PaymentEvent[]): void;
}

export class PipelineHooks {
  private readonly hooks: PipelineHook[] = [];

  register(hook: PipelineHook): void {
    this.hooks.push(hook);
  }

  async beforeStore(events: PaymentEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const hook of this.hooks) await hook.beforeStore?.(events);
  }

  async inTransaction(trx: Transaction<Database>, events: PaymentEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const hook of this.hooks) await hook.inTransaction?.(trx, events);
  }

  afterStore(events: PaymentEvent[]): void {
    if (events.length === 0) return;
    for (const hook of this.hooks) {
      try {
        hook.afterStore?.(events);
      } catch {
        // afterStore work is best-effort by contract; the events are already durable.
      }
    }
  }
}
