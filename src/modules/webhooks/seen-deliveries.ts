import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';

export type DeliveryClaim = { kind: 'claimed' } | { kind: 'seen'; rawEventId: string } | { kind: 'in_flight' };

export interface SeenDeliveriesOptions {
  /** A claim whose holder has not finished within this is taken over (the holder crashed). */
  leaseMs: number;
  /** Added to a signature's freshness before its id is forgotten: instances' clocks differ. */
  clockSkewMs: number;
  /** Expired ids are deleted at most this often per instance. */
  pruneEveryMs: number;
}

const defaults: SeenDeliveriesOptions = { leaseMs: 60_000, clockSkewMs: 300_000, pruneEveryMs: 60_000 };

/**
 * Delivery ids already accepted per endpoint, in the database so every instance sees them. A
 * delivery claims its id before it is processed and records its raw event after; a second delivery
 * with the same id gets that raw event back instead of being processed again. An id is kept until
 * its signature is stale, after which the replay window refuses it anyway.
 */
export class SeenDeliveries {
  private readonly options: SeenDeliveriesOptions;
  private lastPrune = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
    options: Partial<SeenDeliveriesOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  async claim(endpointId: string, deliveryId: string, freshUntil: Date): Promise<DeliveryClaim> {
    const now = this.clock();
    await this.pruneIfDue(now);
    const expiresAt = new Date(freshUntil.getTime() + this.options.clockSkewMs);
    const inserted = await this.db
      .insertInto('webhook_seen_deliveries')
      .values({
        endpoint_id: endpointId,
        delivery_id: deliveryId,
        raw_event_id: null,
        claimed_at: now,
        expires_at: expiresAt,
      })
      .onConflict((oc) => oc.columns(['endpoint_id', 'delivery_id']).doNothing())
      .returning('delivery_id')
      .executeTakeFirst();
    if (inserted) return { kind: 'claimed' };
    // One statement, so two instances cannot both take over an abandoned or expired claim.
    const takenOver = await this.db
      .updateTable('webhook_seen_deliveries')
      .set({ raw_event_id: null, claimed_at: now, expires_at: expiresAt })
      .where('endpoint_id', '=', endpointId)
      .where('delivery_id', '=', deliveryId)
      .where((eb) =>
        eb.or([
          eb('expires_at', '<', now),
          eb.and([
            eb('raw_event_id', 'is', null),
            eb('claimed_at', '<', new Date(now.getTime() - this.options.leaseMs)),
          ]),
        ]),
      )
      .returning('delivery_id')
      .executeTakeFirst();
    if (takenOver) return { kind: 'claimed' };
    const seen = await this.db
      .selectFrom('webhook_seen_deliveries')
      .select('raw_event_id')
      .where('endpoint_id', '=', endpointId)
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    return seen?.raw_event_id ? { kind: 'seen', rawEventId: seen.raw_event_id } : { kind: 'in_flight' };
  }

  /** The claimed delivery was stored as this raw event. */
  async complete(endpointId: string, deliveryId: string, rawEventId: string): Promise<void> {
    await this.db
      .updateTable('webhook_seen_deliveries')
      .set({ raw_event_id: rawEventId })
      .where('endpoint_id', '=', endpointId)
      .where('delivery_id', '=', deliveryId)
      .execute();
  }

  /** The claimed delivery failed before it was stored: the provider's retry must be processed. */
  async release(endpointId: string, deliveryId: string): Promise<void> {
    await this.db
      .deleteFrom('webhook_seen_deliveries')
      .where('endpoint_id', '=', endpointId)
      .where('delivery_id', '=', deliveryId)
      .where('raw_event_id', 'is', null)
      .execute();
  }

  /** Deletes ids whose signatures are stale; returns how many. */
  async prune(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('webhook_seen_deliveries').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async pruneIfDue(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < this.options.pruneEveryMs) return;
    this.lastPrune = now.getTime();
    await this.prune(now);
  }
}
