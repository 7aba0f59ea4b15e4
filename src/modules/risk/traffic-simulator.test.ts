import { describe, expect, it } from 'vitest';
import { scoreRequestSchema } from './risk-subject.js';
import { simulateTraffic } from './traffic-simulator.js';

describe('traffic simulator', () => {
  const options = { customers: 200, days: 7, fraudRate: 0.05, seed: 42 };

  it('is deterministic for a seed and differs across seeds', () => {
    expect(simulateTraffic(options)).toEqual(simulateTraffic(options));
    expect(simulateTraffic({ ...options, seed: 43 })[0]).not.toEqual(simulateTraffic(options)[0]);
  });

  it('produces valid score requests in time order with unique ids', () => {
    const traffic = simulateTraffic(options);
    for (const t of traffic) expect(scoreRequestSchema.safeParse(t.request).success).toBe(true);
    const times = traffic.map((t) => t.request.occurredAt);
    expect([...times].sort()).toEqual(times);
    expect(new Set(traffic.map((t) => t.request.transactionId)).size).toBe(traffic.length);
  });

  it('hits the fraud rate with every fraud pattern and plenty of normal behaviour', () => {
    const traffic = simulateTraffic(options);
    const frauds = traffic.filter((t) => t.label === 'fraud');
    expect(frauds.length / traffic.length).toBeGreaterThan(0.04);
    expect(frauds.length / traffic.length).toBeLessThan(0.06);
    const patterns = new Set(frauds.map((t) => t.pattern));
    expect([...patterns].sort()).toEqual(['account_takeover', 'amount_outlier', 'card_testing', 'compromised_merchant']);
    expect(traffic.filter((t) => t.pattern === 'normal').length).toBeGreaterThan(traffic.length * 0.8);
    const end = Date.parse('2026-01-08T00:00:00Z');
    expect(traffic.every((t) => Date.parse(t.request.occurredAt) < end)).toBe(true);
  });

  it('card-testing bursts are many small payments from one device', () => {
    const burst = simulateTraffic(options).filter((t) => t.pattern === 'card_testing');
    const byDevice = new Map<string, number>();
    for (const t of burst) byDevice.set(t.request.deviceId!, (byDevice.get(t.request.deviceId!) ?? 0) + 1);
    expect(Math.max(...byDevice.values())).toBeGreaterThanOrEqual(6);
    expect(burst.every((t) => t.request.amount.currency === 'USD' && t.request.amount.minor <= 300)).toBe(true);
  });
});
