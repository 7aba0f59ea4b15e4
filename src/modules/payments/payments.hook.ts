import type { PipelineHook } from '../ingest/index.js';
import type { PaymentEvent } from '../normalize/index.js';
import { foldEvents } from './payment.domain.js';
import { keyOf, type PaymentKey, type PaymentRepository } from './payment.repository.js';

/** Keeps the payments table in step with the events, inside the transaction that stores them. */
export function paymentsHook(payments: PaymentRepository): PipelineHook {
  return {
    name: 'payments',
    async inTransaction(trx, events) {
      const groups = new Map<string, { key: PaymentKey; events: PaymentEvent[] }>();
      for (const event of events) {
        if (!event.providerPaymentId) continue;
        const key = { tenantId: event.tenantId, provider: event.provider, providerPaymentId: event.providerPaymentId };
        const id = keyOf(key);
        const group = groups.get(id) ?? { key, events: [] };
        group.events.push(event);
        groups.set(id, group);
      }
      if (groups.size === 0) return;
      // Most payments of a batch are new: their state needs no read, one insert writes it.
      const fresh = [...groups].map(([id, group]) => ({ id, key: group.key, state: foldEvents(group.events, null) }));
      const inserted = await payments.insertNew(
        trx,
        fresh.filter((f): f is typeof f & { state: NonNullable<typeof f.state> } => f.state !== null),
      );
      const existing = [...groups].filter(([id]) => !inserted.has(id));
      if (existing.length === 0) return;
      const states = await payments.lockStates(
        trx,
        existing.map(([, g]) => g.key),
      );
      const folded = existing.map(([id, group]) => ({
        key: group.key,
        state: foldEvents(group.events, states.get(id) ?? null),
      }));
      await payments.saveAll(
        trx,
        folded.filter((f): f is { key: PaymentKey; state: NonNullable<typeof f.state> } => f.state !== null),
      );
    },
  };
}
