import { describe, expect, it } from 'vitest';
import { emailSignals } from '../email-signals.js';
import { scoreRequestSchema } from '../risk-subject.js';
import { fraudPatterns, legitPatterns, simulateTraffic, type SimTransaction } from './traffic-simulator.js';

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

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

  it('hits the fraud rate with every attack and every legitimate look-alike, each transaction tagged', () => {
    const traffic = simulateTraffic(options);
    const frauds = traffic.filter((t) => t.label === 'fraud');
    expect(frauds.length / traffic.length).toBeGreaterThan(0.04);
    expect(frauds.length / traffic.length).toBeLessThan(0.06);
    expect([...new Set(frauds.map((t) => t.pattern))].sort()).toEqual([...fraudPatterns].sort());
    expect([...new Set(traffic.filter((t) => t.label === 'legit').map((t) => t.pattern))].sort()).toEqual(
      [...legitPatterns].sort(),
    );
    expect(traffic.filter((t) => t.pattern === 'normal').length).toBeGreaterThan(traffic.length * 0.6);
    const end = Date.parse('2026-01-08T00:00:00Z');
    expect(traffic.every((t) => Date.parse(t.request.occurredAt) < end)).toBe(true);
  });

  const of = (pattern: SimTransaction['pattern'], seed = 42) =>
    simulateTraffic({ ...options, customers: 600, seed }).filter((t) => t.pattern === pattern);

  it('card-testing bursts try many cards with tiny amounts, numbered in time order; spread ones over several IPs and devices', () => {
    for (const pattern of ['card_testing', 'card_testing_spread'] as const) {
      const attempts = of(pattern);
      expect(attempts.every((t) => t.request.amount.currency === 'USD' && t.request.amount.minor <= 500)).toBe(true);
      const bursts = groupBy(attempts, (t) => t.burst!.id);
      for (const burst of bursts.values()) {
        expect(burst.map((t) => t.burst!.attempt)).toEqual(burst.map((_, i) => i + 1));
        expect(new Set(burst.map((t) => t.request.card.fingerprint)).size).toBeGreaterThan(burst.length / 2);
        expect(new Set(burst.map((t) => t.request.merchant.id)).size).toBe(1);
        const ips = new Set(burst.map((t) => t.request.ip)).size;
        const devices = new Set(burst.map((t) => t.request.deviceId)).size;
        if (pattern === 'card_testing') expect([ips, devices]).toEqual([1, 1]);
        else expect(Math.min(ips, devices)).toBeGreaterThan(1);
      }
    }
  });

  it('takes over known accounts with a new device, abroad or through a same-country proxy, far above the usual amount', () => {
    const traffic = simulateTraffic({ ...options, customers: 600 });
    const paidBefore = (t: SimTransaction) =>
      traffic.some(
        (o) =>
          o.label === 'legit' &&
          o.request.customer.id === t.request.customer.id &&
          o.request.occurredAt < t.request.occurredAt,
      );
    const devices = new Set(traffic.filter((t) => t.label === 'legit').map((t) => t.request.deviceId));
    for (const pattern of ['account_takeover', 'account_takeover_proxy'] as const) {
      const takeovers = traffic.filter((t) => t.pattern === pattern);
      expect(takeovers.length).toBeGreaterThan(5);
      // Accounts of the customer base, almost all with payments of their own before.
      expect(
        takeovers.every((t) => /^sim42_cus_\d+$/.test(t.request.customer.id!) && !devices.has(t.request.deviceId)),
      ).toBe(true);
      expect(takeovers.filter(paidBefore).length / takeovers.length).toBeGreaterThan(0.8);
      const abroad = takeovers.filter((t) => t.request.ipCountry !== t.request.card.country).length;
      if (pattern === 'account_takeover') expect(abroad).toBe(takeovers.length);
      else expect(abroad).toBeLessThan(takeovers.length / 2);
    }
  });

  it('stolen cards on new accounts: 300–1,000 USD, mostly throwaway addresses; first-time customers mostly name-like ones', () => {
    const stolen = of('stolen_card_new_account');
    expect(
      stolen.every(
        (t) =>
          t.request.amount.currency === 'USD' && t.request.amount.minor >= 30_000 && t.request.amount.minor <= 100_000,
      ),
    ).toBe(true);
    const throwaway = (t: SimTransaction) => {
      const s = emailSignals(t.request.customer.email ?? null, null);
      return s.disposable || s.randomLocal;
    };
    expect(stolen.filter(throwaway).length / stolen.length).toBeGreaterThan(0.7);
    const firstTime = of('first_time');
    expect(firstTime.filter(throwaway).length / firstTime.length).toBeLessThan(0.02);
    expect(new Set(firstTime.map((t) => t.request.customer.email)).size).toBeGreaterThan(firstTime.length * 0.7);
  });

  it('puts a fifth of ordinary customers on carrier-NAT addresses, each shared by many customers', () => {
    const shared = of('shared_ip');
    const byIp = groupBy(shared, (t) => t.request.ip!);
    const customersPerIp = [...byIp.values()].map((txs) => new Set(txs.map((t) => t.request.customer.id)).size);
    expect(Math.max(...customersPerIp)).toBeGreaterThan(5);
    expect(byIp.size).toBeLessThanOrEqual(24);
  });
});
