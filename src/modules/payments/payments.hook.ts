import type { PipelineHook } from '../ingest/index.js';
import type { PaymentEvent } from '../normalize/index.js';
import { foldEvents } from './payment.domain.js';
import { keyOf, type PaymentKey, type PaymentRepository } from './payment.repository.js';

type Groups = Map<string, { key: PaymentKey; events: PaymentEvent[] }>;

/** Keeps the payments table in step with the events, inside the transaction that stores them. */
export function paymentsHook(payments: PaymentRepository): PipelineHook {
  const grouped = new WeakMap<PaymentEvent[], Groups>();
  return {
    name: 'payments',
    writes(events) {
      const groups: Groups = new Map();
      for (const event of events) {
        if (!event.providerPaymentId) continue;
        const key = { tenantId: event.tenantId, provider: event.provider, providerPaymentId: event.providerPaymentId };
        const id = keyOf(key);
        const group = groups.get(id) ?? { key, events: [] };
        group.events.push(event);
        groups.set(id, group);
      }
      grouped.set(events, groups);
      // Most payments of a batch are new: their state needs no read, the events' statement writes it.
      const fresh = [];
      for (const group of groups.values()) {
        const state = foldEvents(group.events, null);
        if (state !== null) fresh.push({ key: group.key, state });
      }
      return [payments.newPaymentsWrite(fresh)];
    },
    async inTransaction(trx, events, returned) {
      const groups = grouped.get(events);
      if (!groups || groups.size === 0) return;
      const inserted = payments.newKeys(returned.get('payments.new') ?? []);
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
