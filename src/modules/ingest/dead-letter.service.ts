import { AppError } from '../../platform/errors/app-error.js';
import type { PaymentEvent } from '../normalize/index.js';
import type { EventWriter } from './event-writer.js';
import type { IntakeService } from './intake.service.js';
import type { PaymentEventRepository } from './payment-event.repository.js';
import type { RawEvent } from './raw-event.js';
import type { RawEventAction, RawEventRepository } from './raw-event.repository.js';
import type { ResolveContextLookup } from './worker/resolve-context.js';
import { retryDelayMs } from './worker/retry-policy.js';

export interface DeadLetterDeps {
  rawEvents: RawEventRepository;
  paymentEvents: PaymentEventRepository;
  intake: IntakeService;
  writer: EventWriter;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  clock: () => Date;
  resolveContextFor?: ResolveContextLookup;
}

export interface DiscardResult {
  rawEvent: RawEvent;
  discardedAt: string;
  discardedBy: string | null;
}

/** Operator actions on events that could not be normalized: replay now, or discard on the record. */
export class DeadLetterService {
  constructor(private readonly deps: DeadLetterDeps) {}

  private async load(tenantId: string, id: string): Promise<RawEvent> {
    const raw = await this.deps.rawEvents.findById(tenantId, id);
    if (!raw) throw new AppError('not_found', `No raw event ${id}`);
    return raw;
  }

  /**
   * Runs normalization again now. Idempotent: an event already normalized (by an earlier replay or
   * the worker) answers its existing events, never a second copy.
   */
  async replay(
    tenantId: string,
    id: string,
    keyId: string | null,
  ): Promise<{ rawEvent: RawEvent; events: PaymentEvent[] }> {
    const raw = await this.load(tenantId, id);
    if (raw.status === 'discarded')
      throw new AppError('conflict', `Raw event ${id} was discarded; it cannot be replayed`);
    if (raw.status !== 'unprocessed' && raw.status !== 'dead') {
      return { rawEvent: raw, events: await this.deps.paymentEvents.findByRawEvent(tenantId, id) };
    }
    const now = this.deps.clock();
    const { rawEvent, events } = await this.deps.intake.reprocess(raw, {
      maxAttempts: this.deps.maxAttempts,
      nextAttemptAt: (attempts) =>
        new Date(this.deps.clock().getTime() + retryDelayMs(attempts, this.deps.baseDelayMs, this.deps.maxDelayMs)),
      action: { name: 'replay', keyId, at: now },
      resolveContext: await this.deps.resolveContextFor?.(raw),
    });
    return { rawEvent, events };
  }

  /** Marks the event discarded, recording when and by which key; the payload is kept. */
  async discard(tenantId: string, id: string, keyId: string | null): Promise<DiscardResult> {
    const raw = await this.load(tenantId, id);
    if (raw.status !== 'discarded') {
      if (raw.status !== 'unprocessed' && raw.status !== 'dead') {
        throw new AppError(
          'conflict',
          `Raw event ${id} is ${raw.status}; only unprocessed or dead events can be discarded`,
        );
      }
      const applied = await this.deps.writer.commitRawOutcome({
        tenantId,
        rawEventId: id,
        guard: { statuses: [raw.status] },
        changes: { status: 'discarded', next_attempt_at: null },
        events: [],
        action: { name: 'discard', keyId, at: this.deps.clock() },
      });
      if (!applied) return this.discard(tenantId, id, keyId);
    }
    const rawEvent = await this.load(tenantId, id);
    const discard = [...(await this.deps.rawEvents.actionsOf(tenantId, id))]
      .reverse()
      .find((a: RawEventAction) => a.action === 'discard');
    return {
      rawEvent,
      discardedAt: discard?.at ?? rawEvent.receivedAt.toISOString(),
      discardedBy: discard?.keyId ?? null,
    };
  }
}
