import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventStatuses, eventTypes } from '../normalize/canonical.js';
import {
  applyEvent,
  effectiveStatus,
  flagsOf,
  foldEvents,
  statusOfEvent,
  terminalStatuses,
  type PaymentEventInput,
} from './payment.domain.js';

let n = 0;
function ev(
  type: PaymentEventInput['type'],
  status: PaymentEventInput['status'],
  minute: number,
  amountMinor = 5000,
  currency = 'USD',
): PaymentEventInput {
  return {
    id: `evt_${String(++n).padStart(4, '0')}`,
    type,
    status,
    amountMinor,
    currency,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString(),
  };
}

describe('payment aggregate', () => {
  it('follows a normal life cycle by provider time', () => {
    const events = [
      ev('authorization', 'approved', 0),
      ev('capture', 'approved', 1),
      ev('refund', 'partially_refunded', 2, 1000),
    ];
    const state = foldEvents(events)!;
    expect(state).toMatchObject({
      status: 'partially_refunded',
      amountMinor: 5000,
      currency: 'USD',
      capturedMinor: 5000,
      refundedMinor: 1000,
      eventCount: 3,
    });
    expect(state.firstEventAt).toBe(events[0]!.occurredAt);
    expect(state.lastEventAt).toBe(events[2]!.occurredAt);
    expect(flagsOf(state)).toEqual([]);
  });

  it('a late event never moves a payment out of a terminal state', () => {
    const refunded = ev('refund', 'refunded', 5, 5000);
    const lateCapture = ev('capture', 'approved', 9);
    const state = foldEvents([ev('sale', 'approved', 0), refunded, lateCapture])!;
    expect(state.status).toBe('refunded');
    expect(terminalStatuses.has(state.status)).toBe(true);
  });

  it('an older event arriving last does not overwrite a newer status', () => {
    expect(foldEvents([ev('capture', 'approved', 5), ev('authorization', 'approved', 1)])!.status).toBe('captured');
    expect(foldEvents([ev('sale', 'approved', 5), ev('sale', 'declined', 1)])!.status).toBe('captured');
    // A retry that succeeds after a decline is the newer fact.
    expect(foldEvents([ev('sale', 'approved', 5), ev('sale', 'declined', 1)].reverse())!.status).toBe('captured');
  });

  it('between terminal states the precedence decides: a chargeback after a refund shows', () => {
    expect(foldEvents([ev('dispute', 'chargeback', 3), ev('refund', 'refunded', 8)])!.status).toBe('chargeback');
  });

  it('flags amount and currency mismatches between events of one payment', () => {
    const state = foldEvents([
      ev('authorization', 'approved', 0, 5000, 'USD'),
      ev('capture', 'approved', 1, 7000, 'EUR'),
      ev('refund', 'refunded', 2, 9000, 'USD'),
    ])!;
    expect(flagsOf(state)).toEqual(['currency_mismatch', 'amount_mismatch', 'refund_exceeds_capture']);
    expect(state.amountMinor).toBe(5000);
    expect(state.currency).toBe('USD');
  });

  it('an event without money (a fraud warning, currency XXX) neither flags a currency mismatch nor sets the amount', () => {
    const warning = ev('dispute', 'pending', 0, 0, 'XXX');
    const state = foldEvents([
      warning,
      ev('sale', 'approved', 1, 5000, 'EUR'),
      ev('dispute', 'chargeback', 2, 5000, 'EUR'),
    ])!;
    expect(state).toMatchObject({ status: 'chargeback', amountMinor: 5000, currency: 'EUR', currencies: ['EUR'] });
    expect(flagsOf(state)).toEqual([]);
    expect(foldEvents([warning, ev('dispute', 'chargeback', 2, 4000, 'EUR')])!).toMatchObject({
      amountMinor: 4000,
      currency: 'EUR',
    });
  });

  it('a succeeded refund that does not cover the payment reads as partially refunded', () => {
    const partial = foldEvents([ev('sale', 'approved', 0, 5000), ev('refund', 'refunded', 1, 2000)])!;
    expect(effectiveStatus(partial)).toBe('partially_refunded');
    expect(effectiveStatus(applyEvent(partial, ev('refund', 'refunded', 2, 3000)))).toBe('refunded');
  });

  it('counts a refund reported twice (running total and refund object) once', () => {
    const chargeRefunded = { ...ev('refund', 'partially_refunded', 2, 2000), metadata: { amountRefundedTotal: 2000 } };
    const refundObject = ev('refund', 'refunded', 2, 2000);
    const secondRefund = { ...ev('refund', 'partially_refunded', 3, 1000), metadata: { amountRefundedTotal: 3000 } };
    const state = foldEvents([ev('sale', 'approved', 0, 5000), chargeRefunded, refundObject, secondRefund])!;
    expect(state.refundedMinor).toBe(3000);
    expect(flagsOf(state)).toEqual([]);
    expect(effectiveStatus(state)).toBe('partially_refunded');
  });

  it('events that say nothing about the status leave it alone', () => {
    expect(statusOfEvent({ type: 'refund', status: 'failed' })).toBeNull();
    expect(applyEvent(foldEvents([ev('sale', 'approved', 0)]), ev('refund', 'failed', 4)).status).toBe('captured');
  });

  it("any permutation of a payment's events gives the same final state", () => {
    const event = fc.record({
      type: fc.constantFrom(...eventTypes),
      status: fc.constantFrom(...eventStatuses),
      minute: fc.integer({ min: 0, max: 30 }),
      amountMinor: fc.constantFrom(1000, 2500, 5000),
      currency: fc.constantFrom('USD', 'EUR'),
      refundTotal: fc.option(fc.constantFrom(1000, 3000, 6000)),
    });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 12 }).chain((specs) => {
          const events = specs.map((s, i) => ({
            id: `evt_${i}`,
            type: s.type,
            status: s.status,
            amountMinor: s.amountMinor,
            currency: s.currency,
            occurredAt: new Date(Date.UTC(2026, 0, 1, 0, s.minute)).toISOString(),
            metadata: s.refundTotal === null ? {} : { amountRefundedTotal: s.refundTotal },
          }));
          return fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          );
        }),
        ([inOrder, shuffled]) => {
          const byTime = [...inOrder].sort(
            (a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id),
          );
          const expected = foldEvents(byTime)!;
          const actual = foldEvents(shuffled)!;
          expect(actual).toEqual(expected);
          expect(flagsOf(actual)).toEqual(flagsOf(expected));
          expect(effectiveStatus(actual)).toBe(effectiveStatus(expected));
        },
      ),
      { numRuns: 300 },
    );
  });
});
