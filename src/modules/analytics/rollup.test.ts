import { describe, expect, it } from 'vitest';
import type { PaymentEvent } from '../normalize/canonical.js';
import { lagBucket } from './lag-histogram.js';
import { dimensionsOf, rollupDeltas } from './rollup.js';

function event(overrides: Record<string, unknown> = {}): PaymentEvent {
  return {
    id: 'evt_1',
    tenantId: 'ten_1',
    source: 'api',
    rawEventId: 'raw_1',
    provider: 'stripe',
    providerEventId: 'e1',
    providerPaymentId: 'p1',
    type: 'sale',
    status: 'approved',
    failureReason: null,
    declineType: null,
    recommendedAction: null,
    providerCode: null,
    providerMessage: null,
    amountMinor: 1000,
    currency: 'EUR',
    amountUsdMinor: 1080,
    merchant: null,
    customerKey: null,
    emailDomain: null,
    ip: null,
    ipCountry: null,
    deviceId: null,
    card: { brand: 'Visa', bin: null, last4: null, country: 'de', funding: null },
    occurredAt: '2026-01-01T10:05:30.000Z',
    receivedAt: '2026-01-01T10:05:31.500Z',
    normalizedAt: '2026-01-01T10:05:31.600Z',
    normalizationMethod: 'rules',
    confidence: 1,
    metadata: {},
    ...overrides,
  } as unknown as PaymentEvent;
}

describe('rollup deltas', () => {
  it('normalises dimensions and reads the risk decision defensively', () => {
    expect(dimensionsOf(event())).toMatchObject({
      cardBrand: 'visa',
      cardCountry: 'DE',
      failureReason: '',
      riskDecision: '',
    });
    expect(dimensionsOf(event({ risk: { decision: 'review' } })).riskDecision).toBe('review');
    expect(dimensionsOf(event({ risk: { decision: 'maybe' } })).riskDecision).toBe('');
    expect(dimensionsOf(event({ risk: null, card: null })).cardBrand).toBe('');
  });

  it('folds a batch into one row per key at each granularity, in key order', () => {
    const { cube: deltas, slices } = rollupDeltas([
      event(),
      event({ id: 'evt_2', occurredAt: '2026-01-01T10:05:59.000Z', amountUsdMinor: null }),
      event({
        id: 'evt_3',
        occurredAt: '2026-01-01T10:59:00.000Z',
        status: 'declined',
        failureReason: 'expired_card',
        declineType: 'hard',
      }),
    ]);
    const minute = deltas.filter((d) => d.granularity === 'minute');
    expect(minute).toHaveLength(2);
    const first = minute.find((d) => d.bucket === Date.parse('2026-01-01T10:05:00Z'))!;
    expect(first).toMatchObject({ count: 2, usdCount: 1, volumeUsdMinor: 1080 });
    expect(first.lag[lagBucket(1_500)]).toBe(1);
    const hour = deltas.filter((d) => d.granularity === 'hour');
    expect(hour.map((d) => [d.status, d.count])).toEqual([
      ['approved', 2],
      ['declined', 1],
    ]);
    expect(deltas.filter((d) => d.granularity === 'day').reduce((s, d) => s + d.count, 0)).toBe(3);
    const keys = deltas.map((d) =>
      [d.tenantId, d.granularity, String(d.bucket).padStart(16, '0'), d.provider, d.status].join('|'),
    );
    expect([...keys].sort()).toEqual(keys);

    const hourSlices = slices.filter((d) => d.granularity === 'hour');
    expect(hourSlices.filter((d) => d.dimension === 'all').map((d) => [d.status, d.count])).toEqual([
      ['approved', 2],
      ['declined', 1],
    ]);
    // Slices carry every counter of the events they cut, not only the count.
    expect(hourSlices.find((d) => d.dimension === 'currency' && d.status === 'approved')).toMatchObject({
      value: 'EUR',
      usdCount: 1,
      volumeUsdMinor: 1080,
    });
    expect(hourSlices.find((d) => d.dimension === 'all' && d.status === 'approved')!.lag).toEqual(
      deltas.find((d) => d.granularity === 'hour' && d.status === 'approved')!.lag,
    );
    expect(hourSlices.filter((d) => d.dimension === 'failure_decline').map((d) => [d.value, d.count])).toEqual([
      ['', 2],
      ['expired_card/hard', 1],
    ]);
    expect(hourSlices.filter((d) => d.dimension === 'card_brand').map((d) => d.value)).toEqual(['visa', 'visa']);
  });
});
