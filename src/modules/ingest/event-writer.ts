import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../database.js';
import { GroupCommitter, ItemFailure, type GroupCommitOptions } from '../../platform/db/group-commit.js';
import { isDependencyUnavailable } from '../../platform/resilience/unavailable.js';
import type { PaymentEvent } from '../normalize/index.js';
import { eventToRow } from './payment-event.mapper.js';
import type { QueuedOutcome } from './intake.service.js';
import type { PipelineHooks } from './pipeline-hooks.js';
import type { PaymentEventRepository } from './payment-event.repository.js';
import {
  dedupeKeyOf,
  type StoredRawEventRow,
  type RawEventGuard,
  type RawEventRepository,
  type RawEventUpdate,
} from './raw-event.repository.js';

export interface StoreRequest {
  raw: StoredRawEventRow;
  events: PaymentEvent[];
}

export type StoreResult = { outcome: 'stored' } | { outcome: 'duplicate' };

/** A new outcome for an already stored raw event (retry, replay, discard). */
export interface RawOutcomeRequest {
  tenantId: string;
  rawEventId: string;
  guard: RawEventGuard;
  changes: RawEventUpdate;
  events: PaymentEvent[];
  /** Recorded with the change when an operator asked for it. */
  action?: { name: string; keyId: string | null; at: Date } | undefined;
}

function dedupeKey(raw: StoredRawEventRow): string | null {
  return raw.provider && raw.provider_event_id
    ? `${raw.tenant_id}\u0000${dedupeKeyOf(raw.provider, raw.provider_event_id)}`
    : null;
}

/**
 * Writes raw events and their normalized events durably, many per transaction. A raw event whose
 * dedupe key exists already (stored earlier, by another instance, or earlier in the same batch)
 * is reported as a duplicate and nothing of it is written.
 */
export class EventWriter {
  private readonly committer: GroupCommitter<StoreRequest, StoreResult>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly rawEvents: RawEventRepository,
    private readonly paymentEvents: PaymentEventRepository,
    private readonly hooks: PipelineHooks,
    options: GroupCommitOptions,
    onBatch?: (size: number, ms: number) => void,
  ) {
    this.committer = new GroupCommitter((items) => this.writeBatch(items), options, onBatch);
  }

  store(request: StoreRequest): Promise<StoreResult> {
    return this.committer.submit(request);
  }

  /**
   * A set already batched by the caller (a multi-record body): one transaction, no queueing. Per
   * request, its outcome, or an ItemFailure when the database refused that request alone (its
   * neighbours are then stored, each in its own transaction).
   */
  storeMany(requests: StoreRequest[]): Promise<(StoreResult | ItemFailure)[]> {
    return requests.length === 0 ? Promise.resolve([]) : this.writeBatch(requests);
  }

  /**
   * Changes a stored raw event's status and inserts its normalized events in one transaction;
   * nothing happens (false) when the row is no longer in the guarded state, so a retry and a replay
   * racing on the same event cannot both write its events.
   */
  async commitRawOutcome(request: RawOutcomeRequest): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const applied = await this.rawEvents.updateGuarded(
        trx,
        request.tenantId,
        request.rawEventId,
        request.guard,
        request.changes,
      );
      if (!applied) return false;
      await this.writeEvents(trx, [request.events]);
      if (request.action)
        await this.rawEvents.recordAction(
          trx,
          request.tenantId,
          request.rawEventId,
          request.action.name,
          request.action.keyId,
          request.action.at,
        );
      return true;
    });
  }

  /**
   * Writes the outcomes of claimed queued raw events (QueueWorker) in one transaction: each one's
   * new state, and the events of those still under this claim with every hook's writes. Returns the
   * outcomes written; a worker that dies before commit leaves its events queued until the claim ends.
   */
  async settleQueued(outcomes: QueuedOutcome[]): Promise<QueuedOutcome[]> {
    if (outcomes.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const settled = await this.rawEvents.settleQueued(
        trx,
        outcomes.map((o) => ({
          id: o.raw.id,
          received_at: o.raw.receivedAt,
          claimed_until: o.raw.nextAttemptAt ?? o.raw.receivedAt,
          ...o.changes,
        })),
      );
      const ours = outcomes.filter((o) => settled.has(o.raw.id));
      await this.writeEvents(
        trx,
        ours.map((o) => o.events),
      );
      return ours;
    });
  }

  /**
   * The events of some raw events and every hook's writes for them, in one statement. `byRaw`: each
   * raw event's events, in order; seq keeps an event's position within its raw event (an Adyen
   * delivery holds several).
   */
  private writeEvents(trx: Transaction<Database>, byRaw: readonly PaymentEvent[][]): Promise<void> {
    return this.hooks.inTransaction(trx, byRaw.flat(), [
      this.paymentEvents.writeOf(byRaw.flatMap((events) => events.map((e, seq) => eventToRow(e, seq)))),
    ]);
  }

  flush(): Promise<void> {
    return this.committer.flush();
  }

  close(): Promise<void> {
    return this.committer.close();
  }

  private async writeBatch(items: StoreRequest[]): Promise<(StoreResult | ItemFailure)[]> {
    try {
      return await this.writeInTransaction(items);
    } catch (error) {
      // With the database down every item would fail alike: one error for all, not a transaction each.
      if (items.length === 1 || isDependencyUnavailable(error)) throw error;
      // One bad row must not fail its neighbours: retry each on its own so only it fails (a rejection
      // of the whole retry rejected every submitter of the group).
      return Promise.all(
        items.map((item) =>
          this.writeInTransaction([item]).then(
            (r) => r[0]!,
            (cause: unknown) => new ItemFailure(cause),
          ),
        ),
      );
    }
  }

  private async writeInTransaction(items: StoreRequest[]): Promise<StoreResult[]> {
    const firstByKey = new Map<string, number>();
    const candidates: StoreRequest[] = [];
    const sameBatchDuplicate = items.map((item, index) => {
      const key = dedupeKey(item.raw);
      if (key === null) {
        candidates.push(item);
        return false;
      }
      if (firstByKey.has(key)) return true;
      firstByKey.set(key, index);
      candidates.push(item);
      return false;
    });
    const rows = candidates.map((c) => c.raw);
    // Nothing but raw rows (queued, unprocessed or ignored payloads): the insert is one statement, whose
    // CTE claims the keys and stores the rows atomically, so no BEGIN and COMMIT round trips around it.
    const inserted = candidates.every((c) => c.events.length === 0)
      ? await this.rawEvents.insertIgnoringDuplicates(this.db, rows)
      : await this.db.transaction().execute(async (trx) => {
          const ids = await this.rawEvents.insertIgnoringDuplicates(trx, rows);
          // With BEGIN, the raw insert (which decides the duplicates the writes must leave out), the one
          // statement of writeEvents and COMMIT: four round trips per group.
          await this.writeEvents(
            trx,
            candidates.filter((c) => ids.has(c.raw.id)).map((c) => c.events),
          );
          return ids;
        });
    return items.map((item, i) =>
      !sameBatchDuplicate[i] && inserted.has(item.raw.id) ? { outcome: 'stored' } : { outcome: 'duplicate' },
    );
  }
}
