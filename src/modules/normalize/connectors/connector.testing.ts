import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Connector, NormalizeContext, NormalizeOutcome } from '../connector.js';

/** A readable, deterministic customer-key hasher so connector tests can assert which identity was used. */
export const testNormalizeContext: NormalizeContext = {
  customerKey: (kind, value) => `ck_${kind}_${value.trim().toLowerCase()}`,
  now: new Date('2024-11-24T12:00:00Z'),
};

/** A JSON fixture file, parsed; pass `new URL('./__fixtures__/…', import.meta.url)`. */
export function readJsonFixture(url: URL): unknown {
  return JSON.parse(readFileSync(url, 'utf8'));
}

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

/** A connector's entry points on any payload: an outcome, a string-or-null id and a confidence in [0, 1], never a throw. */
export function expectTotal(connector: Connector, payload: unknown): void {
  expect(['events', 'ignored']).toContain(connector.normalize(payload, testNormalizeContext).kind);
  const id = connector.eventId(payload);
  expect(id === null || typeof id === 'string').toBe(true);
  const confidence = connector.detect(payload);
  expect(confidence).toBeGreaterThanOrEqual(0);
  expect(confidence).toBeLessThanOrEqual(1);
}
