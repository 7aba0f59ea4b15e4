import { expect } from 'vitest';
import type { NormalizeContext, NormalizeOutcome } from '../connector.js';

/** A readable, deterministic customer-key hasher so connector tests can assert which identity was used. */
export const testNormalizeContext: NormalizeContext = {
  customerKey: (kind, value) => `ck_${kind}_${value.trim().toLowerCase()}`,
  now: new Date('2024-11-24T12:00:00Z'),
};

export function expectEvents(outcome: NormalizeOutcome) {
  expect(outcome.kind).toBe('events');
  if (outcome.kind !== 'events') throw new Error('expected events');
  return outcome.events;
}

export function expectSingleEvent(outcome: NormalizeOutcome) {
  const events = expectEvents(outcome);
  expect(events).toHaveLength(1);
  return events[0]!;
}
