import type { Transaction } from 'kysely';
import type { Database } from '../../database.js';
import { runCombinedWrites, type WriteRows } from '../../platform/db/combined-writes.js';
import type { PaymentEvent } from '../normalize/index.js';

/**
 * Extension points of the ingest pipeline, so modules (payments, risk, analytics, live feed) join
 * the walk of an event without the intake knowing them.
 */
export interface PipelineHook {
  name: string;
  /** After normalization, before storage: may attach data to the events (e.g. a risk assessment in metadata). */
  beforeStore?(events: PaymentEvent[]): Promise<void>;
  /**
   * The hook's writes for the stored events (aggregates, rollups), run as parts of ONE statement
   * with the events' own insert: a round trip for all hooks instead of one per write. A hook returns
   * the same writes on every call (empty rows included), so the statement text stays prepared.
   */
  writes?(events: PaymentEvent[]): WriteRows[];
  /**
   * Inside the transaction that stores the events, after the writes (`returned`: what each
   * returning write returned, by name), for work that must read first: all or nothing with them.
   */
  inTransaction?(
    trx: Transaction<Database>,
    events: PaymentEvent[],
    returned: ReadonlyMap<string, readonly string[]>,
  ): Promise<void>;
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

  /** `own`: the intake's writes for the same events (their rows), joined to the hooks' in one statement. */
  async inTransaction(trx: Transaction<Database>, events: PaymentEvent[], own: readonly WriteRows[]): Promise<void> {
    if (events.length === 0) return;
    const parts = [...own];
    for (const hook of this.hooks) if (hook.writes) parts.push(...hook.writes(events));
    const returned = await runCombinedWrites(trx, parts);
    for (const hook of this.hooks) await hook.inTransaction?.(trx, events, returned);
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
